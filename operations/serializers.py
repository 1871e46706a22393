from rest_framework import serializers

from operations.models import Operation


class OperationSerializer(serializers.ModelSerializer):
    result = serializers.JSONField(
        allow_null=True, help_text="Null until completed; for feedback_analysis, the stored feedback."
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
