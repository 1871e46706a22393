"""Faults injected for real: killed workers, Redis down, PostgreSQL restarted, duplicate delivery.

Each test starts the processes it needs (celery worker / beat, gunicorn, a private Redis or
PostgreSQL) with short leases and sweep intervals so recovery happens within seconds.
"""

import subprocess
import sys
import threading
import time

import httpx2
import pytest
import redis
from django.conf import settings
from django.db import connection

from conftest import auth_client
from feedback.models import InterviewFeedback
from feedback.tasks import generate_feedback_task
from operations.models import Operation
from tests.factories import OperationFactory, UserFactory, completed_session_with_answers
from tests.fake_openai import Reply
from tests.processes import ROOT, Beat, PrivatePostgres, PrivateRedis, Web, Worker, running_worker, service_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

# Short, and still coherent (the worker refuses incoherent time budgets: common/checks.py):
# a run of two 1.5-s calls, quick store retries and the fixed 15 s of overhead and margin fits
# in a 20-s lease.
FAST_RECOVERY = {
    "OPENAI_TIMEOUT_SECONDS": "1",
    "OPENAI_CONNECT_TIMEOUT_SECONDS": "0.5",
    "OPERATION_STORE_RETRY_DELAYS": "0.1,0.2",
    "OPERATION_LEASE_SECONDS": "20",
    "OPERATION_DEADLINE_SECONDS": "20",
    "OPERATION_PENDING_GRACE_SECONDS": "2",
    "OPERATION_RECOVERY_INTERVAL_SECONDS": "1",
}


@pytest.fixture
def clean_broker():
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.flushdb()
    yield broker
    broker.flushdb()


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def finished(operation_id):
    op = Operation.objects.get(pk=operation_id)
    return op if op.is_finished else None


def request_feedback(user, session) -> str:
    response = auth_client(user).post(f"/api/v1/sessions/{session.id}/generate-feedback")
    assert response.status_code == 202
    return response.json()["id"]


def test_worker_killed_mid_analysis_is_taken_up_by_a_new_worker(fake_llm, clean_broker):
    user = UserFactory()
    session = completed_session_with_answers(user=user)
    fake_llm.push(Reply.feedback(delay=60))  # the first call hangs while we kill its worker
    env = service_env(**FAST_RECOVERY)
    beat = Beat(env=env)
    first = Worker(env=env)
    try:
        first.wait_ready()
        operation_id = request_feedback(user, session)
        wait_for(lambda: fake_llm.calls, 30, "the model call to start")
        first.kill()  # SIGKILL: no warm shutdown, no ack

        with running_worker(env=env):
            op = wait_for(lambda: finished(operation_id), 60, "the operation to finish")
    finally:
        first.kill()
        beat.stop()

    assert op.status == Operation.Status.COMPLETED, (op.error_code, first.output()[-2000:])
    assert op.attempts == 2 and op.recoveries == 1
    assert InterviewFeedback.objects.filter(session=session).count() == 1
    assert len(fake_llm.calls) == 2


def test_worker_killed_past_the_bound_fails_worker_lost(fake_llm, clean_broker):
    user = UserFactory()
    session = completed_session_with_answers(user=user)
    fake_llm.default = Reply.feedback(delay=60)
    env = service_env(**FAST_RECOVERY, OPERATION_MAX_RECOVERIES="0")
    beat = Beat(env=env)
    worker = Worker(env=env)
    try:
        worker.wait_ready()
        operation_id = request_feedback(user, session)
        wait_for(lambda: fake_llm.calls, 30, "the model call to start")
        worker.kill()
        with running_worker(env=env):  # the sweep itself runs on a worker
            op = wait_for(lambda: finished(operation_id), 30, "the operation to fail")
    finally:
        worker.kill()
        beat.stop()

    assert (op.status, op.error_code) == ("failed", "WORKER_LOST")
    assert not InterviewFeedback.objects.filter(session=session).exists()


