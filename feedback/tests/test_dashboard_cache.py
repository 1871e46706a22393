"""The dashboard from the shared cache (interviews/progress.py): served without a query while the
history is unchanged, recomputed as soon as any write changes it, computed when the cache is down."""

import pytest

from conftest import auth_client
from feedback.tasks import generate_feedback_task
from tests.factories import JobPostingFactory, OperationFactory, SessionFactory, completed_session_with_answers

pytestmark = pytest.mark.django_db

URL = "/api/v1/users/me/dashboard"


@pytest.fixture
def history(user):
    posting = JobPostingFactory(user=user, title="Backend engineer")
    session = SessionFactory(user=user, job_posting=posting)
    return posting, session


@pytest.fixture
def write(django_capture_on_commit_callbacks):
    """Run a write and what it leaves for after its commit (the tests' transaction never commits)."""

    def run(call):
        with django_capture_on_commit_callbacks(execute=True):
            response = call()
        assert response.status_code < 300, response.content
        return response

    return run


def test_an_unchanged_history_is_served_from_the_cache(user, history, django_assert_num_queries):
    client = auth_client(user)
    first = client.get(URL).json()
    with django_assert_num_queries(0):  # the user and the dashboard both from the cache
        assert client.get(URL).json() == first


def test_every_write_to_the_history_shows_at_once(user, history, write):
    posting, session = history
    client = auth_client(user)
    base = f"/api/v1/sessions/{session.pk}"
    assert client.get(URL).json()["questions_answered"] == 0

    write(lambda: client.post(f"{base}/questions", {"content": "Why?"}, format="json"))
    write(lambda: client.post(f"{base}/answers", {"answer_text": "Because."}, format="json"))
    assert client.get(URL).json()["questions_answered"] == 1

    write(lambda: client.post(f"{base}/complete"))
    assert client.get(URL).json()["completed_sessions"] == 1
    assert client.get(URL).json()["top_roles"] == [{"title": "Backend engineer", "sessions": 1}]

    write(lambda: client.patch(f"/api/v1/job-postings/{posting.pk}", {"title": "Platform engineer"}, format="json"))
    assert client.get(URL).json()["top_roles"] == [{"title": "Platform engineer", "sessions": 1}]

    write(lambda: client.delete(f"/api/v1/job-postings/{posting.pk}"))
    assert client.get(URL).json()["top_roles"] == []

    write(lambda: client.delete(base))
    after = client.get(URL).json()
    assert (after["completed_sessions"], after["questions_answered"]) == (0, 0)


def test_feedback_stored_by_the_worker_shows_at_once(user, fake_llm, django_capture_on_commit_callbacks):
    session = completed_session_with_answers(user=user)
    client = auth_client(user)
    assert client.get(URL).json()["average_overall_score"] is None
    operation = OperationFactory(user=user, session=session)

    with django_capture_on_commit_callbacks(execute=True):
        assert generate_feedback_task.apply(kwargs={"operation_id": str(operation.pk)}).get() == "completed"

    assert client.get(URL).json()["average_overall_score"] is not None


def test_the_dashboard_is_computed_while_the_cache_is_down(user, history, settings):
    client = auth_client(user)
    settings.CACHES = {
        "default": {
            "BACKEND": "common.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    response = client.get(URL)
    assert response.status_code == 200
    assert response.json()["completed_sessions"] == 0
