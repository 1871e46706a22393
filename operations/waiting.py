"""Waiting for an operation without polling: long-poll (``?wait=N``) and Server-Sent Events.

``GET /api/v1/operations/{id}?wait=N`` answers as soon as the operation's status differs from
the one it had when the request arrived (or it is finished), else after N seconds (<= 30)
with the current state - the same body and headers as the plain GET.
``GET /api/v1/operations/{id}/events`` streams the operation (``event: operation``) on every
status change and ends once it is finished. A browser's ``EventSource`` cannot send
``Authorization``: it passes ``?ticket=`` from ``POST /operations/{id}/stream-ticket`` instead.

Both run inside Django, behind the whole middleware stack like every other endpoint (allowed
hosts, security headers, CORS, request ids, metrics) - as async code, so that a waiting client
holds neither a thread nor a database connection: every middleware is async-capable, reads
borrow a pooled connection for one query, and waiting is an ``asyncio.Event`` woken by one
``LISTEN operation_status`` connection per process (operations/notify.py publishes on every
transition). If that connection is down - or the database is not PostgreSQL - waiters re-read
every second instead, so nothing is missed. Waiters are capped per user and per process (429).

Both paths belong to DRF views (operations/views.py: the plain GET, and ``events``), which
document them and answer under WSGI, where nothing can wait: the long-poll answers at once,
and the stream sends the current state once with ``retry:`` so an ``EventSource`` polls.
Under ASGI, :class:`WaitingMiddleware` - the innermost middleware, after every other - takes
these requests before the view and serves them asynchronously.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import re
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final, Literal, cast

import psycopg
from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.core import signing
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse, StreamingHttpResponse
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError

from accounts.models import User
from common.authentication import TOKEN_VERSION_CLAIM, JWTAuthentication
from common.exceptions import (
    INVALID_TOKEN,
    NOT_AUTHENTICATED,
    NOT_FOUND,
    PROBLEM_CONTENT_TYPE,
    RATE_LIMITED,
    VALIDATION_ERROR,
    problem,
)
from operations import metrics
from operations.models import Operation
from operations.notify import CHANNEL
from operations.serializers import FIELDS, operation_data

if TYPE_CHECKING:
    from common.middleware import GetResponse

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 2
# ?wait=N: the longest a long-poll may wait.
MAX_WAIT_SECONDS = 30
FALLBACK_POLL_SECONDS = 1.0
SSE_MAX_SECONDS = 300  # the client reconnects after this; bounds a stream's lifetime
SSE_HEARTBEAT_SECONDS = 15
# How long a stream ticket lasts (the contract: at most 60 s); an EventSource may reconnect with it meanwhile.
STREAM_TICKET_SECONDS = 60
_TICKET_SALT = "operations.stream-ticket"
WAITING_PATH = re.compile(r"^/api/v1/operations/(?P<id>[^/]+)(?P<events>/events)?$")
_WAIT_INVALID = f"wait must be a whole number of seconds from 0 to {MAX_WAIT_SECONDS}."

# An operation as a row of the API's fields (and its user_id): what waiters read and serialize.
Row = dict[str, Any]


def parse_wait(raw: str | None) -> int:
    """The ``wait`` query parameter: whole seconds 0-30. ValidationError otherwise."""
    if raw is None:
        return 0
    try:
        wait = int(raw)
    except ValueError:
        wait = -1
    if not 0 <= wait <= MAX_WAIT_SECONDS:
        raise ValidationError({"wait": [_WAIT_INVALID]})
    return wait


# The hub: one LISTEN connection per process, fanned out to in-process waiters -------------


class _Unread(enum.Enum):
    UNREAD = enum.auto()


_UNREAD: Final = _Unread.UNREAD  # the hub did not read the row: the waiter reads it itself


class Waiter:
    """One waiting request: woken by its event, handed the operation's row when the hub read it."""

    __slots__ = ("event", "fresh", "user_id")

    def __init__(self, user_id: str) -> None:
        self.event = asyncio.Event()
        self.user_id = user_id
        self.fresh: Row | Literal[_Unread.UNREAD] | None = _UNREAD  # a row, None (gone), or _UNREAD

    def take(self) -> Row | Literal[_Unread.UNREAD] | None:
        fresh, self.fresh = self.fresh, _UNREAD
        return fresh