def test_redis_down_at_commit_answers_202_fast_and_work_starts_when_it_is_back(fake_llm):
    user = UserFactory()
    session = completed_session_with_answers(user=user)
    token = auth_client(user)._credentials["HTTP_AUTHORIZATION"]
    private = PrivateRedis()
    private.start()
    env = service_env(CELERY_BROKER_URL=private.url, **FAST_RECOVERY)
    web, beat, worker = Web(env=env), Beat(env=env), Worker(env=env)
    try:
        worker.wait_ready()
        private.stop()  # the broker dies; web, worker and beat keep running

        started = time.monotonic()
        response = httpx2.post(
            f"{web.url}/api/v1/sessions/{session.id}/generate-feedback",
            headers={"Authorization": token},
            timeout=60,
        )
        elapsed = time.monotonic() - started
        assert response.status_code == 202, response.text
        assert elapsed < 15, f"the request hung for {elapsed:.1f}s with the broker down"
        operation_id = response.json()["id"]
        assert Operation.objects.get(pk=operation_id).status == Operation.Status.PENDING  # durable

        private.start()  # same port: worker and beat reconnect by themselves
        op = wait_for(lambda: finished(operation_id), 90, "the operation to finish after Redis came back")
    finally:
        for proc in (web, beat, worker):
            proc.stop()
        private.stop()

    assert op.status == Operation.Status.COMPLETED, (op.error_code, worker.output()[-3000:])
    assert InterviewFeedback.objects.filter(session=session).count() == 1


def test_duplicate_concurrent_delivery_calls_the_model_once(fake_llm):
    user = UserFactory()
    session = completed_session_with_answers(user=user)
    op = OperationFactory(user=user, session=session)
    fake_llm.default = Reply.feedback(delay=1.0)
    outcomes = []
    barrier = threading.Barrier(2)

    def deliver():
        barrier.wait()
        outcomes.append(generate_feedback_task.apply(kwargs={"operation_id": str(op.pk)}).get())
        connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["completed", "not-claimed"]
    assert len(fake_llm.calls) == 1
    assert InterviewFeedback.objects.filter(session=session).count() == 1


def _migrate(url: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=service_env(DATABASE_URL=url),
        check=True,
        stdout=subprocess.DEVNULL,
    )


def test_postgres_restart_gives_503_then_web_and_worker_recover(fake_llm, clean_broker):
    pg = PrivatePostgres()
    pg.start()
    try:
        _migrate(pg.url)
        env = service_env(DATABASE_URL=pg.url, DB_CONNECT_TIMEOUT="2", DB_POOL_TIMEOUT="3", **FAST_RECOVERY)
        web, worker, beat = Web(env=env), Worker(env=env), Beat(env=env)
        try:
            worker.wait_ready()
            client = httpx2.Client(base_url=web.url, timeout=30)
            credentials = {"email": "pg@example.com", "password": "a-long-enough-password"}
            assert client.post("/api/v1/auth/register", json=credentials).status_code == 201
            token = client.post("/api/v1/auth/login", json=credentials).json()["access_token"]
            client.headers["Authorization"] = f"Bearer {token}"
            assert client.get("/api/v1/users/me").status_code == 200

            pg.stop()
            during = client.get("/api/v1/job-postings")  # (/users/me may answer from the cached user)
            login = client.post("/api/v1/auth/login", json=credentials)
            pg.start()

            for response in (during, login):
                assert response.status_code == 503, response.text
                assert response.headers["content-type"] == "application/problem+json"
                body = response.json()
                assert body["code"] == "SERVICE_UNAVAILABLE"
                assert "Traceback" not in response.text and "psycopg" not in response.text

            # Both recover without a restart: the web serves again, the worker runs a task.
            wait_for(lambda: client.get("/api/v1/users/me").status_code == 200, 30, "the web to recover")
            job = client.post("/api/v1/job-postings", json={"title": "T", "description": "D"}).json()
            sid = client.post("/api/v1/sessions", json={"job_posting_id": job["id"]}).json()["id"]
            client.post(f"/api/v1/sessions/{sid}/questions", json={"content": "Why?"})
            client.post(f"/api/v1/sessions/{sid}/answers", json={"answer_text": "Because."})
            client.post(f"/api/v1/sessions/{sid}/complete")
            accepted = client.post(f"/api/v1/sessions/{sid}/generate-feedback")
            assert accepted.status_code == 202, accepted.text
            op_id = accepted.json()["id"]
            try:
                body = wait_for(
                    lambda: (
                        (b := client.get(f"/api/v1/operations/{op_id}").json())["status"] in ("completed", "failed")
                        and b
                    ),
                    60,
                    "the worker to finish after the restart",
                )
            except AssertionError:
                raise AssertionError(worker.output()[-6000:]) from None
            assert body["status"] == "completed", (body, worker.output()[-3000:])
        finally:
            web.stop()
            worker.stop()
            beat.stop()
    finally:
        pg.destroy()


