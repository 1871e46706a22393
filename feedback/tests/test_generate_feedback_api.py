"""POST /sessions/{id}/generate-feedback and GET /sessions/{id}/feedback."""

import pytest
import redis
from django.conf import settings

from feedback.models import InterviewFeedback
from feedback.serializers import FeedbackSerializer
from operations.models import Operation
from tests.factories import (
    AnswerFactory,
    OperationFactory,
    QuestionFactory,
    SessionFactory,
    completed_session_with_answers,
)
from tests.fake_openai import VALID_FEEDBACK

pytestmark = pytest.mark.django_db

OPERATION_KEYS = {
    "id",
    "operation_type",
    "status",
    "result",
    "error_code",
    "error_message",
    "created_at",
    "updated_at",
    "started_at",
    "finished_at",
}


def url(session_id) -> str:
    return f"/api/v1/sessions/{session_id}/generate-feedback"


def assert_problem(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code
    assert body["status"] == status
    assert {"type", "title", "detail"} <= set(body)


def test_accepted_with_new_pending_operation(client_a, user, django_capture_on_commit_callbacks):
    session = completed_session_with_answers(user=user)

    with django_capture_on_commit_callbacks() as callbacks:
        response = client_a.post(url(session.id))

    assert response.status_code == 202
    body = response.json()
    assert set(body) == OPERATION_KEYS
    assert body["operation_type"] == "feedback_analysis"
    assert body["status"] == "pending"
    assert body["result"] is None and body["error_code"] is None and body["error_message"] is None
    assert body["started_at"] is None and body["finished_at"] is None
    assert response["Location"] == f"/api/v1/operations/{body['id']}"
    assert response["Retry-After"] == "2"
    operation = Operation.objects.get()
    assert str(operation.id) == body["id"]
    assert operation.user == user and operation.session == session
    assert len(callbacks) == 1  # enqueued after commit, once


def test_enqueue_after_commit_publishes_to_the_broker(client_a, user, django_capture_on_commit_callbacks):
    """The on-commit callback really publishes the task to Redis (no worker consumes db 15 here)."""
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("celery")
    session = completed_session_with_answers(user=user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(url(session.id))

    messages = broker.lrange("celery", 0, -1)
    broker.delete("celery")
    assert response.status_code == 202
    assert len(messages) == 1
    assert response.json()["id"].encode() in messages[0]
    assert b"feedback.tasks.generate_feedback_task" in messages[0]


def test_second_request_returns_the_in_flight_operation(client_a, user, django_capture_on_commit_callbacks):
    session = completed_session_with_answers(user=user)
    first = client_a.post(url(session.id)).json()
    Operation.objects.filter(pk=first["id"]).update(status="processing")

    with django_capture_on_commit_callbacks() as callbacks:
        second = client_a.post(url(session.id))

    assert second.status_code == 202
    assert second.json()["id"] == first["id"]
    assert second.json()["status"] == "processing"
    assert second["Location"] == f"/api/v1/operations/{first['id']}"
    assert Operation.objects.count() == 1
    assert callbacks == []


def test_failed_operation_does_not_block_a_new_request(client_a, user):
    session = completed_session_with_answers(user=user)
    failed = OperationFactory(user=user, session=session, failed=True)

    response = client_a.post(url(session.id))

    assert response.status_code == 202
    assert response.json()["id"] != str(failed.id)
    assert Operation.objects.filter(session=session).count() == 2


def assert_nothing_created(callbacks):
    assert Operation.objects.count() == 0
    assert callbacks == []


def test_other_users_session_is_404(client_b, user, django_capture_on_commit_callbacks):
    session = completed_session_with_answers(user=user)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client_b.post(url(session.id))
    assert_problem(response, 404, "NOT_FOUND")
    assert_nothing_created(callbacks)


@pytest.mark.parametrize("session_id", ["00000000-0000-0000-0000-000000000000", "not-a-uuid"])
def test_unknown_or_malformed_session_is_404(client_a, session_id, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = client_a.post(url(session_id))
    assert_problem(response, 404, "NOT_FOUND")
    assert_nothing_created(callbacks)


@pytest.mark.parametrize("state", ["active", "paused"])
def test_session_not_completed(client_a, user, state, django_capture_on_commit_callbacks):
    session = SessionFactory(user=user, status=state)
    QuestionFactory(session=session)
    AnswerFactory(session=session)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client_a.post(url(session.id))
    assert_problem(response, 400, "SESSION_NOT_COMPLETED")
    assert_nothing_created(callbacks)


def test_no_answers_to_analyze(client_a, user, django_capture_on_commit_callbacks):
    session = SessionFactory(user=user, completed=True)
    QuestionFactory(session=session)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client_a.post(url(session.id))
    assert_problem(response, 400, "NO_ANSWERS_TO_ANALYZE")
    assert_nothing_created(callbacks)


def _store_feedback(session):
    return InterviewFeedback.objects.create(session=session, overall_score=83, **VALID_FEEDBACK)


def test_feedback_already_exists(client_a, user, django_capture_on_commit_callbacks):
    session = completed_session_with_answers(user=user)
    _store_feedback(session)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client_a.post(url(session.id))
    assert_problem(response, 409, "FEEDBACK_ALREADY_EXISTS")
    assert response.json()["detail"] == "Feedback already exists for this session"
    assert_nothing_created(callbacks)


def test_ai_not_configured(client_a, user, settings, django_capture_on_commit_callbacks):
    settings.OPENAI_API_KEY = ""
    session = completed_session_with_answers(user=user)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client_a.post(url(session.id))
    assert_problem(response, 400, "AI_NOT_CONFIGURED")
    assert_nothing_created(callbacks)


def test_checks_run_in_contract_order(client_a, user, settings):
    """Not completed wins over no answers; feedback-exists wins over not-configured."""
    settings.OPENAI_API_KEY = ""
    active_without_answers = SessionFactory(user=user)
    assert_problem(client_a.post(url(active_without_answers.id)), 400, "SESSION_NOT_COMPLETED")
    session = completed_session_with_answers(user=user)
    _store_feedback(session)
    assert_problem(client_a.post(url(session.id)), 409, "FEEDBACK_ALREADY_EXISTS")


def test_requires_authentication(api_client, user):
    session = completed_session_with_answers(user=user)
    assert_problem(api_client.post(url(session.id)), 401, "NOT_AUTHENTICATED")
    assert Operation.objects.count() == 0


def test_get_feedback(client_a, user):
    session = completed_session_with_answers(user=user)
    feedback = _store_feedback(session)

    response = client_a.get(f"/api/v1/sessions/{session.id}/feedback")

    assert response.status_code == 200
    body = response.json()
    assert body == FeedbackSerializer(feedback).data | {
        "id": str(feedback.id),
        "session_id": str(session.id),
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert body["overall_score"] == 83
    assert body["knowledge_gaps"] == VALID_FEEDBACK["knowledge_gaps"]
    assert body["created_at"].endswith("Z")


def test_get_feedback_before_it_exists(client_a, user):
    session = completed_session_with_answers(user=user)
    assert_problem(client_a.get(f"/api/v1/sessions/{session.id}/feedback"), 404, "FEEDBACK_NOT_FOUND")


def test_get_feedback_of_another_users_session(client_b, user):
    session = completed_session_with_answers(user=user)
    _store_feedback(session)
    assert_problem(client_b.get(f"/api/v1/sessions/{session.id}/feedback"), 404, "NOT_FOUND")
