"""POST /sessions/{id}/generate-question: the contract's checks in order, the 202, and nothing written when refused."""

import pytest
import redis
from django.conf import settings

from operations.models import Operation
from tests.factories import (
    AnswerFactory,
    OperationFactory,
    QuestionFactory,
    SessionFactory,
    db_state,
    problem,
)

pytestmark = pytest.mark.django_db


def url(session_id) -> str:
    return f"/api/v1/sessions/{session_id}/generate-question"


def answered(session, n: int):
    for i in range(n):
        QuestionFactory(session=session, content=f"Question {i}?")
        AnswerFactory(session=session)
    session.current_question_number = n
    session.save()
    return session


def refused(client, session_id, body=None, *, capture):
    """POST, and assert that nothing was written or enqueued."""
    before = db_state()
    with capture() as callbacks:
        response = client.post(url(session_id), body or {}, format="json")
    assert db_state() == before
    assert callbacks == []
    return response


def test_accepted_with_a_new_pending_operation_enqueued_after_commit(
    client_a, user, django_capture_on_commit_callbacks
):
    session = SessionFactory(user=user)
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("celery")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client_a.post(url(session.id))

    messages = broker.lrange("celery", 0, -1)
    broker.delete("celery")
    assert response.status_code == 202
    body = response.json()
    assert body["operation_type"] == "question_generation"
    assert body["status"] == "pending"
    assert body["result"] is None and body["error_code"] is None
    assert response["Location"] == f"/api/v1/operations/{body['id']}"
    assert response["Retry-After"] == "2"
    operation = Operation.objects.get()
    assert (str(operation.id), operation.user, operation.session, operation.params) == (body["id"], user, session, {})
    assert len(callbacks) == 1
    # Published once, to its own task, with ids only (what Flower shows).
    assert len(messages) == 1
    assert b"interviews.tasks.generate_question_task" in messages[0]
    assert body["id"].encode() in messages[0]


@pytest.mark.parametrize("question_type", ["technical", "behavioral", "situational"])
def test_requested_type_is_kept_on_the_operation(client_a, user, question_type):
    session = SessionFactory(user=user)

    response = client_a.post(url(session.id), {"question_type": question_type}, format="json")

    assert response.status_code == 202
    assert Operation.objects.get().params == {"question_type": question_type}


@pytest.mark.parametrize("body", [{"question_type": "trivia"}, {"question_type": 3}, ["technical"]])
def test_bad_body_is_400_and_writes_nothing(client_a, user, body, django_capture_on_commit_callbacks):
    session = SessionFactory(user=user)

    response = refused(client_a, session.id, body, capture=django_capture_on_commit_callbacks)

    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"


def test_null_type_lets_the_interviewer_choose(client_a, user):
    session = SessionFactory(user=user)

    response = client_a.post(url(session.id), {"question_type": None}, format="json")

    assert response.status_code == 202
    assert Operation.objects.get().params == {}


def test_in_flight_operation_is_returned_and_nothing_enqueued(client_a, user, django_capture_on_commit_callbacks):
    session = SessionFactory(user=user)
    in_flight = OperationFactory(user=user, session=session, operation_type="question_generation", processing=True)

    with django_capture_on_commit_callbacks() as callbacks:
        response = client_a.post(url(session.id), {"question_type": "behavioral"}, format="json")

    assert response.status_code == 202
    assert response.json()["id"] == str(in_flight.id)
    assert response.json()["status"] == "processing"
    assert response["Location"] == f"/api/v1/operations/{in_flight.id}"
    assert Operation.objects.count() == 1
    assert callbacks == []


def test_an_unfinished_feedback_operation_does_not_count(client_a, user):
    session = SessionFactory(user=user)
    OperationFactory(user=user, session=session, processing=True)  # a feedback_analysis

    response = client_a.post(url(session.id))

    assert response.status_code == 202
    assert Operation.objects.filter(operation_type="question_generation").count() == 1


