from accounts.views import AuthViewSet, UserViewSet
from common.routers import api_router

router = api_router()
router.register("auth", AuthViewSet, basename="auth")
router.register("users", UserViewSet, basename="users")

urlpatterns = router.urls
