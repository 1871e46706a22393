"""Waiting for an operation without polling: long-poll (``?wait=N``) and Server-Sent Events.

``GET /api/v1/operations/{id}?wait=N`` answers as soon as the operation's status differs from
the one it had when the request arrived (or it is finished), else after N seconds (<= 30)
with the current state - the same body and headers as the plain GET.
``GET /api/v1/operations/{id}/events`` streams the operation (``event: operation``) on every
status change and ends once it is finished.

This is a small raw ASGI application mounted in front of Django (config/asgi.py), so that a
waiting client costs neither a thread nor a database connection: Django's ASGI handler runs
its (sync) middleware in a thread per request. Here, authentication is a stateless JWT check,
each read borrows a pooled connection for one query, and waiting is an ``asyncio.Event``
woken by one ``LISTEN operation_status`` connection per process (operations/notify.py
publishes on every transition). If that connection is down - or the database is not
PostgreSQL - waiters re-read every second instead, so nothing is missed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from collections import defaultdict
from contextlib import contextmanager
from urllib.parse import parse_qs

import psycopg
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from common.authentication import token_user_id
from common.exceptions import PROBLEM_CONTENT_TYPE, problem
from operations.models import Operation
from operations.notify import CHANNEL
from operations.serializers import OperationSerializer
from operations.views import RETRY_AFTER_SECONDS, parse_wait

logger = logging.getLogger(__name__)

FALLBACK_POLL_SECONDS = 1.0
SSE_MAX_SECONDS = 300  # the client reconnects after this; bounds a stream's lifetime
SSE_HEARTBEAT_SECONDS = 15
ROUTE = re.compile(r"^/api/v1/operations/(?P<id>[^/]+)(?P<events>/events)?$")


def wants(scope) -> re.Match | None:
    """Does this request belong here? (GET .../operations/{id}?wait=... or GET .../events)."""
    if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
        return None
    match = ROUTE.match(scope["path"])
    if match is None:
        return None
    if match["events"] or b"wait=" in scope.get("query_string", b""):
        return match
    return None


# The hub: one LISTEN connection per process, fanned out to in-process waiters -------------


class StatusHub:
    def __init__(self) -> None:
        self._waiters: dict[str, set[asyncio.Event]] = defaultdict(set)
        self._task: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.listening = False

    @property
    def waiting(self) -> int:
        return sum(len(events) for events in self._waiters.values())

    def _ensure_running(self) -> None:
        if connection.vendor != "postgresql":
            return
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._loop is not loop:
            self._loop = loop
            self.listening = False
            self._task = loop.create_task(self._run(), name="operation-status-listener")

    @contextmanager
    def subscribe(self, operation_id: str):
        self._ensure_running()
        event = asyncio.Event()
        self._waiters[operation_id].add(event)
        try:
            yield event
        finally:
            waiters = self._waiters.get(operation_id)
            if waiters is not None:
                waiters.discard(event)
                if not waiters:
                    del self._waiters[operation_id]

    def _wake(self, operation_id: str) -> None:
        for event in self._waiters.get(operation_id, ()):
            event.set()

    def _wake_all(self) -> None:
        for events in self._waiters.values():
            for event in events:
                event.set()

    @staticmethod
    def _conninfo() -> dict:
        db = settings.DATABASES["default"]
        params = {
            "dbname": db["NAME"],
            "user": db.get("USER") or None,
            "password": db.get("PASSWORD") or None,
            "host": db.get("HOST") or None,
            "port": db.get("PORT") or None,
            "connect_timeout": db.get("OPTIONS", {}).get("connect_timeout", 5),
            "application_name": "operation-status-listener",
        }
        return {k: v for k, v in params.items() if v is not None}

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
                            self._wake(note.payload.partition(":")[0])
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


# Reads: one pooled connection per query, released at once -------------------------------


def _read_sync(operation_id: str, user_id: str) -> tuple[str, Operation | None]:
    """('ok', op) | ('ok', None) for not-yours/unknown | ('inactive', None) for a gone user."""
    try:
        row = (
            Operation.objects.filter(pk=operation_id, user_id=user_id, user__is_active=True)
            .only(*OperationSerializer.Meta.fields)
            .first()
        )
        if row is None:
            if not User.objects.filter(pk=user_id, is_active=True).exists():
                return "inactive", None
        return "ok", row
    finally:
        connection.close()  # back to the pool: a waiting client holds no connection


# thread_sensitive=False: a shared executor thread for the query only, never one per waiter.
_read = sync_to_async(_read_sync, thread_sensitive=False)


# HTTP plumbing -----------------------------------------------------------------------------


def _cors_headers(scope) -> list[tuple[bytes, bytes]]:
    origin = dict(scope["headers"]).get(b"origin", b"").decode()
    allowed = getattr(settings, "CORS_ALLOWED_ORIGINS", [])
    if not origin or origin not in allowed:
        return []
    expose = ", ".join(getattr(settings, "CORS_EXPOSE_HEADERS", ["Location", "Retry-After"]))
    return [
        (b"access-control-allow-origin", origin.encode()),
        (b"access-control-expose-headers", expose.encode()),
        (b"vary", b"origin"),
    ]


async def _send_json(send, scope, status: int, body: dict, *, content_type: str, headers=()) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type.encode()),
                (b"content-length", str(len(payload)).encode()),
                (b"cache-control", b"no-store"),
                *headers,
                *_cors_headers(scope),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload if scope["method"] != "HEAD" else b""})


async def _problem(send, scope, status: int, code: str, detail: str, *, errors=None, headers=()) -> None:
    await _send_json(
        send,
        scope,
        status,
        problem(status, code, detail, errors=errors),
        content_type=PROBLEM_CONTENT_TYPE,
        headers=headers,
    )


def _bearer(scope) -> str | None:
    header = dict(scope["headers"]).get(b"authorization", b"").decode()
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _serialize(operation: Operation) -> bytes:
    return JSONRenderer().render(OperationSerializer(operation).data)


# The endpoints -----------------------------------------------------------------------------


async def handle(scope, receive, send, match: re.Match) -> None:
    """Authenticate exactly as the plain GET does (401 / 404 NOT_FOUND), then wait or stream."""
    www = [(b"www-authenticate", b'Bearer realm="api"')]
    raw = _bearer(scope)
    if raw is None:
        return await _problem(
            send, scope, 401, "NOT_AUTHENTICATED", "Authentication credentials were not provided.", headers=www
        )
    try:
        user_id = token_user_id(AccessToken(raw))
    except (TokenError, InvalidToken):
        return await _problem(
            send, scope, 401, "INVALID_TOKEN", "The access token is invalid or has expired.", headers=www
        )
    try:
        operation_id = str(uuid.UUID(match["id"]))
    except ValueError:
        return await _problem(send, scope, 404, "NOT_FOUND", "Not found.")

    wait = 0
    if not match["events"]:
        values = parse_qs(scope.get("query_string", b"").decode(), keep_blank_values=True).get("wait", [""])
        try:
            wait = parse_wait(values[-1])
        except ValidationError as exc:
            detail = str(exc.detail["wait"][0])
            return await _problem(
                send, scope, 400, "VALIDATION_ERROR", detail, errors=[{"field": "wait", "message": detail}]
            )

    with hub.subscribe(operation_id) as event:  # subscribe first: no change slips in between
        state, operation = await _read(operation_id, user_id)
        if state == "inactive":
            return await _problem(
                send, scope, 401, "INVALID_TOKEN", "The access token is invalid or has expired.", headers=www
            )
        if operation is None:
            return await _problem(send, scope, 404, "NOT_FOUND", "Not found.")
        if match["events"]:
            return await _stream(scope, receive, send, operation, operation_id, user_id, event)
        return await _long_poll(scope, send, operation, operation_id, user_id, event, wait)


async def _next_change(operation, operation_id, user_id, event, deadline) -> Operation | None:
    """Wait until the status differs from ``operation.status`` or the deadline; None if gone.

    With the listener up, only a notification (or the deadline) triggers a read; without
    it, the row is re-read every FALLBACK_POLL_SECONDS.
    """
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return operation
        listening = hub.listening
        try:
            await asyncio.wait_for(event.wait(), remaining if listening else min(remaining, FALLBACK_POLL_SECONDS))
            event.clear()
        except TimeoutError:
            if listening:
                return operation  # the deadline passed and nothing was published
        _state, fresh = await _read(operation_id, user_id)
        if fresh is None or fresh.status != operation.status:
            return fresh
        operation = fresh


async def _long_poll(scope, send, operation, operation_id, user_id, event, wait: int) -> None:
    if wait and not operation.is_finished:
        operation = await _next_change(operation, operation_id, user_id, event, time.monotonic() + wait)
        if operation is None:
            return await _problem(send, scope, 404, "NOT_FOUND", "Not found.")
    headers = [] if operation.is_finished else [(b"retry-after", str(RETRY_AFTER_SECONDS).encode())]
    body = _serialize(operation)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
                *headers,
                *_cors_headers(scope),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body if scope["method"] != "HEAD" else b""})


async def _stream(scope, receive, send, operation, operation_id, user_id, event) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"text/event-stream"),
                (b"cache-control", b"no-store"),
                (b"x-accel-buffering", b"no"),  # nginx: do not buffer the stream
                *_cors_headers(scope),
            ],
        }
    )

    async def emit(op: Operation) -> None:
        data = b"event: operation\nid: " + op.status.encode() + b"\ndata: " + _serialize(op) + b"\n\n"
        await send({"type": "http.response.body", "body": data, "more_body": True})

    disconnected = asyncio.Event()

    async def watch_disconnect() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        disconnected.set()

    watcher = asyncio.get_running_loop().create_task(watch_disconnect())
    try:
        await emit(operation)
        end = time.monotonic() + SSE_MAX_SECONDS
        while not operation.is_finished and not disconnected.is_set() and time.monotonic() < end:
            deadline = min(end, time.monotonic() + SSE_HEARTBEAT_SECONDS)
            fresh = await _next_change(operation, operation_id, user_id, event, deadline)
            if fresh is None:
                break
            if fresh.status != operation.status:
                await emit(fresh)
            else:
                await send({"type": "http.response.body", "body": b": keep-alive\n\n", "more_body": True})
            operation = fresh
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    finally:
        watcher.cancel()
