"""ASGI entry point: ``uvicorn config.asgi:application``.

Waiting requests (``GET /api/v1/operations/{id}?wait=N`` and ``.../events``) are served by
operations.waiting without Django's middleware stack, so they cost no thread while they
wait; everything else goes to Django.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

django_application = get_asgi_application()

from operations import waiting  # noqa: E402 - needs the app registry that get_asgi_application sets up


async def application(scope, receive, send):
    match = waiting.wants(scope)
    if match is not None:
        return await waiting.handle(scope, receive, send, match)
    return await django_application(scope, receive, send)