class StatusHub:
    """One LISTEN connection per process, fanned out to the process's waiters.

    A notification marks its operation; marked operations are read in one query, however many
    arrived meanwhile (a burst of a thousand costs a few queries, not a thousand), and each
    waiter is handed its row with the wake-up.
    """

    def __init__(self) -> None:
        self._waiters: dict[str, set[Waiter]] = defaultdict(set)
        self._per_user: Counter[str] = Counter()
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._marked: set[str] = set()
        self._reader: asyncio.Task[None] | None = None
        self.listening = False

    @property
    def waiting(self) -> int:
        return sum(self._per_user.values())

    def _ensure_running(self) -> None:
        if connection.vendor != "postgresql":
            return
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._loop is not loop:
            self._loop = loop
            self.listening = False
            self._task = loop.create_task(self._run(), name="operation-status-listener")

    def admit(self, user_id: str) -> bool:
        """Room for one more waiter of this user in this process? (The caps: 429 otherwise.)"""
        return self.waiting < settings.WAIT_MAX_PER_PROCESS and self._per_user[user_id] < settings.WAIT_MAX_PER_USER

    @contextmanager
    def subscribe(self, operation_id: str, user_id: str) -> Iterator[Waiter]:
        self._ensure_running()
        waiter = Waiter(user_id)
        self._waiters[operation_id].add(waiter)
        self._per_user[user_id] += 1
        try:
            yield waiter
        finally:
            self._per_user[user_id] -= 1
            if not self._per_user[user_id]:
                del self._per_user[user_id]
            waiters = self._waiters.get(operation_id)
            if waiters is not None:
                waiters.discard(waiter)
                if not waiters:
                    del self._waiters[operation_id]

    def _wake(self, operation_ids: Iterable[str]) -> None:
        self._marked.update(i for i in operation_ids if i in self._waiters)
        if self._marked and (self._reader is None or self._reader.done()):
            self._reader = asyncio.get_running_loop().create_task(self._read_marked(), name="operation-status-reads")

    def _wake_all(self) -> None:
        self._wake(list(self._waiters))

    async def _read_marked(self) -> None:
        """Read the marked operations in one query (and again for those marked meanwhile), then wake
        their waiters with their rows. If the read fails, the waiters are woken to read themselves."""
        while self._marked:
            ids, self._marked = list(self._marked), set()
            try:
                rows = await _read_many(ids)
                metrics.WAITER_BATCH_READS.inc()
            except Exception as exc:  # the database blipped: each waiter re-reads (and copes) itself
                logger.warning("reading %d changed operations failed (%s)", len(ids), type(exc).__name__)
                rows = None
            for operation_id in ids:
                for waiter in self._waiters.get(operation_id, ()):
                    if rows is not None:
                        row = rows.get(operation_id)
                        waiter.fresh = row if row is not None and str(row["user_id"]) == waiter.user_id else None
                    waiter.event.set()

    @staticmethod
    def _conninfo() -> dict[str, Any]:
        """Django's own connection parameters (sslmode, options, ... included), for an async connection."""
        params = connection.get_connection_params()
        for sync_only in ("cursor_factory", "context"):
            params.pop(sync_only, None)
        params["application_name"] = "operation-status-listener"
        return params

    async def _run(self) -> None:
        backoff = 0.5
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(**self._conninfo(), autocommit=True) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self.listening = True
                    backoff = 0.5
                    self._wake_all()  # anything missed while we were away gets re-read
                    while True:
                        async for note in conn.notifies(timeout=SSE_HEARTBEAT_SECONDS):
                            self._wake((note.payload.partition(":")[0],))
                        await conn.execute("SELECT 1")  # a dead connection raises here
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("status listener disconnected (%s); waiters poll meanwhile", type(exc).__name__)
            finally:
                self.listening = False
            self._wake_all()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 10.0)


hub = StatusHub()


# Authentication and reads: one pooled connection per query, released at once -----------------


class UnauthorizedError(Exception):
    def __init__(self, code: str, detail: str) -> None:
        self.code, self.detail = code, detail


_jwt = JWTAuthentication()


def _user_id_from_bearer_sync(request: HttpRequest) -> str:
    """The same check as every REST endpoint (DRF's header parsing, simplejwt, token version)."""
    try:
        header = _jwt.get_header(request)  # type: ignore[arg-type]  # reads only META, which Django's request has
        if header is None:
            raise UnauthorizedError(NOT_AUTHENTICATED, "Authentication credentials were not provided.")
        raw = _jwt.get_raw_token(header)
        if raw is None:
            raise UnauthorizedError(NOT_AUTHENTICATED, "Authentication credentials were not provided.")
        user = _jwt.get_user(_jwt.get_validated_token(raw))
    except (InvalidToken, TokenError, AuthenticationFailed):
        raise UnauthorizedError(INVALID_TOKEN, "The access token is invalid or has expired.") from None
    finally:
        connection.close()  # back to the pool
    return str(user.pk)


