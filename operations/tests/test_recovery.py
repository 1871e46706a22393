"""The recovery sweep with frozen time: grace, lease expiry, the bound, WORKER_LOST, concurrency."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import redis
from django.conf import settings
from django.db import connection
from freezegun import freeze_time

from feedback.tasks import generate_feedback_task
from operations import services
from operations.models import Operation
from operations.recovery import WORKER_LOST_MESSAGE, operations_recover
from tests.factories import FeedbackFactory, OperationFactory, completed_session_with_answers

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)


@pytest.fixture
def published(monkeypatch):
    """Record what the sweep publishes instead of sending it (the broker is not under test here)."""
    sent: list[tuple[str, int | None]] = []
    monkeypatch.setattr(
        services, "operation_enqueue", lambda *, operation, attempt=None: sent.append((str(operation.pk), attempt))
    )
    return sent


@pytest.fixture
def settings_defaults(settings):
    settings.OPERATION_PENDING_GRACE_SECONDS = 60
    settings.OPERATION_LEASE_SECONDS = 120
    settings.OPERATION_MAX_RECOVERIES = 3
    return settings


def pending_at(when, user=None):
    with freeze_time(when):
        session = completed_session_with_answers(user=user) if user else completed_session_with_answers()
        return OperationFactory(user=session.user, session=session, dispatched_at=when, created_at=when)


def test_pending_within_grace_is_left_alone(published, settings_defaults, django_capture_on_commit_callbacks):
    op = pending_at(T0)
    with freeze_time(T0 + timedelta(seconds=59)), django_capture_on_commit_callbacks(execute=True):
        result = operations_recover()
    assert result.redispatched_pending == []
    assert published == []
    op.refresh_from_db()
    assert op.dispatched_at == T0


def test_pending_past_grace_is_redispatched_once(published, settings_defaults, django_capture_on_commit_callbacks):
    op = pending_at(T0)
    later = T0 + timedelta(seconds=61)
    with freeze_time(later), django_capture_on_commit_callbacks(execute=True):
        first = operations_recover()
        second = operations_recover()  # same instant: the first stamped dispatched_at
    assert first.redispatched_pending == [str(op.pk)]
    assert second.redispatched_pending == []
    assert published == [(str(op.pk), None)]
    op.refresh_from_db()
    assert op.status == Operation.Status.PENDING
    assert op.dispatched_at == later


def _processing(when, *, attempts=1, recoveries=0, lease=120):
    with freeze_time(when):
        session = completed_session_with_answers()
        return OperationFactory(
            user=session.user,
            session=session,
            status=Operation.Status.PROCESSING,
            attempts=attempts,
            recoveries=recoveries,
            started_at=when,
            lease_expires_at=when + timedelta(seconds=lease),
        )


def test_processing_with_live_lease_is_left_alone(published, settings_defaults, django_capture_on_commit_callbacks):
    op = _processing(T0)
    with freeze_time(T0 + timedelta(seconds=119)), django_capture_on_commit_callbacks(execute=True):
        result = operations_recover()
    assert result.redispatched_processing == [] and published == []
    op.refresh_from_db()
    assert (op.status, op.attempts, op.recoveries) == ("processing", 1, 0)


def test_expired_lease_is_redispatched_with_its_fence(published, settings_defaults, django_capture_on_commit_callbacks):
    op = _processing(T0, attempts=2)
    now = T0 + timedelta(seconds=121)
    with freeze_time(now), django_capture_on_commit_callbacks(execute=True):
        result = operations_recover()
        again = operations_recover()
    assert result.redispatched_processing == [str(op.pk)]
    assert again.redispatched_processing == []  # the fresh lease protects it from the next round
    assert published == [(str(op.pk), 2)]  # the new run continues from claim 2 (and fences it out)
    op.refresh_from_db()
    assert op.status == "processing" and op.recoveries == 1
    assert op.lease_expires_at == now + timedelta(seconds=120)


def test_expired_lease_past_the_bound_fails_worker_lost(
    published, settings_defaults, django_capture_on_commit_callbacks
):
    op = _processing(T0, attempts=4, recoveries=3)
    with freeze_time(T0 + timedelta(seconds=121)), django_capture_on_commit_callbacks(execute=True):
        result = operations_recover()
    assert result.failed_worker_lost == [str(op.pk)]
    assert published == []
    op.refresh_from_db()
    assert op.status == Operation.Status.FAILED
    assert op.error_code == "WORKER_LOST"
    assert op.error_message == WORKER_LOST_MESSAGE
    assert op.finished_at is not None and op.lease_expires_at is None


def test_finished_operations_are_never_touched(published, settings_defaults, django_capture_on_commit_callbacks):
    with freeze_time(T0):
        done = OperationFactory(completed=True)
        failed = OperationFactory(failed=True)
    before = {o.pk: (o.status, o.updated_at) for o in Operation.objects.all()}
    with freeze_time(T0 + timedelta(days=1)), django_capture_on_commit_callbacks(execute=True):
        operations_recover()
    assert {o.pk: (o.status, o.updated_at) for o in Operation.objects.all()} == before
    assert published == []
    assert {done.pk, failed.pk} == set(before)


def test_a_killed_run_is_bounded_then_worker_lost(published, settings_defaults, django_capture_on_commit_callbacks):
    """Claim, die, recover ... the bound ends it: never processing forever."""
    op = pending_at(T0)
    now = T0
    for _ in range(settings_defaults.OPERATION_MAX_RECOVERIES):
        attempt = Operation.objects.get(pk=op.pk).attempts
        with freeze_time(now):
            assert services.operation_claim(operation_id=op.pk, attempt=attempt or None) is not None
        now += timedelta(seconds=121)  # the worker died: the lease runs out
        with freeze_time(now), django_capture_on_commit_callbacks(execute=True):
            assert operations_recover().redispatched_processing == [str(op.pk)]
    with freeze_time(now):
        services.operation_claim(operation_id=op.pk, attempt=Operation.objects.get(pk=op.pk).attempts)
    now += timedelta(seconds=121)
    with freeze_time(now), django_capture_on_commit_callbacks(execute=True):
        assert operations_recover().failed_worker_lost == [str(op.pk)]
    op.refresh_from_db()
    assert (op.status, op.error_code, op.recoveries) == ("failed", "WORKER_LOST", 3)


def test_stale_run_cannot_finish_after_takeover(settings_defaults):
    op = pending_at(T0)
    stale = services.operation_claim(operation_id=op.pk)
    assert stale.attempts == 1
    fresh = services.operation_claim(operation_id=op.pk, attempt=1)  # the recovered run
    assert fresh.attempts == 2

    feedback = FeedbackFactory.build(session=op.session)  # unsaved: only its serialized form is stored
    assert services.operation_complete(operation=stale, result=feedback) is False
    assert services.operation_fail(operation=stale, error_code="AI_TIMEOUT", error_message="m") is False
    assert services.operation_claim(operation_id=op.pk, attempt=1) is None  # a copy of the old retry
    op.refresh_from_db()
    assert (op.status, op.attempts, op.result, op.error_code) == ("processing", 2, None, None)

    assert services.operation_complete(operation=fresh, result=feedback) is True
    assert services.operation_fail(operation=fresh, error_code="AI_TIMEOUT", error_message="m") is False
    op.refresh_from_db()
    assert (op.status, op.result["id"]) == ("completed", str(feedback.id))  # a finished operation never changes


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_redispatch_each_row_once(published, settings_defaults):
    ops = [pending_at(T0) for _ in range(20)]
    results = []
    barrier = threading.Barrier(4)

    def run():
        barrier.wait()
        results.append(operations_recover())
        connection.close()

    # Frozen once, around all four threads: freezegun's start/stop are not thread-safe (a freeze
    # entered and left in several threads at once can leave the clock patched for later tests).
    with freeze_time(T0 + timedelta(seconds=120)):
        threads = [threading.Thread(target=run) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    picked = [pk for r in results for pk in r.redispatched_pending]
    assert sorted(picked) == sorted(str(op.pk) for op in ops)  # every row once, none twice
    assert sorted(pk for pk, _ in published) == sorted(picked)


def test_duplicate_task_delivery_runs_the_model_once(fake_llm, user):
    session = completed_session_with_answers(user=user)
    op = OperationFactory(user=user, session=session)
    first = generate_feedback_task.apply(kwargs={"operation_id": str(op.pk)}).get()
    second = generate_feedback_task.apply(kwargs={"operation_id": str(op.pk)}).get()
    assert (first, second) == ("completed", "not-claimed")
    assert len(fake_llm.calls) == 1


def test_a_question_generation_is_recovered_to_its_own_task(settings_defaults, django_capture_on_commit_callbacks):
    """The sweep is type-blind: a lost question generation goes back to interviews' task."""
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("celery")
    with freeze_time(T0):
        op = OperationFactory(operation_type="question_generation", processing=True, attempts=1)
    with freeze_time(T0 + timedelta(minutes=10)), django_capture_on_commit_callbacks() as callbacks:
        result = operations_recover()
    # Published after time is unfrozen: kombu must not be first imported under freezegun.
    for callback in callbacks:
        callback()
    messages = broker.lrange("celery", 0, -1)
    broker.delete("celery")

    assert result.redispatched_processing == [str(op.pk)]
    assert len(messages) == 1
    assert b"interviews.tasks.generate_question_task" in messages[0] and str(op.pk).encode() in messages[0]


def test_cancelled_operations_are_left_alone(published, settings_defaults, django_capture_on_commit_callbacks):
    with freeze_time(T0):
        op = OperationFactory(cancelled=True)
    with freeze_time(T0 + timedelta(hours=1)), django_capture_on_commit_callbacks(execute=True):
        result = operations_recover()
    assert (result.redispatched_pending, result.redispatched_processing, result.failed_worker_lost) == ([], [], [])
    op.refresh_from_db()
    assert op.status == "cancelled"
