"""The waiting endpoints behind the same gate as every other: hosts, headers, CORS, tokens, caps, tickets.

Against a real uvicorn process on config.asgi (the long-poll and the stream only wait under ASGI).
"""

import asyncio
import os
import time
from datetime import timedelta
from pathlib import Path

import httpx2
import jwt
import pytest
from django.db import connection
from django.utils import timezone
from freezegun import freeze_time

from accounts.models import User
from conftest import auth_client
from operations import waiting
from operations.models import Operation
from tests.factories import OperationFactory, UserFactory
from tests.processes import AsgiWeb, service_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

SPA_REGEX = r"^https://[a-z0-9-]+\.preview\.spa\.example$"


@pytest.fixture(scope="module")
def asgi(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        server = AsgiWeb(
            env=service_env(
                CORS_ALLOWED_ORIGIN_REGEXES=SPA_REGEX,
                WAIT_MAX_PER_USER="2",
                DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            )
        )
    yield server
    server.stop()


def bearer(user) -> dict[str, str]:
    credentials = auth_client(user)._credentials  # type: ignore[attr-defined]  # APIClient's own, not in the stub
    return {"Authorization": credentials["HTTP_AUTHORIZATION"]}


def get(asgi, path, **kwargs) -> httpx2.Response:
    return httpx2.get(f"{asgi.url}{path}", timeout=15, **kwargs)


WAITING = ["?wait=1", "/events"]


@pytest.mark.parametrize("suffix", WAITING)
def test_an_unknown_host_is_refused_as_everywhere(asgi, suffix):
    op = OperationFactory(completed=True)
    response = get(asgi, f"/api/v1/operations/{op.pk}{suffix}", headers={**bearer(op.user), "Host": "evil.example"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("suffix", WAITING)
def test_answers_carry_the_security_headers_request_id_and_cors_regex(asgi, suffix):
    op = OperationFactory(completed=True)
    origin = "https://pr-42.preview.spa.example"
    response = get(
        asgi,
        f"/api/v1/operations/{op.pk}{suffix}",
        headers={**bearer(op.user), "Origin": origin, "X-Request-ID": "r-1"},
    )
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-request-id"] == "r-1"
    assert response.headers["access-control-allow-origin"] == origin  # a regex-allowed origin
    assert "Retry-After" in response.headers["access-control-expose-headers"]


def forged(user, **claims) -> str:
    payload = {"token_type": "access", "user_id": str(user.pk), "jti": "x", "exp": int(time.time()) + 300, **claims}
    return jwt.encode(payload, "not-our-signing-key-0123456789abcdef0123456789", algorithm="HS256")


@pytest.mark.parametrize("suffix", WAITING)
def test_forged_and_misused_tokens_are_401(asgi, suffix):
    op = OperationFactory(completed=True)
    revoked = bearer(op.user)["Authorization"]
    User.objects.filter(pk=op.user.pk).update(token_version=1)  # a password change since
    token = bearer(op.user)["Authorization"].split()[1]
    cases = {
        "forged": {"Authorization": f"Bearer {forged(op.user)}"},
        "lowercase scheme": {"Authorization": f"bearer {token}"},  # DRF's own header check: refused as everywhere
        "revoked": {"Authorization": revoked},
        "not a bearer": {"Authorization": f"Token {token}"},
    }
    for name, headers in cases.items():
        response = get(asgi, f"/api/v1/operations/{op.pk}{suffix}", headers=headers)
        assert response.status_code == 401, name
        assert response.json()["code"] in ("INVALID_TOKEN", "NOT_AUTHENTICATED"), name
        assert response.headers["www-authenticate"] == 'Bearer realm="api"'
    assert (
        get(asgi, f"/api/v1/operations/{op.pk}{suffix}", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )


def test_waiters_are_capped_per_user(asgi):
    user = UserFactory()
    ops = [OperationFactory(user=user) for _ in range(3)]
    other = OperationFactory()
    mine, theirs = bearer(user), bearer(other.user)  # tokens made here: no database calls in the event loop

    async def scenario():
        async with httpx2.AsyncClient(base_url=asgi.url, timeout=30) as client:
            waiting_now = [
                asyncio.create_task(client.get(f"/api/v1/operations/{op.pk}?wait=4", headers=mine)) for op in ops[:2]
            ]
            await asyncio.sleep(1.0)  # both are waiting
            third = await client.get(f"/api/v1/operations/{ops[2].pk}?wait=4", headers=mine)
            stream = await client.get(f"/api/v1/operations/{ops[2].pk}/events", headers=mine)
            someone_else = await client.get(f"/api/v1/operations/{other.pk}?wait=1", headers=theirs)
            return third, stream, someone_else, await asyncio.gather(*waiting_now)

    third, stream, someone_else, first_two = asyncio.run(scenario())
    assert (third.status_code, third.json()["code"]) == (429, "RATE_LIMITED")
    assert third.headers["retry-after"] == "2"
    assert stream.status_code == 429
    assert someone_else.status_code == 200  # the cap is per user
    assert [r.status_code for r in first_two] == [200, 200]
    # Once they are done, the user may wait again.
    assert get(asgi, f"/api/v1/operations/{ops[2].pk}?wait=0", headers=bearer(user)).status_code == 200


def test_two_hundred_waiters_hold_no_thread_each(asgi):
    users = [UserFactory() for _ in range(100)]
    ops = [OperationFactory(user=u) for u in users for _ in range(2)]
    headers = {op.pk: bearer(op.user) for op in ops}

    def threads() -> int:
        status = Path(f"/proc/{asgi.proc.pid}/status").read_text()
        return int(next(line.split()[1] for line in status.splitlines() if line.startswith("Threads:")))

    async def scenario():
        limits = httpx2.Limits(max_connections=250)
        async with httpx2.AsyncClient(base_url=asgi.url, timeout=30, limits=limits) as client:
            tasks = [
                asyncio.create_task(client.get(f"/api/v1/operations/{op.pk}?wait=5", headers=headers[op.pk]))
                for op in ops
            ]
            await asyncio.sleep(2.5)
            during = threads()
            return during, await asyncio.gather(*tasks)

    during, responses = asyncio.run(scenario())
    assert [r.status_code for r in responses] == [200] * 200
    # A thread per waiter would be 200+; the process keeps its small fixed pool.
    assert during < 40, during


# Stream tickets -----------------------------------------------------------------------------


def ticket_for(op) -> str:
    response = auth_client(op.user).post(f"/api/v1/operations/{op.pk}/stream-ticket")
    assert response.status_code == 201
    assert response.json()["expires_in"] == 60
    return response.json()["ticket"]


def test_a_ticket_opens_its_operations_stream_from_a_browser(asgi):
    op = OperationFactory(completed=True)
    ticket = ticket_for(op)

    response = get(asgi, f"/api/v1/operations/{op.pk}/events?ticket={ticket}")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert f'"id":"{op.pk}"' in response.text and "event: operation" in response.text
    # An EventSource reconnecting after the final event is told to stop.
    again = get(asgi, f"/api/v1/operations/{op.pk}/events?ticket={ticket}", headers={"Last-Event-ID": "completed"})
    assert again.status_code == 204


def test_a_ticket_works_nowhere_else(asgi):
    op = OperationFactory(completed=True)
    other_op = OperationFactory(user=op.user, completed=True)
    strangers_op = OperationFactory(completed=True)
    ticket = ticket_for(op)

    refused = {
        "another operation's stream": get(asgi, f"/api/v1/operations/{other_op.pk}/events?ticket={ticket}"),
        "another user's operation": get(asgi, f"/api/v1/operations/{strangers_op.pk}/events?ticket={ticket}"),
        "the long-poll": get(asgi, f"/api/v1/operations/{op.pk}?wait=1&ticket={ticket}"),
        "the plain GET": get(asgi, f"/api/v1/operations/{op.pk}?ticket={ticket}"),
        "as a bearer token": get(
            asgi, f"/api/v1/operations/{op.pk}/events", headers={"Authorization": f"Bearer {ticket}"}
        ),
        "the operations list": get(asgi, f"/api/v1/operations?ticket={ticket}"),
    }
    for name, response in refused.items():
        assert response.status_code == 401, name


def test_an_expired_ticket_or_a_revoked_user_is_refused(asgi):
    op = OperationFactory(completed=True)
    with freeze_time(timezone.now() - timedelta(seconds=61)):
        stale = waiting.stream_ticket_issue(operation=op)
    assert get(asgi, f"/api/v1/operations/{op.pk}/events?ticket={stale}").status_code == 401
    fresh = ticket_for(op)
    User.objects.filter(pk=op.user.pk).update(token_version=1)  # a password change: tickets die too
    assert get(asgi, f"/api/v1/operations/{op.pk}/events?ticket={fresh}").status_code == 401


# The listener connects as Django does ------------------------------------------------------


def test_the_listener_uses_the_databases_full_options(settings):
    settings.DATABASES["default"]["OPTIONS"] = {**settings.DATABASES["default"]["OPTIONS"], "sslmode": "prefer"}
    try:
        connection.settings_dict["OPTIONS"]["sslmode"] = "prefer"
        params = waiting.StatusHub._conninfo()
    finally:
        connection.settings_dict["OPTIONS"].pop("sslmode", None)
    assert params["sslmode"] == "prefer"
    assert params["application_name"] == "operation-status-listener"
    assert "cursor_factory" not in params and "pool" not in params
    assert os.environ.get("DJANGO_SETTINGS_MODULE") == "config.settings.test"
    assert Operation.objects.count() >= 0  # the test database is reachable with the same parameters
