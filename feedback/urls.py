from common.routers import api_router
from feedback.views import SessionFeedbackViewSet

# Under /sessions/{id}/: generate-feedback and feedback (the sessions themselves are interviews').
router = api_router()
router.register("sessions", SessionFeedbackViewSet, basename="session-feedback")

urlpatterns = router.urls
