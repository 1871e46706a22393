"""/metrics: Prometheus text with HTTP metrics and the operation pipeline's counters."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from feedback.tasks import generate_feedback_task
from tests.factories import OperationFactory, completed_session_with_answers
from tests.fake_openai import Reply

pytestmark = pytest.mark.django_db


def scrape(client) -> dict[tuple, float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    values = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return values


def value(values, name, **labels) -> float:
    return values.get((name, tuple(sorted(labels.items()))), 0.0)


FINISHED = "operations_finished_total"
FEEDBACK = "feedback_analysis"


def run_task(user=None):
    session = completed_session_with_answers(user=user)
    op = OperationFactory(user=session.user, session=session)
    generate_feedback_task.apply(kwargs={"operation_id": str(op.pk)})
    return op


def test_counters_move_when_an_operation_completes(client, fake_llm):
    before = scrape(client)
    run_task()
    after = scrape(client)

    assert value(after, FINISHED, operation_type=FEEDBACK, outcome="completed") == (
        value(before, FINISHED, operation_type=FEEDBACK, outcome="completed") + 1
    )
    model = "gpt-5.4-mini"
    assert value(after, "llm_tokens_total", model=model, direction="input") == (
        value(before, "llm_tokens_total", model=model, direction="input") + 1200
    )
    assert value(after, "llm_tokens_total", model=model, direction="output") == (
        value(before, "llm_tokens_total", model=model, direction="output") + 350
    )
    assert value(after, "llm_request_duration_seconds_count", model=model, outcome="ok") == (
        value(before, "llm_request_duration_seconds_count", model=model, outcome="ok") + 1
    )
    assert value(after, "operation_queue_wait_seconds_count", operation_type=FEEDBACK) == (
        value(before, "operation_queue_wait_seconds_count", operation_type=FEEDBACK) + 1
    )


def test_counters_move_when_an_operation_fails(client, fake_llm):
    fake_llm.default = Reply.error(401, "invalid_api_key")
    before = scrape(client)
    run_task()
    after = scrape(client)
    assert value(after, FINISHED, operation_type=FEEDBACK, outcome="AI_AUTH_FAILED") == (
        value(before, FINISHED, operation_type=FEEDBACK, outcome="AI_AUTH_FAILED") + 1
    )
    assert value(after, FINISHED, operation_type=FEEDBACK, outcome="completed") == value(
        before, FINISHED, operation_type=FEEDBACK, outcome="completed"
    )
    assert value(after, "llm_request_duration_seconds_count", model="gpt-5.4-mini", outcome="AI_AUTH_FAILED") >= 1


def test_created_counter_and_unfinished_gauge(client, client_a, user, django_capture_on_commit_callbacks):
    before = scrape(client)
    session = completed_session_with_answers(user=user)
    with django_capture_on_commit_callbacks(execute=True):
        assert client_a.post(f"/api/v1/sessions/{session.id}/generate-feedback").status_code == 202
    OperationFactory(processing=True)
    after = scrape(client)
    assert value(after, "operations_created_total", operation_type=FEEDBACK) == (
        value(before, "operations_created_total", operation_type=FEEDBACK) + 1
    )
    assert value(after, "operations_unfinished", operation_type=FEEDBACK, status="pending") == 1
    assert value(after, "operations_unfinished", operation_type=FEEDBACK, status="processing") == 1
    assert value(after, "operations_oldest_unfinished_age_seconds", operation_type=FEEDBACK, status="pending") >= 0


def test_http_metrics_are_exported(client, client_a):
    client_a.get("/api/v1/users/me")
    names = {name for name, _ in scrape(client)}
    assert "django_http_requests_total_by_method_total" in names
    assert "django_http_requests_latency_seconds_by_view_method_count" in names


def test_metrics_token_protects_the_page(client, settings):
    settings.METRICS_TOKEN = "scrape-secret"
    refused = client.get("/metrics")
    assert refused.status_code == 401
    assert refused["Content-Type"] == "application/problem+json"
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret").status_code == 200
