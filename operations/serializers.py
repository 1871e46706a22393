from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from feedback.serializers import FEEDBACK_EXAMPLE, FeedbackSerializer
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
OPERATION_EXAMPLES = [
    OpenApiExample(
        "Pending",
        summary="Accepted, not started yet (poll again after Retry-After)",
        value=_OPERATION,
        response_only=True,
        status_codes=["200", "202"],
    ),
    OpenApiExample(
        "Completed",
        summary="Completed: result is the feedback",
        value={
            **_OPERATION,
            "status": "completed",
            "result": FEEDBACK_EXAMPLE,
            "updated_at": "2026-11-22T10:15:07.402311Z",
            "started_at": "2026-11-22T10:15:00.310542Z",
            "finished_at": "2026-11-22T10:15:07.402311Z",
        },
        response_only=True,
        status_codes=["200"],
    ),
    OpenApiExample(
        "Failed",
        summary="Failed: error_code and a message for the user",
        value={
            **_OPERATION,
            "status": "failed",
            "error_code": "AI_TIMEOUT",
            "error_message": "The AI service is not responding. Please try again in a few minutes.",
            "updated_at": "2026-11-22T10:16:52.007100Z",
            "started_at": "2026-11-22T10:15:00.310542Z",
            "finished_at": "2026-11-22T10:16:52.007100Z",
        },
        response_only=True,
        status_codes=["200"],
    ),
]


@extend_schema_field(FeedbackSerializer)
class OperationResultField(serializers.JSONField):
    """The result as stored (JSON); documented as the Feedback it is for feedback_analysis."""


@extend_schema_serializer(examples=OPERATION_EXAMPLES)
class OperationSerializer(serializers.ModelSerializer):
    """A long-running piece of work: pending -> processing -> completed | failed."""

    result = OperationResultField(
        allow_null=True,
        help_text="Null until completed; for feedback_analysis, the stored feedback "
        "(as GET /sessions/{id}/feedback returns it).",
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