@pytest.mark.parametrize("finished", ["failed", "completed", "cancelled"])
def test_finished_operations_do_not_block_a_new_one(client_a, user, finished):
    session = SessionFactory(user=user)
    old = OperationFactory(user=user, session=session, operation_type="question_generation", **{finished: True})

    response = client_a.post(url(session.id))

    assert response.status_code == 202
    assert response.json()["id"] != str(old.id)


# The checks, in the contract's order --------------------------------------------------------


def test_other_users_session_is_404(client_b, user, django_capture_on_commit_callbacks):
    session = SessionFactory(user=user)
    response = refused(client_b, session.id, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 404
    assert response.json() == problem(404, "NOT_FOUND", "Not found.")


@pytest.mark.parametrize("session_id", ["00000000-0000-0000-0000-000000000000", "not-a-uuid"])
def test_unknown_or_malformed_session_is_404(client_a, session_id, django_capture_on_commit_callbacks):
    response = refused(client_a, session_id, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


@pytest.mark.parametrize("state", ["paused", "completed"])
def test_session_not_active_is_400(client_a, user, state, django_capture_on_commit_callbacks, settings):
    settings.OPENAI_API_KEY = ""  # the session's state is checked before the key
    session = SessionFactory(user=user, **{state: True})
    QuestionFactory(session=session)  # ...and before the open question

    response = refused(client_a, session.id, capture=django_capture_on_commit_callbacks)

    assert response.status_code == 400
    assert response.json() == problem(
        400, "SESSION_NOT_ACTIVE", f"The session is {state}; questions and answers need an active session."
    )


def test_open_question_is_409(client_a, user, django_capture_on_commit_callbacks, settings):
    settings.SESSION_MAX_QUESTIONS = 2
    session = answered(SessionFactory(user=user), 1)
    QuestionFactory(session=session, content="Still open?")  # 2 questions: the limit too, checked after

    response = refused(client_a, session.id, capture=django_capture_on_commit_callbacks)

    assert response.status_code == 409
    assert response.json() == problem(
        409, "QUESTION_ALREADY_OPEN", "The session's last question has not been answered yet."
    )


def test_question_limit_is_400(client_a, user, django_capture_on_commit_callbacks, settings):
    settings.SESSION_MAX_QUESTIONS = 3
    settings.OPENAI_API_KEY = ""  # the limit is checked before the key
    session = answered(SessionFactory(user=user), 3)

    response = refused(client_a, session.id, capture=django_capture_on_commit_callbacks)

    assert response.status_code == 400
    assert response.json() == problem(
        400, "QUESTION_LIMIT_REACHED", "This session already has 3 questions, the most it may have."
    )


def test_default_limit_is_ten_questions(client_a, user):
    session = answered(SessionFactory(user=user), 9)
    assert client_a.post(url(session.id)).status_code == 202
    Operation.objects.update(status="cancelled", finished_at="2026-11-22T10:00:00Z")
    answered(session, 1)  # the tenth
    assert client_a.post(url(session.id)).json()["code"] == "QUESTION_LIMIT_REACHED"


def test_no_model_key_is_400(client_a, user, django_capture_on_commit_callbacks, settings):
    settings.OPENAI_API_KEY = ""
    session = SessionFactory(user=user)

    response = refused(client_a, session.id, capture=django_capture_on_commit_callbacks)

    assert response.status_code == 400
    assert response.json()["code"] == "AI_NOT_CONFIGURED"


def test_rate_limited_per_user(client_a, user, settings):
    settings.QUESTION_RATE_LIMIT = "2/hour"
    sessions = [SessionFactory(user=user) for _ in range(3)]

    statuses = [client_a.post(url(s.id)).status_code for s in sessions]

    assert statuses == [202, 202, 429]
    assert Operation.objects.count() == 2


def test_unauthenticated_is_401(api_client, user):
    session = SessionFactory(user=user)
    response = api_client.post(url(session.id))
    assert response.status_code == 401
    assert Operation.objects.count() == 0