def user_from_ticket(ticket: str, operation_id: str) -> User:
    """A stream ticket is good for this operation's stream only, for STREAM_TICKET_SECONDS, while its
    user is active and has not changed their password. UnauthorizedError otherwise."""
    try:
        data = signing.loads(ticket, salt=_TICKET_SALT, max_age=STREAM_TICKET_SECONDS)
    except signing.BadSignature:  # SignatureExpired included
        raise UnauthorizedError(INVALID_TOKEN, "The stream ticket is invalid or has expired.") from None
    if not isinstance(data, dict) or data.get("op") != operation_id:
        raise UnauthorizedError(INVALID_TOKEN, "The stream ticket is invalid or has expired.")
    user_id = data.get("u")
    user = User.objects.filter(pk=user_id, is_active=True).first() if isinstance(user_id, str) else None
    if user is None or user.token_version != data.get(TOKEN_VERSION_CLAIM):
        raise UnauthorizedError(INVALID_TOKEN, "The stream ticket is invalid or has expired.")
    return user


def _user_id_from_ticket_sync(ticket: str, operation_id: str) -> str:
    try:
        return str(user_from_ticket(ticket, operation_id).pk)
    finally:
        connection.close()


def stream_ticket_issue(*, operation: Operation) -> str:
    """A short-lived credential for ``GET /operations/{id}/events?ticket=`` of this operation only."""
    user = operation.user
    return signing.dumps(
        {"op": str(operation.pk), "u": str(user.pk), TOKEN_VERSION_CLAIM: user.token_version}, salt=_TICKET_SALT
    )


ROW_FIELDS = (*FIELDS, "user_id")


def _read_sync(operation_id: str, user_id: str) -> Row | None:
    """The user's operation as a row of the API's fields, or None."""
    try:
        row: Row | None = Operation.objects.filter(pk=operation_id, user_id=user_id).values(*ROW_FIELDS).first()
        return row
    finally:
        connection.close()  # back to the pool: a waiting client holds no connection


def _read_many_sync(operation_ids: list[str]) -> dict[str, Row]:
    """These operations' rows by id, in one query (whoever's they are: the hub checks each waiter's)."""
    try:
        return {str(row["id"]): row for row in Operation.objects.filter(pk__in=operation_ids).values(*ROW_FIELDS)}
    finally:
        connection.close()


# thread_sensitive=False: a shared executor thread for the query only, never one per waiter.
_read = sync_to_async(_read_sync, thread_sensitive=False)
_read_many = sync_to_async(_read_many_sync, thread_sensitive=False)
_user_from_bearer = sync_to_async(_user_id_from_bearer_sync, thread_sensitive=False)
_user_from_ticket = sync_to_async(_user_id_from_ticket_sync, thread_sensitive=False)


# Responses -------------------------------------------------------------------------------


