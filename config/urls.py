from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from common import health, metrics_view, web

# Each app owns its endpoints. Paths carry no trailing slash (contract/API.md); ids are
# UUIDs, anything else is a 404.
api = [
    path("", include("accounts.urls")),
    path("", include("interviews.urls")),
    path("", include("feedback.urls")),
    path("", include("operations.urls")),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics_view.metrics, name="metrics"),
    path("api/v1/", include(api)),
    # OpenAPI 3 schema (YAML; ?format=json for JSON) and its two readers. Public.
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/v1/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/v1/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("admin/", admin.site.urls),
    # The web client's own routes (/sessions/…, /dashboard): its index.html. Last, and never for
    # the API, the admin or static files, whose unknown paths stay 404s.
    re_path(r"^(?!api/|admin/|static/|metrics$|healthz$|readyz$)(?P<path>.*)$", web.spa_index, name="web-client"),
]

handler400 = "common.views.bad_request"
handler403 = "common.views.permission_denied"
handler404 = "common.views.not_found"
handler500 = "common.views.server_error"