def test_redis_restarted_under_a_running_worker_loses_no_queued_operation(fake_llm):
    """Redis restarts empty (no persistence) with work queued: the Operation rows bring it all back."""
    user = UserFactory()
    sessions = [completed_session_with_answers(user=user) for _ in range(3)]
    token = auth_client(user)._credentials["HTTP_AUTHORIZATION"]
    fake_llm.default = Reply.feedback(delay=0.6)  # within FAST_RECOVERY's 1-s model timeout
    private = PrivateRedis()
    private.start()
    env = service_env(CELERY_BROKER_URL=private.url, **FAST_RECOVERY)
    web, beat, worker = Web(env=env), Beat(env=env), Worker(env=env, concurrency=1)
    try:
        worker.wait_ready()
        ids = []
        for session in sessions:
            response = httpx2.post(
                f"{web.url}/api/v1/sessions/{session.id}/generate-feedback",
                headers={"Authorization": token},
                timeout=30,
            )
            assert response.status_code == 202, response.text
            ids.append(response.json()["id"])
        wait_for(lambda: fake_llm.calls, 30, "the first analysis to start")
        assert Operation.objects.filter(pk__in=ids, status="pending").count() == 2  # queued in Redis

        private.stop()  # SIGKILL: the queue is gone with it
        private.start()

        ops = [wait_for(lambda op_id=op_id: finished(op_id), 90, "every operation to finish") for op_id in ids]
    finally:
        for proc in (web, beat, worker):
            proc.stop()
        private.stop()

    assert [op.status for op in ops] == ["completed"] * 3, [(op.status, op.error_code) for op in ops]
    assert InterviewFeedback.objects.filter(session__in=sessions).count() == 3
    assert len(fake_llm.calls) == 3  # nothing analysed twice


def test_a_store_that_fails_on_a_database_blip_is_retried_without_a_new_model_call(fake_llm, clean_broker):
    """PostgreSQL stops while the model answers: the run keeps the model's output and retries only the store."""
    pg = PrivatePostgres()
    pg.start()
    try:
        _migrate(pg.url)
        env = service_env(
            DATABASE_URL=pg.url,
            DB_CONNECT_TIMEOUT="1",
            DB_POOL_TIMEOUT="1",  # shorter than the outage: the first store attempt fails
            OPENAI_TIMEOUT_SECONDS="3",
            OPENAI_CONNECT_TIMEOUT_SECONDS="0.5",
            OPERATION_STORE_RETRY_DELAYS="0.5,1,2,4",
            OPERATION_LEASE_SECONDS="40",
            OPERATION_DEADLINE_SECONDS="40",
        )
        web, worker = Web(env=env), Worker(env=env)
        try:
            worker.wait_ready()
            client = httpx2.Client(base_url=web.url, timeout=30)
            credentials = {"email": "blip@example.com", "password": "a-long-enough-password"}
            assert client.post("/api/v1/auth/register", json=credentials).status_code == 201
            client.headers["Authorization"] = (
                "Bearer " + client.post("/api/v1/auth/login", json=credentials).json()["access_token"]
            )
            job = client.post("/api/v1/job-postings", json={"title": "T", "description": "D"}).json()
            sid = client.post("/api/v1/sessions", json={"job_posting_id": job["id"]}).json()["id"]
            client.post(f"/api/v1/sessions/{sid}/questions", json={"content": "Why?"})
            client.post(f"/api/v1/sessions/{sid}/answers", json={"answer_text": "Because."})
            client.post(f"/api/v1/sessions/{sid}/complete")
            fake_llm.default = Reply.feedback(delay=1.5)

            op_id = client.post(f"/api/v1/sessions/{sid}/generate-feedback").json()["id"]
            wait_for(lambda: fake_llm.calls, 30, "the model call to start")
            pg.stop()  # the model is still thinking: its answer arrives with the database gone
            time.sleep(4.0)
            pg.start()

            # (The web answers 503 while the database is away: wait for the operation's own answer.)
            body = wait_for(
                lambda: (
                    ((b := client.get(f"/api/v1/operations/{op_id}").json())["status"] in ("completed", "failed")) and b
                ),
                30,
                "the operation to finish",
            )
        finally:
            web.stop()
            worker.stop()
    finally:
        pg.destroy()

    assert body["status"] == "completed", (body, worker.output()[-3000:])
    assert len(fake_llm.calls) == 1  # the store was retried; the model was not asked again
    assert "retrying in" in worker.output() and "without a new model call" in worker.output()
