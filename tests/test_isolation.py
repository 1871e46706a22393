"""Ownership: a user sees only their own rows; anyone else's id is a plain 404 (contract, "Ownership").

The matrix runs every id-bearing endpoint as user B against user A's rows, and checks
that B learns nothing and changes nothing.
"""

from typing import Any

import pytest

from interviews.models import Resume
from tests.factories import (
    AnswerFactory,
    FeedbackFactory,
    JobPostingFactory,
    OperationFactory,
    QuestionFactory,
    ResumeFactory,
    SessionFactory,
    completed_session_with_answers,
    db_state,
    problem,
)

pytestmark = pytest.mark.django_db

NOT_FOUND = problem(404, "NOT_FOUND", "Not found.")
UNKNOWN_ID = "3f1c1f5e-8f43-4a4e-9d3b-3d8d1a0c0a11"

VALID_POSTING = {
    "title": "Hijacked",
    "description": "Should never be written.",
    "company": "Evil Corp",
    "experience_level": "any",
    "tech_stack": ["x"],
}

# (method, path template, body): {id} is the id of the resource the template is about.
ENDPOINTS: dict[str, list[tuple[str, str, dict[str, Any] | None]]] = {
    "job_posting": [
        ("get", "/api/v1/job-postings/{id}", None),
        ("put", "/api/v1/job-postings/{id}", VALID_POSTING),
        ("patch", "/api/v1/job-postings/{id}", {"title": "Hijacked"}),
        ("delete", "/api/v1/job-postings/{id}", None),
    ],
    "session": [
        ("get", "/api/v1/sessions/{id}", None),
        ("get", "/api/v1/sessions/{id}/messages", None),
        ("post", "/api/v1/sessions/{id}/questions", {"content": "Injected?", "question_type": "technical"}),
        ("post", "/api/v1/sessions/{id}/answers", {"answer_text": "Injected."}),
        ("post", "/api/v1/sessions/{id}/pause", None),
        ("post", "/api/v1/sessions/{id}/resume", None),
        ("post", "/api/v1/sessions/{id}/complete", None),
    ],
    # A's completed session with answers: were ownership ignored, B could start an analysis.
    "completed_session": [
        ("post", "/api/v1/sessions/{id}/generate-feedback", None),
    ],
    # A's session with stored feedback: B must get NOT_FOUND, not the feedback or FEEDBACK_NOT_FOUND.
    "reviewed_session": [
        ("get", "/api/v1/sessions/{id}/feedback", None),
    ],
    "operation": [
        ("get", "/api/v1/operations/{id}", None),
    ],
}

MATRIX = [(kind, method, path, body) for kind, rows in ENDPOINTS.items() for method, path, body in rows]
MATRIX_IDS = [f"{method.upper()} {path}" for _, method, path, _ in MATRIX]


@pytest.fixture
def a_rows(user):
    """User A's résumé, posting, a session with an open question (so every write could succeed)."""
    ResumeFactory(user=user, content="A's private résumé.")
    posting = JobPostingFactory(user=user, title="A's posting")
    session = SessionFactory(user=user, job_posting=posting, current_question_number=2)
    QuestionFactory(session=session)
    AnswerFactory(session=session)
    QuestionFactory(session=session, content="A's open question")
    paused = SessionFactory(user=user, job_posting=posting, paused=True)
    operation = OperationFactory(user=user, session=SessionFactory(user=user, completed=True))
    completed = completed_session_with_answers(user=user, job_posting=posting)
    reviewed = FeedbackFactory(session=completed_session_with_answers(user=user, job_posting=posting)).session
    return {
        "job_posting": posting,
        "session": session,
        "paused_session": paused,
        "completed_session": completed,
        "reviewed_session": reviewed,
        "operation": operation,
    }


def call(client, method: str, path: str, body):
    return getattr(client, method)(path, body) if body is not None else getattr(client, method)(path)


@pytest.mark.parametrize(("kind", "method", "path", "body"), MATRIX, ids=MATRIX_IDS)
def test_other_users_id_is_404_and_changes_nothing(
    client_b, a_rows, django_capture_on_commit_callbacks, kind, method, path, body
):
    before = db_state()

    with django_capture_on_commit_callbacks() as enqueued:
        response = call(client_b, method, path.format(id=a_rows[kind].id), body)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == NOT_FOUND
    assert db_state() == before
    assert enqueued == []


def test_other_users_paused_session_cannot_be_resumed(client_b, a_rows):
    before = db_state()

    response = client_b.post(f"/api/v1/sessions/{a_rows['paused_session'].id}/resume")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert db_state() == before


