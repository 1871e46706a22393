"""The API's router: paths without a trailing slash and without format suffixes (contract/API.md)."""

from rest_framework.routers import SimpleRouter


def api_router() -> SimpleRouter:
    router = SimpleRouter(trailing_slash=False)
    router.include_format_suffixes = False
    return router
