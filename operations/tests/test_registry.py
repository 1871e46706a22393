"""Operation types are a registry: a new type needs nothing from operations/ but a registration."""

from collections.abc import Callable

import pytest
import redis
from celery import shared_task
from django.conf import settings
from django.db import transaction
from rest_framework import serializers

from common.exceptions import ConflictError, ProblemCode
from interviews.models import InterviewSession
from operations import metrics, registry, services
from operations.models import Operation
from operations.runner import TASK_OPTIONS, run_operation
from tests.factories import OperationFactory, SessionFactory

pytestmark = pytest.mark.django_db


class EchoResultSerializer(serializers.Serializer):
    session_id = serializers.UUIDField(source="id")
    status = serializers.CharField()


ECHO_REFUSED = ProblemCode(
    "ECHO_REFUSED", 409, when="the session is not active", example="Only an active session echoes."
)


def echo_request(*, session, user) -> tuple[Operation, bool]:
    if session.status != "active":
        raise ConflictError("Only an active session echoes.", code=ECHO_REFUSED)
    return services.operation_get_or_create_inflight(
        user=user, session=session, operation_type="echo_test", params={"loud": True}
    )


def echo_prepare(operation: Operation) -> Callable[[], str]:
    answer = operation.params["loud"] and "ECHO"
    return lambda: answer


def echo_store(operation: Operation, outcome: str) -> bool:
    with transaction.atomic():
        assert operation.session_id is not None
        session = InterviewSession.objects.get(pk=operation.session_id)
        return services.operation_complete(operation=operation, result=session, accounting={"llm_model": outcome})


@shared_task(name="operations.tests.echo_test_task", **TASK_OPTIONS)
def echo_test_task(self, operation_id, attempt=None):
    return run_operation(self, operation_id=operation_id, attempt=attempt, prepare=echo_prepare, store=echo_store)


@pytest.fixture
def echo_type():
    operation_type = registry.register(
        registry.OperationType(
            name="echo_test",
            task="operations.tests.echo_test_task",
            retry=lambda op: echo_request(session=op.session, user=op.user),
            result_serializer=EchoResultSerializer,
            not_retryable=frozenset({"ECHO_BROKEN"}),
        )
    )
    yield operation_type
    registry.unregister("echo_test")


def test_a_new_type_runs_on_the_whole_machinery(echo_type, django_capture_on_commit_callbacks, client_a, user):
    session = SessionFactory(user=user)
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("celery")

    # Created and published after commit to its own task.
    with django_capture_on_commit_callbacks(execute=True):
        operation, created = echo_request(session=session, user=user)
    messages = broker.lrange("celery", 0, -1)
    broker.delete("celery")
    assert created and operation.status == "pending"
    assert len(messages) == 1 and b"operations.tests.echo_test_task" in messages[0]
    # One in flight per session and type.
    assert echo_request(session=session, user=user) == (operation, False)

    # Claimed, run and completed by the shared runner; result through the type's serializer.
    assert echo_test_task.apply(kwargs={"operation_id": str(operation.id)}).get() == "completed"
    operation.refresh_from_db()
    assert operation.status == "completed" and operation.llm_model == "ECHO"
    assert operation.result == {"session_id": str(session.id), "status": "active"}

    # The API serves it like any other: listed, filtered by its type, polled.
    listed = client_a.get("/api/v1/operations", {"operation_type": "echo_test"}).json()
    assert [o["id"] for o in listed["results"]] == [str(operation.id)]
    assert client_a.get(f"/api/v1/operations/{operation.id}").json()["result"] == operation.result


def test_a_new_type_is_retried_and_cancelled_by_operations(echo_type, client_a, user):
    session = SessionFactory(user=user)
    failed = OperationFactory(user=user, session=session, operation_type="echo_test", failed=True)
    broken = OperationFactory(
        user=user, session=session, operation_type="echo_test", failed=True, error_code="ECHO_BROKEN"
    )

    retried = client_a.post(f"/api/v1/operations/{failed.id}/retry")
    assert retried.status_code == 202
    new = Operation.objects.get(pk=retried.json()["id"])
    assert (new.operation_type, new.params) == ("echo_test", {"loud": True})
    assert client_a.post(f"/api/v1/operations/{broken.id}/retry").json()["code"] == "OPERATION_NOT_RETRYABLE"

    assert client_a.post(f"/api/v1/operations/{new.id}/cancel").json()["status"] == "cancelled"
    session.status, session.completed_at = "completed", new.created_at
    session.save()
    assert client_a.post(f"/api/v1/operations/{failed.id}/retry").json()["code"] == "ECHO_REFUSED"


def test_metrics_and_admin_know_a_new_type(echo_type, admin_client):
    operation = OperationFactory(operation_type="echo_test", processing=True)

    scraped = {
        (s.labels["operation_type"], s.labels["status"]): s.value
        for family in metrics.UnfinishedOperationsCollector().collect()
        if family.name == "operations_unfinished"
        for s in family.samples
    }
    assert scraped[("echo_test", "processing")] == 1
    assert scraped[("echo_test", "pending")] == 0
    page = admin_client.get(f"/admin/operations/operation/{operation.pk}/change/")
    assert page.status_code == 200
    assert b"echo_test" in page.content


def test_an_unregistered_type_is_refused_before_anything_is_written():
    session = SessionFactory()

    with pytest.raises(registry.UnknownOperationTypeError):
        services.operation_get_or_create_inflight(user=session.user, session=session, operation_type="nobody_has_this")

    assert Operation.objects.count() == 0


def test_registering_a_taken_name_differently_is_an_error(echo_type):
    assert registry.register(echo_type) is echo_type  # the same definition again: fine
    with pytest.raises(ValueError, match="already registered"):
        registry.register(
            registry.OperationType(
                name="echo_test", task="elsewhere", retry=echo_type.retry, result_serializer=EchoResultSerializer
            )
        )


def test_the_two_types_are_registered_by_their_apps():
    assert {t.name: t.task for t in registry.all_types()} == {
        "feedback_analysis": "feedback.tasks.generate_feedback_task",
        "question_generation": "interviews.tasks.generate_question_task",
    }
