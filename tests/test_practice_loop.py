"""The whole practice loop through the HTTP API and a real `celery worker`: AI questions, answers, feedback."""

import time

import pytest
import redis
from django.conf import settings

from conftest import auth_client
from feedback.models import InterviewFeedback
from interviews.models import SessionMessage
from tests.factories import JobPostingFactory, ResumeFactory, UserFactory
from tests.processes import running_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def clean_broker():
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.flushdb()
    yield broker
    broker.flushdb()


def follow(client, accepted, timeout: float = 60) -> dict:
    """Follow a 202's operation as an SPA would: long-poll its Location until it is finished."""
    assert accepted.status_code == 202, accepted.content
    location = accepted["Location"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(location).json()
        if body["status"] not in ("pending", "processing"):
            return body
        time.sleep(0.1)
    raise AssertionError(f"{location} still {body['status']} after {timeout}s")


def test_an_ai_interview_from_first_question_to_feedback(fake_llm, clean_broker):
    user = UserFactory()
    ResumeFactory(user=user)
    posting = JobPostingFactory(user=user)
    client = auth_client(user)

    with running_worker():
        session = client.post("/api/v1/sessions", {"job_posting_id": str(posting.id)}, format="json").json()
        base = f"/api/v1/sessions/{session['id']}"
        asked = []
        for n in range(3):
            operation = follow(client, client.post(f"{base}/generate-question"))
            assert operation["status"] == "completed", operation
            question = operation["result"]
            assert question["message_type"] == "question"
            # The result is the message, exactly as the transcript shows it.
            assert client.get(f"{base}/messages").json()[-1] == question
            asked.append(question)
            # Asking again before answering is refused.
            assert client.post(f"{base}/generate-question").status_code == 409
            answer = client.post(f"{base}/answers", {"answer_text": f"My answer number {n + 1}."}, format="json")
            assert answer.status_code == 201
        assert client.post(f"{base}/complete").json()["status"] == "completed"
        feedback = follow(client, client.post(f"{base}/generate-feedback"))

    assert feedback["status"] == "completed", feedback
    assert client.get(f"{base}/feedback").json() == feedback["result"]
    assert [q["question_type"] for q in asked] == ["technical", "behavioral", "situational"]
    assert len({q["content"] for q in asked}) == 3  # never the same question twice
    detail = client.get(base).json()
    assert detail["current_question_number"] == 3
    assert [m["message_type"] for m in detail["messages"]] == ["question", "answer"] * 3
    assert not SessionMessage.objects.filter(session_id=session["id"], is_open=True).exists()
    assert InterviewFeedback.objects.filter(session_id=session["id"]).count() == 1
    # Three question calls and one analysis; the analysis saw every question and answer.
    assert len(fake_llm.calls) == 4
    transcript = fake_llm.calls[-1]["body"]["messages"][1]["content"]
    for n, question in enumerate(asked, start=1):
        assert f"{question['content']}" in transcript and f"My answer number {n}." in transcript
