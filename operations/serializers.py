"""The Operation as clients see it. Types are the registry's (operations/registry.py): nothing here
knows what the work is; ``result`` is documented as one of the registered result shapes."""

from datetime import UTC, datetime
from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from operations import registry
from operations.models import Operation

_OPERATION = {
    "id": "5c0e8a4e-3a8f-4d2b-9f0a-1b7e6f2d4c33",
    "operation_type": "feedback_analysis",
    "status": "pending",
    "result": None,
    "error_code": None,
    "error_message": None,
    "created_at": "2026-11-22T10:15:00.123456Z",
    "updated_at": "2026-11-22T10:15:00.123456Z",
    "started_at": None,
    "finished_at": None,
}
_FINISHED = {
    "updated_at": "2026-11-22T10:15:07.402311Z",
    "started_at": "2026-11-22T10:15:00.310542Z",
    "finished_at": "2026-11-22T10:15:07.402311Z",
}


def operation_examples() -> list[OpenApiExample]:
    """Pending, one completed example per registered type, failed, cancelled.

    Read when this module is imported, which is after every app's ready() has registered its
    type (the URLconf and the waiting endpoints import it; no ready() does).
    """
    examples = [
        OpenApiExample(
            "Pending",
            summary="Accepted, not started yet (poll again after Retry-After)",
            value=_OPERATION,
            response_only=True,
            status_codes=["200", "202"],
        )
    ]
    for operation_type in registry.all_types():
        if operation_type.result_example is not None:
            examples.append(
                OpenApiExample(
                    f"Completed {operation_type.name}",
                    summary=f"Completed {operation_type.name}: result is what the work produced",
                    value={
                        **_OPERATION,
                        **_FINISHED,
                        "operation_type": operation_type.name,
                        "status": "completed",
                        "result": operation_type.result_example,
                    },
                    response_only=True,
                    status_codes=["200"],
                )
            )
    examples += [
        OpenApiExample(
            "Failed",
            summary="Failed: error_code and a message for the user",
            value={
                **_OPERATION,
                **_FINISHED,
                "status": "failed",
                "error_code": "AI_TIMEOUT",
                "error_message": "The AI service is not responding. Please try again in a few minutes.",
            },
            response_only=True,
            status_codes=["200"],
        ),
        OpenApiExample(
            "Cancelled",
            summary="Cancelled by the user: nothing was stored",
            value={**_OPERATION, **_FINISHED, "status": "cancelled"},
            response_only=True,
            status_codes=["200"],
        ),
    ]
    return examples


class OperationResultField(serializers.JSONField):
    """The result as stored (JSON); documented as one of the registered types' results (operations/schema.py)."""


class OperationTypeField(serializers.CharField):
    """One of the registered operation types; documented as their enum (operations/schema.py)."""


@extend_schema_serializer(examples=operation_examples())
class OperationSerializer(serializers.ModelSerializer[Operation]):
    """A long-running piece of work: pending -> processing -> completed | failed, or cancelled."""

    operation_type = OperationTypeField(read_only=True)
    result = OperationResultField(
        allow_null=True,
        read_only=True,
        help_text="Null until completed; then what the work produced: for feedback_analysis the stored "
        "feedback (as GET /sessions/{id}/feedback returns it), for question_generation the question "
        "message (as GET /sessions/{id}/messages returns it).",
    )

    class Meta:
        model = Operation
        fields = [
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
        ]
        read_only_fields = fields


FIELDS = tuple(OperationSerializer.Meta.fields)


def _iso(value: datetime | None) -> str | None:
    # As DRF's DateTimeField renders it (UTC, "Z").
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def operation_data(operation: Operation | dict[str, Any]) -> dict[str, Any]:
    """Exactly ``OperationSerializer(operation).data``, from an instance or a ``values()`` row, without
    the serializer's per-call field building: the poll, the 202 and the waiters' hot path."""
    get = operation.__getitem__ if isinstance(operation, dict) else operation.__getattribute__
    return {
        "id": str(get("id")),
        "operation_type": get("operation_type"),
        "status": get("status"),
        "result": get("result"),
        "error_code": get("error_code"),
        "error_message": get("error_message"),
        "created_at": _iso(get("created_at")),
        "updated_at": _iso(get("updated_at")),
        "started_at": _iso(get("started_at")),
        "finished_at": _iso(get("finished_at")),
    }