@pytest.mark.parametrize(("kind", "method", "path", "body"), MATRIX, ids=MATRIX_IDS)
@pytest.mark.parametrize("bad_id", [UNKNOWN_ID, "not-a-uuid", "123", "00000000-0000-0000-0000-00000000000g"])
def test_unknown_or_malformed_id_is_404(
    client_a, a_rows, django_capture_on_commit_callbacks, kind, method, path, body, bad_id
):
    before = db_state()

    with django_capture_on_commit_callbacks() as enqueued:
        response = call(client_a, method, path.format(id=bad_id), body)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == NOT_FOUND
    assert db_state() == before
    assert enqueued == []


def test_the_owner_gets_the_same_endpoints(client_a, a_rows):
    """Control for the matrix: the 404s above are about ownership, not broken URLs."""
    session = a_rows["session"]
    assert client_a.get(f"/api/v1/job-postings/{a_rows['job_posting'].id}").status_code == 200
    assert client_a.get(f"/api/v1/sessions/{session.id}").status_code == 200
    assert client_a.get(f"/api/v1/sessions/{session.id}/messages").status_code == 200
    assert client_a.get(f"/api/v1/operations/{a_rows['operation'].id}").status_code == 200
    assert client_a.get(f"/api/v1/sessions/{a_rows['reviewed_session'].id}/feedback").status_code == 200
    assert client_a.post(f"/api/v1/sessions/{session.id}/answers", {"answer_text": "Mine."}).status_code == 201
    assert client_a.post(f"/api/v1/sessions/{session.id}/pause").status_code == 200


def test_start_session_on_other_users_posting_is_404(client_b, a_rows):
    before = db_state()

    response = client_b.post("/api/v1/sessions", {"job_posting_id": str(a_rows["job_posting"].id)})

    assert response.status_code == 404
    assert response.json() == problem(404, "NOT_FOUND", "Job posting not found.")
    assert db_state() == before


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/job-postings",
        "/api/v1/sessions",
        "/api/v1/sessions?status=active",
        "/api/v1/sessions?status=paused",
        "/api/v1/operations",
        "/api/v1/operations?status=pending",
    ],
)
def test_lists_never_include_other_users_rows(client_b, other_user, a_rows, path):
    response = client_b.get(path)

    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_session_list_filtered_by_other_users_posting_is_empty(client_b, other_user, a_rows):
    SessionFactory(user=other_user)

    response = client_b.get("/api/v1/sessions", {"job_posting_id": str(a_rows["job_posting"].id)})

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_lists_show_each_user_only_their_own(client_a, client_b, other_user, a_rows):
    b_posting = JobPostingFactory(user=other_user)
    b_session = SessionFactory(user=other_user, job_posting=b_posting)
    b_operation = OperationFactory(user=other_user)

    b_postings = client_b.get("/api/v1/job-postings").json()["results"]
    b_sessions = client_b.get("/api/v1/sessions").json()["results"]
    b_operations = client_b.get("/api/v1/operations").json()["results"]
    a_postings = client_a.get("/api/v1/job-postings").json()["results"]

    assert {p["id"] for p in b_postings} == {str(b_posting.id), str(b_operation.session.job_posting_id)}
    assert {s["id"] for s in b_sessions} == {str(b_session.id), str(b_operation.session_id)}
    assert [o["id"] for o in b_operations] == [str(b_operation.id)]
    assert str(b_posting.id) not in {p["id"] for p in a_postings}


# Résumés: there is no id in the path, so the question is whose résumé "me" means -----------


def test_get_my_resume_never_shows_other_users_resume(client_b, a_rows):
    response = client_b.get("/api/v1/resumes/me")

    assert response.status_code == 404
    assert response.json() == problem(404, "NOT_FOUND", "You have no résumé yet.")


def test_put_my_resume_never_touches_other_users_resume(client_b, a_rows):
    before = db_state()

    response = client_b.put("/api/v1/resumes/me", {"content": "Overwritten."})

    assert response.status_code == 404
    assert db_state() == before


def test_delete_my_resume_never_deletes_other_users_resume(client_b, a_rows):
    before = db_state()

    response = client_b.delete("/api/v1/resumes/me")

    assert response.status_code == 404
    assert db_state() == before


def test_creating_my_resume_is_independent_of_other_users(client_a, client_b, user, other_user, a_rows):
    response = client_b.post("/api/v1/resumes", {"content": "B's own résumé."})

    assert response.status_code == 201
    assert Resume.objects.get(user=user).content == "A's private résumé."
    assert Resume.objects.get(user=other_user).content == "B's own résumé."
    assert client_a.get("/api/v1/resumes/me").json()["content"] == "A's private résumé."
    assert client_b.get("/api/v1/resumes/me").json()["content"] == "B's own résumé."


def test_session_detail_shows_the_callers_resume_not_other_users(client_b, other_user, a_rows):
    b_session = SessionFactory(user=other_user)

    response = client_b.get(f"/api/v1/sessions/{b_session.id}")

    assert response.status_code == 200
    assert response.json()["resume"] is None
