"""Long-poll (?wait=N) and Server-Sent Events against a real uvicorn process on config.asgi."""

import asyncio
import json
import re
import threading
import time

import httpx2
import pytest
from django.db import connection, transaction

from conftest import auth_client
from operations import services
from operations.models import Operation
from operations.notify import notify_status
from tests.factories import OperationFactory, UserFactory
from tests.processes import AsgiWeb, service_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture(scope="module")
def asgi(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        server = AsgiWeb(env=service_env(CORS_ALLOWED_ORIGINS="http://spa.example"))
    yield server
    server.stop()


def bearer(user) -> dict[str, str]:
    credentials = auth_client(user)._credentials  # type: ignore[attr-defined]  # APIClient's own, not in the stub
    return {"Authorization": credentials["HTTP_AUTHORIZATION"]}


def later(seconds, fn):
    def run():
        try:
            fn()
        finally:
            connection.close()

    timer = threading.Timer(seconds, run)
    timer.start()
    return timer


def test_long_poll_answers_when_the_status_changes(asgi):
    op = OperationFactory()
    timer = later(0.5, lambda: services.operation_claim(operation_id=op.pk))
    started = time.monotonic()
    response = httpx2.get(f"{asgi.url}/api/v1/operations/{op.pk}?wait=30", headers=bearer(op.user), timeout=40)
    elapsed = time.monotonic() - started
    timer.join()

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "processing"
    assert body["id"] == str(op.pk)
    assert response.headers["retry-after"] == "2"
    assert elapsed < 20, "woken by the change, not by the 30 s timeout"
    # ... through PostgreSQL LISTEN/NOTIFY, not the fallback poll.
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'operation-status-listener'")
        assert cursor.fetchone()[0] >= 1


def test_a_cancel_wakes_the_waiter_and_ends_it(asgi):
    op = OperationFactory(processing=True)
    timer = later(0.5, lambda: services.operation_cancel(operation=Operation.objects.get(pk=op.pk)))
    response = httpx2.get(f"{asgi.url}/api/v1/operations/{op.pk}?wait=30", headers=bearer(op.user), timeout=40)
    timer.join()

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert "retry-after" not in response.headers  # finished


def test_long_poll_times_out_with_the_current_state(asgi):
    op = OperationFactory()
    response = httpx2.get(f"{asgi.url}/api/v1/operations/{op.pk}?wait=1", headers=bearer(op.user), timeout=10)
    assert response.status_code == 200
    assert response.json()["status"] == "pending"
    assert response.headers["retry-after"] == "2"


def test_long_poll_body_is_the_plain_get_body(asgi):
    op = OperationFactory(completed=True)
    waited = httpx2.get(f"{asgi.url}/api/v1/operations/{op.pk}?wait=5", headers=bearer(op.user), timeout=10)
    plain = auth_client(op.user).get(f"/api/v1/operations/{op.pk}")
    assert waited.status_code == 200
    assert waited.json() == plain.json()
    assert "retry-after" not in waited.headers  # finished: answered at once, nothing to retry


@pytest.mark.parametrize("suffix", ["?wait=5", "/events"])
def test_waiting_checks_ownership_like_the_plain_get(asgi, suffix):
    op = OperationFactory()
    stranger = UserFactory()
    cases = [
        (f"/api/v1/operations/{op.pk}{suffix}", bearer(stranger), 404, "NOT_FOUND"),
        (f"/api/v1/operations/00000000-0000-0000-0000-000000000000{suffix}", bearer(op.user), 404, "NOT_FOUND"),
        (f"/api/v1/operations/not-a-uuid{suffix}", bearer(op.user), 404, "NOT_FOUND"),
        (f"/api/v1/operations/{op.pk}{suffix}", {}, 401, "NOT_AUTHENTICATED"),
        (f"/api/v1/operations/{op.pk}{suffix}", {"Authorization": "Bearer garbage"}, 401, "INVALID_TOKEN"),
    ]
    for path, headers, status, code in cases:
        response = httpx2.get(f"{asgi.url}{path}", headers=headers, timeout=10)
        assert response.status_code == status, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == code
    assert Operation.objects.get(pk=op.pk).status == "pending"


@pytest.mark.parametrize("wait", ["abc", "-1", "31", ""])
def test_wait_must_be_0_to_30(asgi, wait):
    op = OperationFactory()
    response = httpx2.get(f"{asgi.url}/api/v1/operations/{op.pk}?wait={wait}", headers=bearer(op.user), timeout=10)
    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert response.json()["errors"][0]["field"] == "wait"


def test_server_sent_events_stream_every_change_then_end(asgi):
    op = OperationFactory()

    def progress():
        claimed = services.operation_claim(operation_id=op.pk)
        time.sleep(0.3)
        services.operation_complete(operation=claimed, result={"overall_score": 83})

    timer = later(0.5, progress)
    events = []
    with httpx2.stream(
        "GET", f"{asgi.url}/api/v1/operations/{op.pk}/events", headers=bearer(op.user), timeout=30
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[len("data: ") :]))
    timer.join()

    assert [e["status"] for e in events] == ["pending", "processing", "completed"]
    assert events[-1]["result"] == {"overall_score": 83}


