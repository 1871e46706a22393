from common.routers import api_router
from operations.views import OperationViewSet

router = api_router()
router.register("operations", OperationViewSet, basename="operations")

urlpatterns = router.urls
