"""The API's router: paths without a trailing slash and without format suffixes (contract/API.md)."""

from rest_framework.routers import SimpleRouter


def api_router() -> SimpleRouter:
    # SimpleRouter adds no format suffixes (only DefaultRouter does, unless told not to).
    return SimpleRouter(trailing_slash=False)
