"""The web process's entry point: ``uvicorn config.asgi:application`` (docs/performance.md, "Topology").

Every request goes through Django and its whole middleware stack; what differs is how Django
runs it:

* the API and everything else: Django's **WSGI** handler, each request in one thread of a
  pool (a2wsgi). A sync Django request under Django's own ASGI handler pays a thread hop per
  sync middleware hook and one for the view (asgiref); here it pays one, as under gunicorn's
  threads, while uvicorn keeps the HTTP parsing and keep-alive connections;
* the waiting requests (``?wait=`` long-polls and ``/events`` streams, operations/waiting.py):
  Django's **ASGI** handler, as async code that holds no thread while it waits - one instance
  whose sync middleware hooks share a single thread (Django's own gives every request a
  thread for its whole life: a thread per waiting client).

Production settings unless DJANGO_SETTINGS_MODULE says otherwise (see config/wsgi.py).
"""

import os

from a2wsgi import WSGIMiddleware
from django.core.asgi import get_asgi_application
from django.core.handlers.asgi import ASGIHandler
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

get_asgi_application()  # sets Django up (apps, settings) once, for both handlers

from django.conf import settings  # noqa: E402 - after setup

from common.runtime import tune_gc  # noqa: E402
from operations.waiting import is_waiting_request  # noqa: E402 - needs the app registry set up above


class SharedThreadASGIHandler(ASGIHandler):
    """Django's ASGI handler without the per-request thread-sensitive context: sync code of all
    its requests runs on asgiref's one shared thread."""

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        await self.handle(scope, receive, send)


waiting_application = SharedThreadASGIHandler()
# Threads serving the API in this process: each request holds one while Django works on it.
# (django-stubs types the WSGI handler's response as HttpResponseBase, not the iterable of bytes it is.)
api_application = WSGIMiddleware(get_wsgi_application(), workers=settings.WEB_THREADS)  # type: ignore[arg-type]


async def application(scope, receive, send):
    if scope["type"] == "http" and is_waiting_request(scope):
        return await waiting_application(scope, receive, send)
    if scope["type"] == "lifespan":  # nothing to start or stop; tell uvicorn so
        while (message := await receive())["type"] != "lifespan.shutdown":
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    return await api_application(scope, receive, send)


# Everything above is loaded for the process's lifetime: out of the collector's sight from here.
tune_gc()
