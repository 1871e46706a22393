"""POST /operations/{id}/retry and POST /operations/{id}/cancel."""

import threading

import pytest
from django.db import connection

from feedback.models import InterviewFeedback
from feedback.tasks import generate_feedback_task
from interviews.tasks import generate_question_task
from operations import metrics
from operations.models import Operation
from tests.factories import (
    FeedbackFactory,
    OperationFactory,
    SessionFactory,
    completed_session_with_answers,
    db_state,
    iso,
    problem,
)
from tests.fake_openai import Reply

pytestmark = pytest.mark.django_db


def retry_url(operation) -> str:
    return f"/api/v1/operations/{operation.id}/retry"


def cancel_url(operation) -> str:
    return f"/api/v1/operations/{operation.id}/cancel"


def failed_feedback(user, **kwargs) -> Operation:
    session = completed_session_with_answers(user=user)
    return OperationFactory.create(user=user, session=session, failed=True, **kwargs)


def failed_question(user, **kwargs) -> Operation:
    session = SessionFactory(user=user)
    return OperationFactory.create(
        user=user, session=session, operation_type="question_generation", failed=True, **kwargs
    )


# Retry ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error_code",
    [
        "AI_TIMEOUT",
        "AI_UNAVAILABLE",
        "AI_RATE_LIMITED",
        "AI_QUOTA_EXCEEDED",
        "AI_AUTH_FAILED",
        "AI_RESPONSE_INVALID",
        "AI_REFUSED",
        "WORKER_LOST",
        "INTERNAL_ERROR",
        "SESSION_NOT_COMPLETED",
    ],
)
def test_retry_of_a_curable_failure_is_202_with_a_new_operation(
    client_a, user, error_code, django_capture_on_commit_callbacks
):
    old = failed_feedback(user, error_code=error_code)
    old_row = Operation.objects.filter(pk=old.pk).values().get()

    with django_capture_on_commit_callbacks() as callbacks:
        response = client_a.post(retry_url(old))

    assert response.status_code == 202
    body = response.json()
    assert body["id"] != str(old.id)
    assert (body["operation_type"], body["status"]) == ("feedback_analysis", "pending")
    assert response["Location"] == f"/api/v1/operations/{body['id']}"
    assert response["Retry-After"] == "2"
    new = Operation.objects.get(pk=body["id"])
    assert (new.session_id, new.user_id) == (old.session_id, old.user_id)
    assert Operation.objects.filter(pk=old.pk).values().get() == old_row  # the failed one never changes
    assert len(callbacks) == 1


@pytest.mark.parametrize("error_code", ["AI_BAD_REQUEST", "SESSION_NOT_FOUND"])
def test_retry_of_an_incurable_failure_is_409(client_a, user, error_code, django_capture_on_commit_callbacks):
    old = failed_feedback(user, error_code=error_code)
    before = db_state()

    with django_capture_on_commit_callbacks() as callbacks:
        response = client_a.post(retry_url(old))

    assert response.status_code == 409
    assert response.json() == problem(
        409, "OPERATION_NOT_RETRYABLE", "This operation failed in a way that asking again cannot fix."
    )
    assert db_state() == before and callbacks == []


@pytest.mark.parametrize("state", ["completed", "processing", "cancelled", None])
def test_retry_of_what_did_not_fail_is_409(client_a, user, state, django_capture_on_commit_callbacks):
    session = completed_session_with_answers(user=user)
    operation = OperationFactory(user=user, session=session, **({state: True} if state else {}))
    before = db_state()

    with django_capture_on_commit_callbacks() as callbacks:
        response = client_a.post(retry_url(operation))

    status = state or "pending"
    assert response.status_code == 409
    assert response.json() == problem(
        409, "OPERATION_NOT_FAILED", f"Only a failed operation can be retried; this one is {status}."
    )
    assert db_state() == before and callbacks == []


def test_retry_answers_the_original_endpoints_own_errors(client_a, user, settings):
    exists = failed_feedback(user, error_code="FEEDBACK_ALREADY_EXISTS")
    FeedbackFactory(session=exists.session)
    closed = failed_question(user)
    closed.session.status, closed.session.completed_at = "completed", closed.created_at
    closed.session.save()

    assert client_a.post(retry_url(exists)).json()["code"] == "FEEDBACK_ALREADY_EXISTS"
    assert client_a.post(retry_url(closed)).json()["code"] == "SESSION_NOT_ACTIVE"
    settings.OPENAI_API_KEY = ""
    no_key = failed_feedback(user)
    response = client_a.post(retry_url(no_key))
    assert (response.status_code, response.json()["code"]) == (400, "AI_NOT_CONFIGURED")
    assert Operation.objects.count() == 3


