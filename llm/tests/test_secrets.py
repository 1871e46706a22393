"""A planted key (in the real `sk-proj-…` shape) never reaches logs, errors or results."""

import pytest

from common.logging import redact
from conftest import PLANTED_KEY
from feedback.tasks import generate_feedback_task
from operations.models import Operation
from tests.factories import OperationFactory, ResumeFactory, completed_session_with_answers
from tests.fake_openai import Reply

pytestmark = pytest.mark.django_db

PLANTED_RESUME = "Planted résumé sentence: led the Zanzibar ledger migration in 2019."


@pytest.mark.parametrize(
    "secret",
    [
        PLANTED_KEY,
        "sk-proj-AbC_def-123456789",
        "sk-svcacct-Zz9_x-1234567",
        "sk-0123456789abcdefABCDEF",
    ],
)
def test_redact_catches_every_key_shape(secret):
    assert secret not in redact(f"calling with {secret} now")
    assert "[REDACTED]" in redact(f"calling with {secret} now")


def test_redact_catches_bearer_tokens():
    assert "eyJhbGciOi" not in redact("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig")


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(Reply.error(401, "invalid_api_key", f"Incorrect API key provided: {PLANTED_KEY}"), id="401"),
        pytest.param(Reply.error(500, "server_error", f"upstream echoed {PLANTED_KEY}"), id="500"),
        pytest.param(Reply(content=f"not json {PLANTED_KEY}"), id="invalid"),
    ],
)
def test_planted_key_never_reaches_logs_errors_or_results(fake_llm, captured_logs, settings, reply):
    settings.OPERATION_MAX_RETRIES = 1
    fake_llm.default = reply
    session = completed_session_with_answers()
    ResumeFactory(user=session.user, content=PLANTED_RESUME)
    operation = OperationFactory(user=session.user, session=session)

    generate_feedback_task.apply(kwargs={"operation_id": str(operation.id)})

    operation.refresh_from_db()
    assert operation.status == Operation.Status.FAILED
    logs = captured_logs.getvalue()
    assert logs, "the pipeline captured nothing: the test would prove nothing"
    assert fake_llm.calls[0]["headers"]["authorization"] == f"Bearer {PLANTED_KEY}"  # the key was really used
    for text in (logs, operation.error_message, operation.error_code, str(operation.result)):
        assert PLANTED_KEY not in text
        assert "sk-proj-" not in text
    # Nor the résumé or transcript text (the résumé did reach the model).
    assert PLANTED_RESUME in fake_llm.calls[0]["body"]["messages"][1]["content"]
    assert PLANTED_RESUME not in logs
    assert "idempotency key stored under a unique constraint" not in logs