def test_two_hundred_concurrent_waiters_all_receive_their_update(asgi):
    ops = [OperationFactory() for _ in range(200)]
    headers = {op.pk: bearer(op.user) for op in ops}

    def claim_all():
        try:
            for op in ops:
                services.operation_claim(operation_id=op.pk)
        finally:
            connection.close()

    async def wait_all():
        limits = httpx2.Limits(max_connections=250)
        async with httpx2.AsyncClient(base_url=asgi.url, timeout=60, limits=limits) as client:
            tasks = [
                asyncio.create_task(client.get(f"/api/v1/operations/{op.pk}?wait=30", headers=headers[op.pk]))
                for op in ops
            ]
            await asyncio.sleep(2)  # all 200 are waiting now
            await asyncio.to_thread(claim_all)
            return await asyncio.gather(*tasks)

    started = time.monotonic()
    responses = asyncio.run(wait_all())
    elapsed = time.monotonic() - started

    assert [r.status_code for r in responses] == [200] * 200
    assert {r.json()["status"] for r in responses} == {"processing"}
    assert elapsed < 25, "every waiter was woken by its change, not by the timeout"


def _counters(asgi) -> dict[str, float]:
    text = httpx2.get(f"{asgi.url}/metrics", timeout=10).text
    found = re.findall(r'^(operation_waiter_(?:wakeups|batch_reads)_total(?:\{read="\w+"\})?) (\S+)$', text, re.M)
    return {name: float(value) for name, value in found}


def test_a_burst_of_changes_is_read_in_a_few_queries_not_one_per_waiter(asgi):
    """100 operations change in one commit: their 100 waiters are handed their rows by the listener's
    batched read (operation_waiter_batch_reads_total), none reads on its own."""
    ops = [OperationFactory() for _ in range(100)]
    headers = {op.pk: bearer(op.user) for op in ops}

    def flip_all_at_once():
        try:
            with transaction.atomic():
                Operation.objects.filter(pk__in=[op.pk for op in ops]).update(status=Operation.Status.PROCESSING)
                for op in ops:
                    notify_status(operation_id=op.pk, status=Operation.Status.PROCESSING)
        finally:
            connection.close()

    async def wait_all():
        async with httpx2.AsyncClient(base_url=asgi.url, timeout=60, limits=httpx2.Limits(max_connections=150)) as c:
            tasks = [
                asyncio.create_task(c.get(f"/api/v1/operations/{op.pk}?wait=30", headers=headers[op.pk])) for op in ops
            ]
            await asyncio.sleep(2)  # all 100 are waiting now
            await asyncio.to_thread(flip_all_at_once)
            return await asyncio.gather(*tasks)

    before = _counters(asgi)
    responses = asyncio.run(wait_all())
    after = _counters(asgi)

    assert [r.status_code for r in responses] == [200] * 100
    assert {r.json()["status"] for r in responses} == {"processing"}
    delta = {name: after.get(name, 0) - before.get(name, 0) for name in after}
    assert delta['operation_waiter_wakeups_total{read="batched"}'] == 100
    assert delta.get('operation_waiter_wakeups_total{read="own"}', 0) == 0
    assert 1 <= delta["operation_waiter_batch_reads_total"] <= 10


def test_waiting_answers_carry_cors_headers_for_the_spa(asgi):
    op = OperationFactory(completed=True)
    headers = {**bearer(op.user), "Origin": "http://spa.example"}
    allowed = httpx2.get(f"{asgi.url}/api/v1/operations/{op.pk}?wait=1", headers=headers, timeout=10)
    assert allowed.headers["access-control-allow-origin"] == "http://spa.example"
    assert "Retry-After" in allowed.headers["access-control-expose-headers"]
    other = httpx2.get(
        f"{asgi.url}/api/v1/operations/{op.pk}?wait=1",
        headers={**bearer(op.user), "Origin": "http://evil.example"},
        timeout=10,
    )
    assert "access-control-allow-origin" not in other.headers
