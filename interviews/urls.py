from common.routers import api_router
from interviews.views import JobPostingViewSet, ResumeViewSet, SessionViewSet

router = api_router()
router.register("resumes", ResumeViewSet, basename="resumes")
router.register("job-postings", JobPostingViewSet, basename="job-postings")
router.register("sessions", SessionViewSet, basename="sessions")

urlpatterns = router.urls
