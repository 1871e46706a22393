"""End to end through real processes: HTTP API -> Redis -> a real `celery worker` -> fake model."""

import time
from concurrent.futures import ThreadPoolExecutor

import httpx2
import pytest
import redis
from django.conf import settings

from conftest import auth_client
from feedback.models import InterviewFeedback
from operations.models import Operation
from tests.factories import ResumeFactory, UserFactory, completed_session_with_answers
from tests.fake_openai import Reply
from tests.processes import running_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def clean_broker():
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.flushdb()
    yield broker
    broker.flushdb()


def poll_until_finished(client, operation_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/api/v1/operations/{operation_id}").json()
        if body["status"] in ("completed", "failed"):
            return body
        time.sleep(0.2)
    raise AssertionError(f"operation {operation_id} still {body['status']} after {timeout}s")


def test_post_poll_completed_feedback_stored(fake_llm, clean_broker):
    user = UserFactory()
    ResumeFactory(user=user)
    session = completed_session_with_answers(user=user, pairs=3)
    client = auth_client(user)
    fake_llm.default = Reply.feedback(delay=0.5)

    with running_worker():
        accepted = client.post(f"/api/v1/sessions/{session.id}/generate-feedback")
        assert accepted.status_code == 202
        operation = poll_until_finished(client, accepted.json()["id"])

    assert operation["status"] == "completed", operation
    feedback = client.get(f"/api/v1/sessions/{session.id}/feedback")
    assert feedback.status_code == 200
    assert operation["result"] == feedback.json()
    assert feedback.json()["overall_score"] == 83
    assert InterviewFeedback.objects.filter(session=session).count() == 1
    assert len(fake_llm.calls) == 1


def test_failure_reaches_the_client_as_a_failed_operation(fake_llm, clean_broker):
    user = UserFactory()
    session = completed_session_with_answers(user=user)
    client = auth_client(user)
    fake_llm.default = Reply.error(401, "invalid_api_key", "Incorrect API key provided")

    with running_worker():
        accepted = client.post(f"/api/v1/sessions/{session.id}/generate-feedback")
        operation = poll_until_finished(client, accepted.json()["id"])

    assert operation["status"] == "failed"
    assert operation["error_code"] == "AI_AUTH_FAILED"
    assert "Incorrect API key" not in operation["error_message"]
    assert not InterviewFeedback.objects.filter(session=session).exists()


def test_concurrent_posts_create_one_operation(live_server, fake_llm, clean_broker, settings):
    """Many simultaneous requests over real HTTP: one Operation, every answer 202 with its id."""
    settings.FEEDBACK_RATE_LIMIT = "100/hour"  # 32 requests from one user; the limit is tested elsewhere
    user = UserFactory()
    session = completed_session_with_answers(user=user)
    token = auth_client(user)._credentials["HTTP_AUTHORIZATION"]
    url = f"{live_server.url}/api/v1/sessions/{session.id}/generate-feedback"

    def post(_):
        return httpx2.post(url, headers={"Authorization": token}, timeout=30)

    with ThreadPoolExecutor(max_workers=16) as pool:
        responses = list(pool.map(post, range(32)))

    statuses = {r.status_code for r in responses}
    assert statuses <= {202, 409}, [r.text for r in responses if r.status_code not in (202, 409)]
    ids = {r.json()["id"] for r in responses if r.status_code == 202}
    operations = Operation.objects.filter(session=session)
    assert operations.count() == 1
    assert ids == {str(operations.get().id)}
    assert clean_broker.llen("celery") == 1  # enqueued once


def test_worker_with_more_threads_than_pool_slots_does_not_starve(fake_llm, clean_broker):
    """8 threads, 2 pooled connections, 1 s model calls: no thread holds a connection while it waits."""
    from tests.processes import service_env

    user = UserFactory()
    sessions = [completed_session_with_answers(user=user) for _ in range(8)]
    client = auth_client(user)
    fake_llm.default = Reply.feedback(delay=1.0)
    env = service_env(DB_POOL_MAX_SIZE="2", DB_POOL_TIMEOUT="3")

    with running_worker(concurrency=8, env=env):
        ids = [client.post(f"/api/v1/sessions/{s.id}/generate-feedback").json()["id"] for s in sessions]
        results = [poll_until_finished(client, op_id) for op_id in ids]

    assert [r["status"] for r in results] == ["completed"] * 8, results
    assert fake_llm.max_in_flight > 2  # the calls really overlapped beyond the pool's size
