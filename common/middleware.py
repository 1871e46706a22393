from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, cast

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase
from whitenoise.middleware import WhiteNoiseMiddleware

from common import context

_SAFE_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")

# What a middleware is handed: the next layer, sync or async (Django adapts it to the middleware's mode).
GetResponse = Callable[[HttpRequest], HttpResponseBase | Awaitable[HttpResponseBase]]


class RequestIdMiddleware:
    """Tag each request with an id (the caller's X-Request-ID if sane) for logs and the response.

    Sync and async: under ASGI no thread is spent on it (the waiting endpoints hold none).
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    @staticmethod
    def _request_id(request: HttpRequest) -> str:
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = rid  # type: ignore[attr-defined]  # our own attribute; the stub has Django's only
        return rid

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self._acall(request)
        rid = self._request_id(request)
        token = context.request_id.set(rid)
        try:
            response = cast(HttpResponseBase, self.get_response(request))  # sync: so is the next layer
        finally:
            context.request_id.reset(token)
        response["X-Request-ID"] = rid
        return response

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        rid = self._request_id(request)
        token = context.request_id.set(rid)
        try:
            response = await cast(Awaitable[HttpResponseBase], self.get_response(request))
        finally:
            context.request_id.reset(token)
        response["X-Request-ID"] = rid
        return response


class StaticFilesMiddleware(WhiteNoiseMiddleware):  # type: ignore[misc]  # whitenoise ships no types
    """WhiteNoise, async-capable: a static file is answered from memory; anything else passes on
    without a thread hop under ASGI (WhiteNoise's own middleware is sync-only, which would make
    Django run every async request's whole chain through threads)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(get_response, *args, **kwargs)
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self._acall(request)
        return cast(HttpResponseBase, super().__call__(request))

    def _static_file(self, request: HttpRequest) -> Any:  # whitenoise's StaticFile, or None
        if self.autorefresh:
            return self.find_file(request.path_info)
        return self.files.get(request.path_info)

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        static_file = self._static_file(request)
        if static_file is not None:
            return cast(HttpResponseBase, self.serve(static_file, request))
        return await cast(Awaitable[HttpResponseBase], self.get_response(request))
