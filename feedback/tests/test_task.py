"""generate_feedback_task in-process (eager), with the real SDK against the fake model server."""

import json
import threading

import pytest
from django.db import connection

from conftest import PLANTED_KEY
from feedback.models import InterviewFeedback
from feedback.serializers import FeedbackSerializer
from feedback.tasks import generate_feedback_task
from llm.errors import KINDS, LLMErrorCode
from operations.models import Operation
from tests.factories import OperationFactory, ResumeFactory, completed_session_with_answers
from tests.fake_openai import VALID_FEEDBACK, Reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def operation(user):
    ResumeFactory(user=user)
    session = completed_session_with_answers(user=user)
    return OperationFactory(user=user, session=session)


def run(operation) -> str:
    return generate_feedback_task.apply(kwargs={"operation_id": str(operation.id)}).get()


def assert_failed(operation, code: LLMErrorCode | str, calls: int, fake_llm):
    operation.refresh_from_db()
    assert operation.status == Operation.Status.FAILED
    assert operation.error_code == code
    assert operation.result is None
    assert operation.finished_at is not None
    assert len(fake_llm.calls) == calls
    assert not InterviewFeedback.objects.filter(session=operation.session).exists()
    # The user sees our message, never the provider's text, a traceback or a key.
    if isinstance(code, LLMErrorCode):
        assert operation.error_message == KINDS[code].message
    for leak in ("provider error", "Traceback", PLANTED_KEY, "sk-"):
        assert leak not in operation.error_message


def test_pending_to_completed_stores_feedback_and_result(operation, fake_llm):
    assert run(operation) == "completed"

    operation.refresh_from_db()
    feedback = InterviewFeedback.objects.get(session=operation.session)
    assert operation.status == Operation.Status.COMPLETED
    assert operation.attempts == 1
    assert operation.started_at is not None and operation.finished_at is not None
    assert operation.error_code is None and operation.error_message is None
    assert feedback.overall_score == 83  # 80, 85, 80, 85 -> 82.5 -> 83
    assert feedback.operation_id == operation.id
    # Accounting for the bill: model, prompt version, tokens, latency.
    assert operation.llm_model == "gpt-5.4-mini"
    assert operation.prompt_version == "feedback-v3"
    assert (operation.input_tokens, operation.output_tokens) == (1200, 350)
    assert operation.model_latency_ms is not None
    assert feedback.knowledge_gaps == VALID_FEEDBACK["knowledge_gaps"]
    # The result is exactly what GET /sessions/{id}/feedback returns.
    assert operation.result == json.loads(json.dumps(FeedbackSerializer(feedback).data, default=str))
    # One model call, with our key, the transcript, and a strict schema.
    assert len(fake_llm.calls) == 1
    call = fake_llm.calls[0]
    assert call["headers"]["authorization"] == f"Bearer {PLANTED_KEY}"
    assert call["body"]["response_format"]["type"] == "json_schema"
    assert call["body"]["response_format"]["json_schema"]["strict"] is True
    assert "Résumé" not in call["body"]["messages"][0]["content"]
    assert "idempotent payment endpoint" in call["body"]["messages"][1]["content"]


def test_duplicate_delivery_of_a_finished_operation_does_nothing(operation, fake_llm):
    run(operation)
    assert run(operation) == "not-claimed"
    assert len(fake_llm.calls) == 1
    assert InterviewFeedback.objects.count() == 1


def test_timeout_is_retried_then_fails(operation, fake_llm, settings):
    settings.OPENAI_TIMEOUT_SECONDS = 0.3
    settings.OPERATION_MAX_RETRIES = 2
    fake_llm.default = Reply.feedback(delay=1.0)
    assert run(operation) == "failed"
    assert_failed(operation, LLMErrorCode.TIMEOUT, calls=3, fake_llm=fake_llm)


def test_connection_refused_is_retried_then_fails(operation, fake_llm, settings):
    settings.OPENAI_BASE_URL = "http://127.0.0.1:9/v1"  # discard port: nothing listens
    settings.OPERATION_MAX_RETRIES = 2
    assert run(operation) == "failed"
    assert_failed(operation, LLMErrorCode.UNAVAILABLE, calls=0, fake_llm=fake_llm)
    operation.refresh_from_db()
    assert operation.attempts == 3


def test_rate_limit_is_retried_then_fails(operation, fake_llm, settings):
    settings.OPERATION_MAX_RETRIES = 2
    fake_llm.default = Reply.error(429, "rate_limit_exceeded", headers={"Retry-After": "0"})
    assert run(operation) == "failed"
    assert_failed(operation, LLMErrorCode.RATE_LIMITED, calls=3, fake_llm=fake_llm)


def test_rate_limit_blip_is_ridden_out(operation, fake_llm):
    fake_llm.push(Reply.error(429, "rate_limit_exceeded"))
    assert run(operation) == "completed"
    assert len(fake_llm.calls) == 2


def test_quota_exhausted_fails_at_once(operation, fake_llm):
    fake_llm.default = Reply.error(429, "insufficient_quota", "You exceeded your current quota")
    assert run(operation) == "failed"
    assert_failed(operation, LLMErrorCode.QUOTA_EXCEEDED, calls=1, fake_llm=fake_llm)


