"""The read-only polling API: GET /operations and GET /operations/{id}."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from operations.models import Operation
from tests.factories import OperationFactory, SessionFactory, db_state, iso, problem

pytestmark = pytest.mark.django_db

URL = "/api/v1/operations"
UNKNOWN_ID = "3f1c1f5e-8f43-4a4e-9d3b-3d8d1a0c0a11"


def body_of(operation: Operation) -> dict:
    return {
        "id": str(operation.id),
        "operation_type": operation.operation_type,
        "status": operation.status,
        "result": operation.result,
        "error_code": operation.error_code,
        "error_message": operation.error_message,
        "created_at": iso(operation.created_at),
        "updated_at": iso(operation.updated_at),
        "started_at": iso(operation.started_at),
        "finished_at": iso(operation.finished_at),
    }


# GET /operations/{id} ---------------------------------------------------------------------


def test_get_pending_operation_with_retry_after(client_a, user):
    operation = OperationFactory(user=user)

    response = client_a.get(f"{URL}/{operation.id}")

    assert response.status_code == 200
    assert response["Retry-After"] == "2"
    assert response.json() == body_of(operation)
    assert response.json() == {
        "id": str(operation.id),
        "operation_type": "feedback_analysis",
        "status": "pending",
        "result": None,
        "error_code": None,
        "error_message": None,
        "created_at": iso(operation.created_at),
        "updated_at": iso(operation.updated_at),
        "started_at": None,
        "finished_at": None,
    }


def test_get_processing_operation_with_retry_after(client_a, user):
    operation = OperationFactory(user=user, processing=True)

    response = client_a.get(f"{URL}/{operation.id}")

    assert response.status_code == 200
    assert response["Retry-After"] == "2"
    assert response.json() == body_of(operation)
    assert response.json()["status"] == "processing"
    assert response.json()["started_at"] == iso(operation.started_at)
    assert response.json()["finished_at"] is None


def test_get_completed_operation_has_a_result_and_no_retry_after(client_a, user):
    operation = OperationFactory(user=user, completed=True, result={"overall_score": 83, "knowledge_gaps": ["SQL"]})

    response = client_a.get(f"{URL}/{operation.id}")

    assert response.status_code == 200
    assert "Retry-After" not in response
    assert response.json() == body_of(operation)
    assert response.json()["result"] == {"overall_score": 83, "knowledge_gaps": ["SQL"]}
    assert response.json()["error_code"] is None
    assert response.json()["finished_at"] == iso(operation.finished_at)


def test_get_failed_operation_has_an_error_and_no_retry_after(client_a, user):
    operation = OperationFactory(user=user, failed=True)

    response = client_a.get(f"{URL}/{operation.id}")

    assert response.status_code == 200
    assert "Retry-After" not in response
    assert response.json() == body_of(operation)
    assert response.json()["status"] == "failed"
    assert response.json()["result"] is None
    assert response.json()["error_code"] == "AI_UNAVAILABLE"
    assert response.json()["error_message"] == "The AI service is not responding. Please try again in a few minutes."


def test_get_operation_shape_has_exactly_the_contract_keys(client_a, user):
    operation = OperationFactory(user=user, processing=True)

    response = client_a.get(f"{URL}/{operation.id}")

    # Internal bookkeeping (attempts, lease, dispatch time, user, session) never leaks.
    assert set(response.json()) == {
        "id",
        "operation_type",
        "status",
        "result",
        "error_code",
        "error_message",
        "created_at",
        "updated_at",
        "started_at",
        "finished_at",
    }


def test_get_operation_does_not_change_it(client_a, user):
    operation = OperationFactory(user=user)
    before = db_state(Operation)

    client_a.get(f"{URL}/{operation.id}")

    assert db_state(Operation) == before


def test_get_another_users_operation_is_404(client_a, other_user):
    operation = OperationFactory(user=other_user)

    response = client_a.get(f"{URL}/{operation.id}")

    assert response.status_code == 404
    assert "Retry-After" not in response
    assert response.json() == problem(404, "NOT_FOUND", "Not found.")


@pytest.mark.parametrize("operation_id", [UNKNOWN_ID, "not-a-uuid", "123"])
def test_get_unknown_or_malformed_operation_id_is_404(client_a, operation_id):
    response = client_a.get(f"{URL}/{operation_id}")

    assert response.status_code == 404
    assert response.json() == problem(404, "NOT_FOUND", "Not found.")


def test_get_operation_needs_authentication(api_client, user):
    operation = OperationFactory(user=user)

    response = api_client.get(f"{URL}/{operation.id}")

    assert response.status_code == 401
    assert response.json() == problem(401, "NOT_AUTHENTICATED", "Authentication credentials were not provided.")


# GET /operations --------------------------------------------------------------------------


def test_list_operations_only_own_newest_first(client_a, user, other_user):
    now = timezone.now()
    oldest = OperationFactory(user=user, completed=True, created_at=now - timedelta(hours=2))
    newest = OperationFactory(user=user, created_at=now)
    middle = OperationFactory(user=user, failed=True, created_at=now - timedelta(hours=1))
    OperationFactory(user=other_user, created_at=now + timedelta(minutes=1))

    response = client_a.get(URL)

    assert response.status_code == 200
    assert "Retry-After" not in response
    assert response.json() == {
        "count": 3,
        "next": None,
        "previous": None,
        "results": [body_of(newest), body_of(middle), body_of(oldest)],
    }


def test_list_operations_when_none(client_a, other_user):
    OperationFactory(user=other_user)

    response = client_a.get(URL)

    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


@pytest.mark.parametrize("status", ["pending", "processing", "completed", "failed"])
def test_list_operations_filtered_by_status(client_a, user, status):
    operations = {
        "pending": OperationFactory(user=user),
        "processing": OperationFactory(user=user, processing=True),
        "completed": OperationFactory(user=user, completed=True),
        "failed": OperationFactory(user=user, failed=True),
    }

    response = client_a.get(URL, {"status": status})

    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert response.json()["results"] == [body_of(operations[status])]


def test_list_operations_filtered_by_type(client_a, user):
    session = SessionFactory(user=user, completed=True)
    feedback = OperationFactory(user=user, session=session, operation_type="feedback_analysis")
    questions = OperationFactory(user=user, session=session, operation_type="question_generation")

    by_feedback = client_a.get(URL, {"operation_type": "feedback_analysis"})
    by_questions = client_a.get(URL, {"operation_type": "question_generation"})

    assert [o["id"] for o in by_feedback.json()["results"]] == [str(feedback.id)]
    assert [o["id"] for o in by_questions.json()["results"]] == [str(questions.id)]


def test_list_operations_combines_filters(client_a, user):
    OperationFactory(user=user)
    failed = OperationFactory(user=user, failed=True)
    OperationFactory(user=user, failed=True, operation_type="question_generation")

    response = client_a.get(URL, {"status": "failed", "operation_type": "feedback_analysis"})

    assert response.status_code == 200
    assert [o["id"] for o in response.json()["results"]] == [str(failed.id)]


@pytest.mark.parametrize(
    ("params", "field", "value"),
    [
        ({"status": "done"}, "status", "done"),
        ({"status": "PENDING"}, "status", "PENDING"),
        ({"operation_type": "essay_grading"}, "operation_type", "essay_grading"),
    ],
)
def test_list_operations_with_an_invalid_filter_is_400(client_a, user, params, field, value):
    OperationFactory(user=user)

    response = client_a.get(URL, params)

    assert response.status_code == 400
    message = f"Select a valid choice. {value} is not one of the available choices."
    assert response.json() == problem(400, "VALIDATION_ERROR", message, [{"field": field, "message": message}])


def test_list_operations_needs_authentication(api_client):
    response = api_client.get(URL)

    assert response.status_code == 401
    assert response.json()["code"] == "NOT_AUTHENTICATED"


# Read-only --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "detail"),
    [
        ("post", False),
        ("put", False),
        ("patch", False),
        ("delete", False),
        ("put", True),
        ("patch", True),
        ("delete", True),
        ("post", True),
    ],
)
def test_operations_api_is_read_only(client_a, user, method, detail):
    operation = OperationFactory(user=user)
    before = db_state(Operation)
    path = f"{URL}/{operation.id}" if detail else URL

    response = getattr(client_a, method)(path, {"status": "completed", "operation_type": "feedback_analysis"})

    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == problem(405, "METHOD_NOT_ALLOWED", f'Method "{method.upper()}" not allowed.')
    assert db_state(Operation) == before


def test_wait_is_validated_and_answered_at_once_without_asgi(client_a, user):
    """Under WSGI (the test client) ?wait= answers at once; a bad value is a 400 as under ASGI."""
    op = OperationFactory(user=user)
    assert client_a.get(f"/api/v1/operations/{op.pk}?wait=3").json()["status"] == "pending"
    bad = client_a.get(f"/api/v1/operations/{op.pk}?wait=31")
    assert bad.status_code == 400
    assert bad.json()["errors"] == [
        {"field": "wait", "message": "wait must be a whole number of seconds from 0 to 30."}
    ]


def test_events_fallback_sends_one_event_with_retry(client_a, user):
    op = OperationFactory(user=user)
    response = client_a.get(f"/api/v1/operations/{op.pk}/events", HTTP_ACCEPT="text/event-stream")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/event-stream")
    text = response.content.decode()
    assert text.startswith("retry: 2000\nevent: operation\nid: pending\ndata: {")
    assert f'"id":"{op.pk}"' in text


def test_events_of_another_users_operation_is_404(client_b, user):
    op = OperationFactory(user=user)
    response = client_b.get(f"/api/v1/operations/{op.pk}/events")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    "state", [{}, {"processing": True}, {"completed": True}, {"failed": True}, {"cancelled": True}]
)
def test_the_hand_written_representation_is_the_serializers(state):
    """operation_data (the hot path) says exactly what OperationSerializer says, from an instance or a row."""
    from operations.serializers import FIELDS, OperationSerializer, operation_data

    operation = OperationFactory(**state)
    operation.refresh_from_db()
    expected = json.loads(json.dumps(OperationSerializer(operation).data))
    row = Operation.objects.filter(pk=operation.pk).values(*FIELDS).get()
    assert json.loads(json.dumps(operation_data(operation))) == expected
    assert json.loads(json.dumps(operation_data(row))) == expected