def _problem(
    status: int,
    code: str,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JsonResponse:
    return JsonResponse(
        problem(status, code, detail, errors=errors),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
        headers=headers,
    )


def _unauthorized(exc: UnauthorizedError) -> JsonResponse:
    return _problem(401, exc.code, exc.detail, headers={"WWW-Authenticate": 'Bearer realm="api"'})


def _too_many() -> JsonResponse:
    return _problem(
        429,
        RATE_LIMITED,
        "Too many requests are waiting on operations at once. Please try again shortly.",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _not_found() -> JsonResponse:
    return _problem(404, NOT_FOUND, "Not found.")


_FINISHED = frozenset(Operation.FINISHED)


def _finished(row: Row) -> bool:
    return row["status"] in _FINISHED


def _serialize(row: Row) -> bytes:
    body: bytes = JSONRenderer().render(operation_data(row))
    return body


def _operation_response(operation: Row) -> HttpResponse:
    response = HttpResponse(_serialize(operation), content_type="application/json")
    if not _finished(operation):
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def _operation_id(raw: str) -> str | None:
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        return None


async def _next_change(operation: Row, operation_id: str, waiter: Waiter, deadline: float) -> Row | None:
    """Wait until the status differs from ``operation``'s or the deadline; None if gone.

    With the listener up, only a notification (or the deadline) wakes the waiter, usually with
    the row the hub read; without it, the row is re-read every FALLBACK_POLL_SECONDS.
    """
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return operation
        listening = hub.listening
        try:
            await asyncio.wait_for(
                waiter.event.wait(), remaining if listening else min(remaining, FALLBACK_POLL_SECONDS)
            )
            waiter.event.clear()
        except TimeoutError:
            if listening:
                return operation  # the deadline passed and nothing was published
        fresh = waiter.take()
        if fresh is _UNREAD:
            fresh = await _read(operation_id, waiter.user_id)
            metrics.WAITER_WAKEUPS.labels("own").inc()
        else:
            metrics.WAITER_WAKEUPS.labels("batched").inc()
        if fresh is None or fresh["status"] != operation["status"]:
            return fresh
        operation = fresh


def is_waiting_request(scope: Mapping[str, Any]) -> bool:
    """An ASGI request this module serves: GET/HEAD of an operation's ``/events``, or of the
    operation with ``wait=`` in the query (config/asgi.py routes these to a handler that holds
    no thread per request)."""
    if scope["method"] not in ("GET", "HEAD"):
        return False
    match = WAITING_PATH.match(scope["path"])
    return match is not None and (bool(match["events"]) or b"wait=" in scope.get("query_string", b""))


# The middleware: under ASGI, the waiting requests are served here ----------------------------


class WaitingMiddleware:
    """Serves ``GET /api/v1/operations/{id}?wait=N`` and ``.../events`` asynchronously under ASGI;
    passes everything else on (and everything, under WSGI, to the DRF views)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if not self.is_async:
            return self.get_response(request)
        return self._acall(request)

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        if request.method in ("GET", "HEAD"):
            match = WAITING_PATH.match(request.path_info)
            if match is not None:
                if match["events"]:
                    return await operation_events(request, match["id"])
                if "wait" in request.GET:
                    return await long_poll(request, match["id"])
        return await cast(Awaitable[HttpResponseBase], self.get_response(request))


async def long_poll(request: HttpRequest, raw_id: str) -> HttpResponse:
    """Authenticated exactly as the plain GET (401 / 404 NOT_FOUND), then wait for a change."""
    try:
        user_id = await _user_from_bearer(request)
    except UnauthorizedError as exc:
        return _unauthorized(exc)
    try:
        wait = parse_wait(request.GET.get("wait"))
    except ValidationError:
        detail = _WAIT_INVALID
        return _problem(400, VALIDATION_ERROR, detail, errors=[{"field": "wait", "message": detail}])
    operation_id = _operation_id(raw_id)
    if operation_id is None:
        return _not_found()
    if not hub.admit(user_id):
        return _too_many()
    with hub.subscribe(operation_id, user_id) as waiter:  # subscribe first: no change slips in between
        operation = await _read(operation_id, user_id)
        if operation is None:
            return _not_found()
        if wait and not _finished(operation):
            metrics.WAITERS.inc()
            try:
                operation = await _next_change(operation, operation_id, waiter, time.monotonic() + wait)
            finally:
                metrics.WAITERS.dec()
            if operation is None:
                return _not_found()
    return _operation_response(operation)


# The stream ---------------------------------------------------------------------------------


async def operation_events(request: HttpRequest, pk: str) -> HttpResponseBase:
    """``GET /operations/{id}/events``: Server-Sent Events, with a bearer token or ``?ticket=``."""
    operation_id = _operation_id(pk)
    try:
        if "ticket" in request.GET:  # a ticket given decides: an invalid one is a 401
            user_id = await _user_from_ticket(request.GET["ticket"], operation_id or "")
        else:
            user_id = await _user_from_bearer(request)
    except UnauthorizedError as exc:
        return _unauthorized(exc)
    if operation_id is None:
        return _not_found()
    operation = await _read(operation_id, user_id)
    if operation is None:
        return _not_found()
    if _finished(operation) and request.headers.get("Last-Event-ID") in _FINISHED:
        # An EventSource reconnecting after the final event: 204 tells it to stop.
        return HttpResponse(status=204)
    if not hub.admit(user_id):
        return _too_many()
    return StreamingHttpResponse(
        _stream(operation, operation_id, user_id),
        content_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _event(operation: Row, *, retry: bool = False) -> bytes:
    head = f"retry: {RETRY_AFTER_SECONDS * 1000}\n".encode() if retry else b""
    status: str = operation["status"]
    return head + b"event: operation\nid: " + status.encode() + b"\ndata: " + _serialize(operation) + b"\n\n"


async def _stream(operation: Row, operation_id: str, user_id: str) -> AsyncIterator[bytes]:
    with hub.subscribe(operation_id, user_id) as waiter:
        metrics.WAITERS.inc()
        try:
            # Read again once subscribed: a change between the first read and now is not lost.
            operation = await _read(operation_id, user_id) or operation
            yield _event(operation, retry=True)
            end = time.monotonic() + SSE_MAX_SECONDS
            while not _finished(operation) and time.monotonic() < end:
                deadline = min(end, time.monotonic() + SSE_HEARTBEAT_SECONDS)
                fresh = await _next_change(operation, operation_id, waiter, deadline)
                if fresh is None:
                    return
                if fresh["status"] != operation["status"]:
                    yield _event(fresh)
                else:
                    yield b": keep-alive\n\n"
                operation = fresh
        finally:
            metrics.WAITERS.dec()


def event_bytes(operation: Operation) -> bytes:
    """The first event of a stream (and the whole answer under WSGI): the operation, with ``retry:``."""
    return _event({field: getattr(operation, field) for field in FIELDS}, retry=True)
