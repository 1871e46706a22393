"""Deleting a session, or a whole account: everything goes, nothing of anyone else does, nothing is left behind."""

import threading

import pytest
from django.apps import apps
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import ModelApiKey, User
from conftest import auth_client
from feedback.models import InterviewFeedback
from feedback.tasks import generate_feedback_task
from interviews.models import InterviewSession, SessionMessage
from operations.models import Operation
from tests.factories import (
    PASSWORD,
    FeedbackFactory,
    JobPostingFactory,
    OperationFactory,
    ResumeFactory,
    SessionFactory,
    UserFactory,
    completed_session_with_answers,
)
from tests.fake_openai import Reply

pytestmark = pytest.mark.django_db


def every_table() -> dict[str, int]:
    return {m._meta.db_table: m._default_manager.count() for m in apps.get_models() if m._meta.managed}


def everything_of(user):
    """A user with rows in every table the service writes: what deletion must take away."""
    client = APIClient()
    tokens = client.post("/api/v1/auth/login", {"email": user.email, "password": PASSWORD}, format="json").json()
    client.post(
        "/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json"
    )  # + a blacklisted one
    ResumeFactory(user=user)
    first = completed_session_with_answers(user=user, pairs=2)
    FeedbackFactory(session=first, operation=OperationFactory(user=user, session=first, completed=True))
    retake = SessionFactory(user=user, job_posting=first.job_posting, retake_of=first, attempt_number=2)
    OperationFactory(user=user, session=retake, operation_type="question_generation", failed=True)
    JobPostingFactory(user=user, title="Another posting")
    ModelApiKey.objects.create(
        user=user, encrypted_key="gAAAA-not-real", key_hint="abcd", validated_at=first.created_at
    )
    # A failed admin login under their address (django-axes keeps it by username).
    APIClient().post("/admin/login/", {"username": user.email, "password": "wrong"})
    return tokens


def test_deleting_an_account_leaves_nothing_of_it_in_any_table_and_everyone_else_untouched():
    other = UserFactory()
    everything_of(other)
    theirs = every_table()
    user = UserFactory()
    tokens = everything_of(user)
    assert every_table() != theirs

    response = APIClient().delete(
        "/api/v1/users/me", {"password": PASSWORD}, format="json", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}"
    )

    assert response.status_code == 204
    assert every_table() == theirs  # table by table: exactly the other user's rows remain
    # Nothing anywhere mentions them.
    for model in apps.get_models():
        for row in model.objects.values():
            text = str(row)
            assert str(user.pk) not in text and user.email not in text, model._meta.db_table
    # Their tokens stop working at once.
    me = APIClient().get("/api/v1/users/me", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert me.status_code == 401
    assert (
        APIClient().post("/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json").status_code
        == 401
    )


def test_a_wrong_password_deletes_nothing(client_a, user):
    everything_of(user)
    before = every_table()

    response = client_a.delete("/api/v1/users/me", {"password": "not-it"}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_CREDENTIALS"
    assert every_table() == before


def test_an_account_with_a_running_operation_is_409(client_a, user):
    session = completed_session_with_answers(user=user)
    OperationFactory(user=user, session=session, processing=True)
    before = every_table()

    response = client_a.delete("/api/v1/users/me", {"password": PASSWORD}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "OPERATION_IN_PROGRESS"
    assert every_table() == before


# One session -------------------------------------------------------------------------------------


def test_deleting_a_session_takes_its_messages_feedback_and_operations(client_a, user):
    session = completed_session_with_answers(user=user)
    operation = OperationFactory(user=user, session=session, completed=True)
    FeedbackFactory(session=session, operation=operation)
    kept = completed_session_with_answers(user=user)

    response = client_a.delete(f"/api/v1/sessions/{session.id}")

    assert response.status_code == 204
    assert not InterviewSession.objects.filter(pk=session.pk).exists()
    assert not SessionMessage.objects.filter(session_id=session.pk).exists()
    assert not InterviewFeedback.objects.filter(session_id=session.pk).exists()
    assert not Operation.objects.filter(session_id=session.pk).exists()
    assert InterviewSession.objects.get(pk=kept.pk).messages.count() == 4
    assert client_a.get(f"/api/v1/sessions/{session.id}").status_code == 404


@pytest.mark.parametrize("state", [None, "processing"])
def test_a_session_with_an_unfinished_operation_is_409(client_a, user, state):
    session = completed_session_with_answers(user=user)
    OperationFactory(user=user, session=session, **({state: True} if state else {}))
    before = every_table()

    response = client_a.delete(f"/api/v1/sessions/{session.id}")

    assert response.status_code == 409
    assert response.json()["code"] == "OPERATION_IN_PROGRESS"
    assert every_table() == before


def test_another_users_session_is_404(client_b, user):
    session = completed_session_with_answers(user=user)
    assert client_b.delete(f"/api/v1/sessions/{session.id}").status_code == 404
    assert InterviewSession.objects.filter(pk=session.pk).exists()


def test_deleting_the_first_attempt_keeps_the_chain(client_a, user):
    first = completed_session_with_answers(user=user)
    second = SessionFactory(user=user, job_posting=first.job_posting, retake_of=first, attempt_number=2, completed=True)
    third = SessionFactory(user=user, job_posting=first.job_posting, retake_of=first, attempt_number=3, completed=True)

    assert client_a.delete(f"/api/v1/sessions/{first.id}").status_code == 204

    attempts = client_a.get(f"/api/v1/sessions/{third.id}/attempts").json()
    assert [a["id"] for a in attempts] == [str(second.id), str(third.id)]
    second.refresh_from_db()
    third.refresh_from_db()
    assert (second.retake_of_id, third.retake_of_id) == (None, second.id)
    assert client_a.post(f"/api/v1/sessions/{third.id}/retake").json()["attempt_number"] == 4


@pytest.mark.django_db(transaction=True)
def test_a_run_finishing_after_its_account_was_deleted_stores_nothing_and_does_not_crash(fake_llm):
    """Cancelled, then the account deleted while the model still works: the run is fenced out."""
    user = UserFactory()
    session = completed_session_with_answers(user=user)
    operation = OperationFactory(user=user, session=session)
    fake_llm.default = Reply.feedback(delay=1.0)
    outcome = {}

    def run():
        try:
            outcome["result"] = generate_feedback_task.apply(kwargs={"operation_id": str(operation.id)}).get()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    while not fake_llm.calls:
        threading.Event().wait(0.01)
    client = auth_client(user)
    assert client.post(f"/api/v1/operations/{operation.id}/cancel").status_code == 200
    assert client.delete("/api/v1/users/me", {"password": PASSWORD}, format="json").status_code == 204
    thread.join()

    assert outcome["result"] == "lost"
    assert not User.objects.filter(pk=user.pk).exists()
    assert not InterviewFeedback.objects.exists() and not Operation.objects.exists()
