"""ASGI entry point: ``uvicorn config.asgi:application``.

Everything goes through Django and its whole middleware stack, the waiting endpoints too
(operations/waiting.py). Production settings unless DJANGO_SETTINGS_MODULE says otherwise
(see config/wsgi.py).

One difference of thread policy, not of gate: Django's ASGI handler gives every request a
thread for its sync code (the middleware hooks included: MiddlewareMixin runs each through
sync_to_async) and keeps it for the request's whole life - a thread per waiting client. The
waiting requests (``?wait=`` long-polls and ``/events`` streams) go to a second instance of the
same handler, with the same middleware, whose sync hooks share one thread instead: they take
microseconds, and the waiting itself is async (no thread, no database connection).
"""

import os

from django.core.asgi import get_asgi_application
from django.core.handlers.asgi import ASGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

django_application = get_asgi_application()

from operations.waiting import is_waiting_request  # noqa: E402 - needs the app registry set up above


class SharedThreadASGIHandler(ASGIHandler):
    """Django's ASGI handler without the per-request thread-sensitive context: sync code of all
    its requests runs on asgiref's one shared thread."""

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        await self.handle(scope, receive, send)


waiting_application = SharedThreadASGIHandler()


async def application(scope, receive, send):
    if scope["type"] == "http" and is_waiting_request(scope):
        return await waiting_application(scope, receive, send)
    return await django_application(scope, receive, send)