def test_retry_returns_the_operation_already_in_flight(client_a, user, django_capture_on_commit_callbacks):
    old = failed_feedback(user)
    in_flight = OperationFactory(user=user, session=old.session, processing=True)

    with django_capture_on_commit_callbacks() as callbacks:
        response = client_a.post(retry_url(old))

    assert response.status_code == 202
    assert response.json()["id"] == str(in_flight.id)
    assert callbacks == [] and Operation.objects.count() == 2


def test_retry_of_a_question_generation_asks_for_the_same_type(client_a, user):
    old = failed_question(user, params={"question_type": "situational"})

    response = client_a.post(retry_url(old))

    assert response.status_code == 202
    new = Operation.objects.get(pk=response.json()["id"])
    assert (new.operation_type, new.params) == ("question_generation", {"question_type": "situational"})


def test_retry_of_another_users_operation_is_404(client_b, user):
    old = failed_feedback(user)
    response = client_b.post(retry_url(old))
    assert response.status_code == 404
    assert Operation.objects.count() == 1


def test_retry_is_rate_limited_as_its_endpoint_is_not(client_a, user):
    """Retry asks through the same service; it needs no body and takes none."""
    old = failed_feedback(user)
    response = client_a.post(retry_url(old), {"anything": 1}, format="json")
    assert response.status_code == 202


# Cancel --------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", [None, "processing"])
def test_cancel_of_an_unfinished_operation(client_a, user, state):
    session = completed_session_with_answers(user=user)
    operation = OperationFactory(user=user, session=session, **({state: True} if state else {}))
    before = metrics.OPERATIONS_FINISHED.labels("feedback_analysis", "cancelled")._value.get()

    response = client_a.post(cancel_url(operation))

    assert response.status_code == 200
    operation.refresh_from_db()
    assert operation.status == "cancelled"
    assert operation.finished_at is not None and operation.lease_expires_at is None
    assert operation.error_code is None and operation.result is None
    assert response.json()["status"] == "cancelled"
    assert response.json()["finished_at"] == iso(operation.finished_at)
    assert "Retry-After" not in response
    assert metrics.OPERATIONS_FINISHED.labels("feedback_analysis", "cancelled")._value.get() == before + 1
    # It no longer blocks a new request for the same session.
    again = client_a.post(f"/api/v1/sessions/{session.id}/generate-feedback")
    assert again.status_code == 202 and again.json()["id"] != str(operation.id)


@pytest.mark.parametrize("state", ["completed", "failed", "cancelled"])
def test_cancel_of_a_finished_operation_is_409(client_a, user, state):
    operation = OperationFactory(user=user, **{state: True})
    before = db_state()

    response = client_a.post(cancel_url(operation))

    assert response.status_code == 409
    assert response.json() == problem(
        409,
        "OPERATION_ALREADY_FINISHED",
        f"The operation is already {state}; only a pending or processing one can be cancelled.",
    )
    assert db_state() == before


def test_cancel_of_another_users_operation_is_404(client_b, user):
    operation = OperationFactory(user=user)
    response = client_b.post(cancel_url(operation))
    assert response.status_code == 404
    operation.refresh_from_db()
    assert operation.status == "pending"


def test_cancelled_pending_operation_is_never_run(client_a, user, fake_llm):
    operation = OperationFactory(user=user, session=completed_session_with_answers(user=user))
    client_a.post(cancel_url(operation))

    assert generate_feedback_task.apply(kwargs={"operation_id": str(operation.id)}).get() == "not-claimed"

    assert fake_llm.calls == []
    assert not InterviewFeedback.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("operation_type", ["feedback_analysis", "question_generation"])
def test_cancel_while_processing_the_run_finishes_and_stores_nothing(client_a, user, fake_llm, operation_type):
    """A slow model: the cancel lands while the call is in flight; its answer is discarded."""
    if operation_type == "feedback_analysis":
        session, task = completed_session_with_answers(user=user), generate_feedback_task
        fake_llm.default = Reply.feedback(delay=1.0)
    else:
        session, task = SessionFactory(user=user), generate_question_task
        fake_llm.question_delay = 1.0
    operation = OperationFactory(user=user, session=session, operation_type=operation_type)
    messages_before = list(session.messages.values_list("id", flat=True))
    outcome = {}

    def worker():
        outcome["result"] = task.apply(kwargs={"operation_id": str(operation.id)}).get()
        connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    while not fake_llm.calls:
        threading.Event().wait(0.01)
    response = client_a.post(cancel_url(operation))
    thread.join()

    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert outcome["result"] == "lost"
    assert len(fake_llm.calls) == 1  # the call in flight was not interrupted, and not repeated
    operation.refresh_from_db()
    assert (operation.status, operation.result, operation.error_code) == ("cancelled", None, None)
    assert not InterviewFeedback.objects.exists()
    assert list(session.messages.values_list("id", flat=True)) == messages_before