def test_server_error_then_success_completes(operation, fake_llm):
    fake_llm.push(Reply.error(500, "server_error"))
    assert run(operation) == "completed"
    operation.refresh_from_db()
    assert operation.status == Operation.Status.COMPLETED
    assert operation.attempts == 2
    assert len(fake_llm.calls) == 2


def test_server_error_always_fails_after_bounded_retries(operation, fake_llm, settings):
    settings.OPERATION_MAX_RETRIES = 3
    fake_llm.default = Reply.error(500, "server_error")
    assert run(operation) == "failed"
    assert_failed(operation, LLMErrorCode.UNAVAILABLE, calls=4, fake_llm=fake_llm)


def test_bad_key_fails_at_once(operation, fake_llm):
    fake_llm.default = Reply.error(401, "invalid_api_key", f"Incorrect API key provided: {PLANTED_KEY}")
    assert run(operation) == "failed"
    assert_failed(operation, LLMErrorCode.AUTH_FAILED, calls=1, fake_llm=fake_llm)


def test_bad_request_fails_at_once(operation, fake_llm):
    fake_llm.default = Reply.error(400, "model_not_found", "The model `gpt-9` does not exist")
    assert run(operation) == "failed"
    assert_failed(operation, LLMErrorCode.BAD_REQUEST, calls=1, fake_llm=fake_llm)


def test_refusal_fails_at_once(operation, fake_llm):
    fake_llm.default = Reply(content=None, refusal="I can't help with that.")
    assert run(operation) == "failed"
    assert_failed(operation, LLMErrorCode.REFUSED, calls=1, fake_llm=fake_llm)


def test_content_filter_is_a_refusal(operation, fake_llm):
    fake_llm.default = Reply(content=None, finish_reason="content_filter")
    assert run(operation) == "failed"
    assert_failed(operation, LLMErrorCode.REFUSED, calls=1, fake_llm=fake_llm)


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(Reply(content='{"technical_accuracy_score": 8', finish_reason="length"), id="truncated"),
        pytest.param(Reply(content="Sure! Here is my feedback: great job."), id="non-json-content"),
        pytest.param(Reply(body=b"<html>502 Bad Gateway</html>"), id="non-json-body"),
        pytest.param(Reply.feedback(technical_accuracy_score=150), id="out-of-range"),
        pytest.param(
            Reply(content=json.dumps({k: v for k, v in VALID_FEEDBACK.items() if k != "relevance_score"})),
            id="missing-key",
        ),
    ],
)
def test_invalid_output_is_retried_once_then_fails(operation, fake_llm, reply):
    fake_llm.default = reply
    assert run(operation) == "failed"
    assert_failed(operation, LLMErrorCode.RESPONSE_INVALID, calls=2, fake_llm=fake_llm)


def test_invalid_output_then_valid_output_completes(operation, fake_llm):
    fake_llm.push(Reply.feedback(relevance_score=150))
    assert run(operation) == "completed"
    assert InterviewFeedback.objects.get(session=operation.session).relevance_score == 85
    assert len(fake_llm.calls) == 2


def test_session_no_longer_completed_fails_without_model_call(operation, fake_llm):
    operation.session.status, operation.session.completed_at = "active", None
    operation.session.save()
    assert run(operation) == "failed"
    assert_failed(operation, "SESSION_NOT_COMPLETED", calls=0, fake_llm=fake_llm)


def test_session_of_another_user_is_not_analysed(operation, fake_llm, other_user):
    operation.session.user = other_user
    operation.session.save()
    assert run(operation) == "failed"
    assert_failed(operation, "SESSION_NOT_FOUND", calls=0, fake_llm=fake_llm)


def test_missing_resume_and_posting_are_analysed(user, fake_llm):
    session = completed_session_with_answers(user=user, job_posting=None)
    operation = OperationFactory(user=user, session=session)
    assert run(operation) == "completed"
    prompt = fake_llm.calls[0]["body"]["messages"][1]["content"]
    assert "No job posting was given" in prompt
    assert "did not provide a résumé" in prompt


@pytest.mark.django_db(transaction=True)
def test_feedback_inserted_concurrently_fails_operation_with_feedback_already_exists(user, fake_llm):
    """Another analysis commits feedback while ours waits on the model: the unique session wins."""
    session = completed_session_with_answers(user=user)
    operation = OperationFactory(user=user, session=session)
    fake_llm.default = Reply.feedback(delay=1.0)
    winner = {}

    def other_analysis():
        while not fake_llm.calls:  # our model call is in flight
            threading.Event().wait(0.01)
        winner["row"] = InterviewFeedback.objects.create(
            session=session,
            overall_score=50,
            **{
                **VALID_FEEDBACK,
                "technical_accuracy_score": 50,
                "communication_clarity_score": 50,
                "problem_solving_score": 50,
                "relevance_score": 50,
            },
        )
        connection.close()

    thread = threading.Thread(target=other_analysis)
    thread.start()
    result = run(operation)
    thread.join()

    assert result == "lost"
    operation.refresh_from_db()
    assert operation.status == Operation.Status.FAILED
    assert operation.error_code == "FEEDBACK_ALREADY_EXISTS"
    assert list(InterviewFeedback.objects.values_list("id", flat=True)) == [winner["row"].id]
