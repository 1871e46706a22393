"""Structured output that fits the server: json_schema, json_object, tools - against fake servers of each kind."""

import json

import pytest
from openai.types.chat import ChatCompletionMessage

from feedback.analysis import FeedbackAnalysis
from feedback.models import InterviewFeedback
from feedback.tasks import generate_feedback_task
from interviews.questions import GeneratedQuestion
from interviews.tasks import generate_question_task
from llm.errors import KINDS, LLMErrorCode
from llm.structured import _answer_text, request_arguments, strict_schema
from operations.models import Operation
from tests.factories import OperationFactory, SessionFactory, completed_session_with_answers

pytestmark = pytest.mark.django_db

MESSAGES = [{"role": "system", "content": "You assess."}, {"role": "user", "content": "The interview."}]


def test_json_schema_mode_sends_the_strict_schema_as_response_format():
    args = request_arguments(messages=MESSAGES, schema=FeedbackAnalysis, mode="json_schema")
    assert args["messages"] == MESSAGES
    assert args["response_format"]["type"] == "json_schema"
    assert args["response_format"]["json_schema"]["name"] == "FeedbackAnalysis"
    assert args["response_format"]["json_schema"]["strict"] is True
    schema = args["response_format"]["json_schema"]["schema"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["technical_accuracy_score"]["maximum"] == 100
    assert schema["properties"]["knowledge_gaps"]["maxItems"] == 10
    assert "tools" not in args


def test_json_object_mode_puts_the_schema_in_the_system_prompt():
    args = request_arguments(messages=MESSAGES, schema=GeneratedQuestion, mode="json_object")
    assert args["response_format"] == {"type": "json_object", "schema": strict_schema(GeneratedQuestion)}
    system = args["messages"][0]["content"]
    assert system.startswith("You assess.\n\nReply with one JSON object only")
    assert json.dumps(strict_schema(GeneratedQuestion), separators=(",", ":")) in system
    assert args["messages"][1:] == MESSAGES[1:]


def test_tools_mode_forces_one_function_call():
    args = request_arguments(messages=MESSAGES, schema=GeneratedQuestion, mode="tools")
    assert "response_format" not in args
    [tool] = args["tools"]
    assert tool["function"]["name"] == "GeneratedQuestion"
    assert tool["function"]["parameters"] == strict_schema(GeneratedQuestion)
    assert args["tool_choice"] == {"type": "function", "function": {"name": "GeneratedQuestion"}}


def test_tools_mode_answers_with_the_function_calls_arguments_only():
    def answer(call: dict) -> ChatCompletionMessage:
        return ChatCompletionMessage.model_validate({"role": "assistant", "content": None, "tool_calls": [call]})

    function_call = {"id": "c1", "type": "function", "function": {"name": "GeneratedQuestion", "arguments": "{}"}}
    custom_call = {"id": "c2", "type": "custom", "custom": {"name": "GeneratedQuestion", "input": "{}"}}
    assert _answer_text(answer(function_call), "tools") == "{}"
    # Not what the forced function call asks for: invalid output (asked once more), not an AttributeError.
    assert _answer_text(answer(custom_call), "tools") is None


def test_unknown_mode_is_an_error():
    with pytest.raises(ValueError, match="json_schema, json_object, tools"):
        request_arguments(messages=MESSAGES, schema=GeneratedQuestion, mode="grammar")


def feedback_operation():
    session = completed_session_with_answers()
    return OperationFactory(user=session.user, session=session)


def question_operation():
    session = SessionFactory()
    return OperationFactory(user=session.user, session=session, operation_type="question_generation")


RUNS = {
    "feedback": (feedback_operation, generate_feedback_task),
    "question": (question_operation, generate_question_task),
}


@pytest.mark.parametrize("kind", RUNS)
@pytest.mark.parametrize(
    ("persona", "mode"),
    [
        ("openai", "json_schema"),
        ("openai", "json_object"),
        ("llama-cpp-python", "json_object"),
        ("tools-only", "tools"),
    ],
)
def test_each_mode_completes_against_the_server_it_fits(fake_llm, settings, kind, persona, mode):
    make, task = RUNS[kind]
    fake_llm.persona = persona
    settings.OPENAI_STRUCTURED_OUTPUT = mode
    operation = make()

    assert task.apply(kwargs={"operation_id": str(operation.id)}).get() == "completed"

    operation.refresh_from_db()
    assert operation.status == "completed"
    assert len(fake_llm.calls) == 1
    body = fake_llm.calls[0]["body"]
    assert ("tools" in body) == (mode == "tools")
    if kind == "feedback":
        assert InterviewFeedback.objects.get(session=operation.session).overall_score == 83
    else:
        assert operation.result["message_type"] == "question"


@pytest.mark.parametrize("kind", RUNS)
@pytest.mark.parametrize(("persona", "mode"), [("llama-cpp-python", "json_schema"), ("tools-only", "json_schema")])
def test_a_mode_the_server_refuses_fails_once_at_once_with_the_configuration_code(
    fake_llm, settings, kind, persona, mode, caplog
):
    make, task = RUNS[kind]
    fake_llm.persona = persona
    settings.OPENAI_STRUCTURED_OUTPUT = mode
    settings.OPERATION_MAX_RETRIES = 4
    operation = make()

    assert task.apply(kwargs={"operation_id": str(operation.id)}).get() == "failed"

    operation.refresh_from_db()
    assert (operation.status, operation.error_code) == ("failed", "AI_UNSUPPORTED_REQUEST")
    assert operation.error_message == KINDS[LLMErrorCode.UNSUPPORTED_REQUEST].message
    assert "OPENAI_STRUCTURED_OUTPUT" in operation.error_message
    assert len(fake_llm.calls) == 1  # a configuration mismatch is not an outage: never retried
    assert operation.attempts == 1
    assert "set OPENAI_STRUCTURED_OUTPUT to a mode it supports" in caplog.text


def test_an_unsupported_request_is_not_retryable(client_a, user):
    operation = OperationFactory(user=user, failed=True, error_code="AI_UNSUPPORTED_REQUEST")
    response = client_a.post(f"/api/v1/operations/{operation.id}/retry")
    assert (response.status_code, response.json()["code"]) == (409, "OPERATION_NOT_RETRYABLE")
    assert Operation.objects.count() == 1
