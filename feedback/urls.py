from common.routers import api_router
from feedback.views import DashboardViewSet, SessionFeedbackViewSet

# Under /sessions/{id}/: generate-feedback and feedback (the sessions themselves are interviews').
router = api_router()
router.register("sessions", SessionFeedbackViewSet, basename="session-feedback")
# /users/me/dashboard: progress is made of feedback (the users themselves are accounts').
router.register("users", DashboardViewSet, basename="user-dashboard")

urlpatterns = router.urls
