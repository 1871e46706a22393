"""Retakes: a chain of attempts, its numbers kept unique by the database, read side by side in one query."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import IntegrityError, connection, transaction
from rest_framework.test import APIClient

from conftest import auth_client
from interviews.models import InterviewSession
from tests.factories import FeedbackFactory, SessionFactory, UserFactory, completed_session_with_answers, db_state

pytestmark = pytest.mark.django_db


def url(session, action=""):
    return f"/api/v1/sessions/{session.id}/{action}" if action else f"/api/v1/sessions/{session.id}"


def complete(session):
    InterviewSession.objects.filter(pk=session.pk).update(status="completed", completed_at=session.created_at)


def test_a_retake_of_a_completed_session_is_the_chains_next_attempt(client_a, user):
    first = completed_session_with_answers(user=user)

    response = client_a.post(url(first, "retake"))

    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["attempt_number"], body["retake_of"]) == ("active", 2, str(first.id))
    assert body["current_question_number"] == 0 and body["overall_score"] is None
    assert body["job_posting"]["id"] == str(first.job_posting_id)
    second = InterviewSession.objects.get(pk=body["id"])
    # A retake of the retake still points at the first attempt.
    complete(second)
    third = client_a.post(url(second, "retake")).json()
    assert (third["attempt_number"], third["retake_of"]) == (3, str(first.id))
    # And retaking an older attempt continues the same chain.
    assert client_a.post(url(first, "retake")).json()["attempt_number"] == 4


@pytest.mark.parametrize("state", ["active", "paused"])
def test_only_a_completed_session_can_be_retaken(client_a, user, state):
    session = SessionFactory(user=user, **({"paused": True} if state == "paused" else {}))
    before = db_state()

    response = client_a.post(url(session, "retake"))

    assert response.status_code == 400
    assert response.json()["code"] == "SESSION_NOT_COMPLETED"
    assert db_state() == before


def test_another_users_session_cannot_be_retaken(client_b, user):
    session = completed_session_with_answers(user=user)
    assert client_b.post(url(session, "retake")).status_code == 404
    assert InterviewSession.objects.count() == 1


def test_the_database_refuses_two_attempts_with_one_number():
    first = SessionFactory(completed=True)
    SessionFactory(user=first.user, job_posting=first.job_posting, retake_of=first, attempt_number=2)
    with pytest.raises(IntegrityError, match="sessions_one_attempt_number_per_chain"), transaction.atomic():
        SessionFactory(user=first.user, job_posting=first.job_posting, retake_of=first, attempt_number=2)
    # A first attempt's own number counts in its chain too.
    with pytest.raises(IntegrityError), transaction.atomic():
        InterviewSession.objects.filter(pk=first.pk).update(attempt_number=2)


@pytest.mark.django_db(transaction=True)
def test_concurrent_retakes_of_one_chain_get_distinct_numbers():
    user = UserFactory()
    first = completed_session_with_answers(user=user)
    client_token = auth_client(user)._credentials["HTTP_AUTHORIZATION"]
    barrier = threading.Barrier(6)

    def retake(_):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=client_token)
        barrier.wait()
        try:
            return client.post(url(first, "retake"))
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(retake, range(6)))

    assert [r.status_code for r in responses] == [201] * 6
    assert sorted(r.json()["attempt_number"] for r in responses) == [2, 3, 4, 5, 6, 7]
    assert InterviewSession.objects.filter(retake_of=first).count() == 6


def chain_of_five(user):
    """Attempts 1-5 of one posting; feedback on 1, 3 and 4 (scores known); 5 still active."""
    first = completed_session_with_answers(user=user)
    attempts = [first]
    for number in range(2, 6):
        attempts.append(
            SessionFactory(
                user=user, job_posting=first.job_posting, retake_of=first, attempt_number=number, completed=number < 5
            )
        )
    FeedbackFactory(session=attempts[0], technical_accuracy_score=60, overall_score=70)
    FeedbackFactory(session=attempts[2], overall_score=80)
    FeedbackFactory(session=attempts[3], relevance_score=95, overall_score=86)
    return attempts


def test_attempts_side_by_side_oldest_first(client_a, user):
    attempts = chain_of_five(user)
    SessionFactory(user=user)  # another chain: not listed

    response = client_a.get(url(attempts[3], "attempts"))  # from any attempt of the chain

    assert response.status_code == 200
    body = response.json()
    assert [a["id"] for a in body] == [str(s.id) for s in attempts]
    assert [a["attempt_number"] for a in body] == [1, 2, 3, 4, 5]
    assert [a["overall_score"] for a in body] == [70, None, 80, 86, None]
    assert body[0]["technical_accuracy_score"] == 60 and body[3]["relevance_score"] == 95
    assert body[1]["relevance_score"] is None
    assert body[4]["status"] == "active" and body[4]["completed_at"] is None
    assert set(body[0]) == {
        "id",
        "attempt_number",
        "status",
        "completed_at",
        "overall_score",
        "technical_accuracy_score",
        "communication_clarity_score",
        "problem_solving_score",
        "relevance_score",
    }


def test_another_users_attempts_are_404(client_b, user):
    attempts = chain_of_five(user)
    assert client_b.get(url(attempts[0], "attempts")).status_code == 404


def test_list_and_detail_carry_attempt_retake_and_score(client_a, user):
    attempts = chain_of_five(user)

    listed = {s["id"]: s for s in client_a.get("/api/v1/sessions").json()["results"]}
    detail = client_a.get(url(attempts[3])).json()

    assert (listed[str(attempts[3].id)]["attempt_number"], listed[str(attempts[3].id)]["overall_score"]) == (4, 86)
    assert listed[str(attempts[1].id)]["overall_score"] is None
    assert listed[str(attempts[0].id)]["retake_of"] is None
    assert (detail["attempt_number"], detail["retake_of"], detail["overall_score"]) == (4, str(attempts[0].id), 86)


def test_has_feedback_filter(client_a, user):
    attempts = chain_of_five(user)

    with_feedback = client_a.get("/api/v1/sessions", {"has_feedback": "true"}).json()["results"]
    without = client_a.get("/api/v1/sessions", {"has_feedback": "false"}).json()["results"]

    assert {s["id"] for s in with_feedback} == {str(attempts[i].id) for i in (0, 2, 3)}
    assert {s["id"] for s in without} == {str(attempts[i].id) for i in (1, 4)}
    assert client_a.get("/api/v1/sessions", {"has_feedback": "maybe"}).status_code == 400


def rows_of_history(user, n: int):
    for _ in range(n):
        session = completed_session_with_answers(user=user, pairs=1)
        FeedbackFactory(session=session)
        retake = SessionFactory(user=user, job_posting=session.job_posting, retake_of=session, attempt_number=2)
        FeedbackFactory(session=retake)


@pytest.mark.parametrize("path", ["/api/v1/sessions", "attempts", "/api/v1/users/me/dashboard"])
def test_reads_stay_a_fixed_number_of_queries_as_history_grows(path, django_assert_num_queries):
    """1 row and 50 rows: the same number of queries (list, attempts, dashboard)."""
    counts = []
    for n in (1, 50):
        user = UserFactory()
        rows_of_history(user, n)
        first = InterviewSession.objects.filter(user=user, retake_of__isnull=True).first()
        client = auth_client(user)
        target = url(first, "attempts") if path == "attempts" else path
        with django_assert_num_queries(EXPECTED_QUERIES[path]) as captured:
            assert client.get(target).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


# The user (auth) + what the endpoint reads: list = count + page; attempts = the session + the
# chain; dashboard = completed + answered + scores + trend + roles.
EXPECTED_QUERIES = {"/api/v1/sessions": 3, "attempts": 3, "/api/v1/users/me/dashboard": 6}


def test_a_chain_of_fifty_is_read_in_one_query(client_a, user, django_assert_num_queries):
    first = completed_session_with_answers(user=user, pairs=1)
    for number in range(2, 51):
        session = SessionFactory(user=user, job_posting=first.job_posting, retake_of=first, attempt_number=number)
        if number % 2:
            FeedbackFactory(session=session)
    with django_assert_num_queries(3):  # the user, the session (ownership), the whole chain
        body = client_a.get(url(first, "attempts")).json()
    assert [a["attempt_number"] for a in body] == list(range(1, 51))
