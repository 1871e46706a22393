from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from accounts.views import AuthViewSet, UserViewSet
from common import health, metrics_view
from interviews.views import JobPostingViewSet, ResumeViewSet, SessionViewSet
from operations.views import OperationViewSet

# Paths carry no trailing slash (contract/API.md); ids are UUIDs, anything else is a 404.
router = SimpleRouter(trailing_slash=False)
router.include_format_suffixes = False
router.register("auth", AuthViewSet, basename="auth")
router.register("users", UserViewSet, basename="users")
router.register("resumes", ResumeViewSet, basename="resumes")
router.register("job-postings", JobPostingViewSet, basename="job-postings")
router.register("sessions", SessionViewSet, basename="sessions")
router.register("operations", OperationViewSet, basename="operations")

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics_view.metrics, name="metrics"),
    path("api/v1/", include(router.urls)),
    # OpenAPI 3 schema (YAML; ?format=json for JSON) and its two readers. Public.
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/v1/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/v1/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("admin/", admin.site.urls),
]

handler400 = "common.views.bad_request"
handler403 = "common.views.permission_denied"
handler404 = "common.views.not_found"
handler500 = "common.views.server_error"
