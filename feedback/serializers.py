from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from feedback.models import InterviewFeedback

# The OpenAPI example of a stored feedback (also inside a completed operation's example).
FEEDBACK_EXAMPLE = {
    "id": "7d7b1a0e-5a4b-4f7e-9c55-2f1f0b9d6c11",
    "session_id": "0b6f1f64-2c1e-4f0a-8e1b-6d3f3b1c9a27",
    "technical_accuracy_score": 80,
    "communication_clarity_score": 85,
    "problem_solving_score": 80,
    "relevance_score": 85,
    "overall_score": 83,
    "technical_feedback": "Solid grasp of PostgreSQL indexing; the isolation levels were vague.",
    "communication_feedback": "Clear, structured answers; the second one ran long.",
    "problem_solving_feedback": "Broke the caching question into steps and named the trade-offs.",
    "relevance_feedback": "Answers stayed on the role's stack (Django, Celery, PostgreSQL).",
    "overall_comments": "A strong mid-level candidate; study transaction isolation before the next round.",
    "knowledge_gaps": ["Transaction isolation levels", "Celery retry semantics"],
    "learning_recommendations": ["PostgreSQL docs, chapter 13 (Concurrency Control)", "Celery's task retry guide"],
    "created_at": "2026-11-22T10:15:07.402311Z",
    "updated_at": "2026-11-22T10:15:07.402311Z",
}


@extend_schema_field({"type": "integer", "minimum": 0, "maximum": 100})
class ScoreField(serializers.IntegerField):
    """A score 0-100 (the database's check constraints hold it; the schema says it)."""


@extend_schema_serializer(examples=[OpenApiExample("Feedback", value=FEEDBACK_EXAMPLE, response_only=True)])
class FeedbackSerializer(serializers.ModelSerializer[InterviewFeedback]):
    """The stored feedback; also an operation's ``result`` (they must be identical).

    Scores are integers 0-100; ``overall_score`` is the mean of the four, rounded half up.
    """

    session_id = serializers.UUIDField(read_only=True)
    technical_accuracy_score = ScoreField(read_only=True)
    communication_clarity_score = ScoreField(read_only=True)
    problem_solving_score = ScoreField(read_only=True)
    relevance_score = ScoreField(read_only=True)
    overall_score = ScoreField(read_only=True)
    knowledge_gaps = serializers.ListField(child=serializers.CharField(), read_only=True)
    learning_recommendations = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = InterviewFeedback
        fields = [
            "id",
            "session_id",
            "technical_accuracy_score",
            "communication_clarity_score",
            "problem_solving_score",
            "relevance_score",
            "overall_score",
            "technical_feedback",
            "communication_feedback",
            "problem_solving_feedback",
            "relevance_feedback",
            "overall_comments",
            "knowledge_gaps",
            "learning_recommendations",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class DimensionAveragesSerializer(serializers.Serializer[dict[str, Any]]):
    technical_accuracy = serializers.FloatField(allow_null=True)
    communication_clarity = serializers.FloatField(allow_null=True)
    problem_solving = serializers.FloatField(allow_null=True)
    relevance = serializers.FloatField(allow_null=True)


class TrendPointSerializer(serializers.Serializer[dict[str, Any]]):
    session_id = serializers.UUIDField()
    job_posting_title = serializers.CharField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    overall_score = ScoreField()


class TopRoleSerializer(serializers.Serializer[dict[str, Any]]):
    title = serializers.CharField()
    sessions = serializers.IntegerField()


class DashboardSerializer(serializers.Serializer[dict[str, Any]]):
    """Your progress: averages rounded to one decimal (half up); null where there is no feedback yet."""

    completed_sessions = serializers.IntegerField()
    questions_answered = serializers.IntegerField()
    average_overall_score = serializers.FloatField(allow_null=True)
    best_overall_score = serializers.IntegerField(allow_null=True)
    dimension_averages = DimensionAveragesSerializer()
    score_trend = TrendPointSerializer(many=True, help_text="The last 20 sessions with feedback, oldest first.")
    top_roles = TopRoleSerializer(many=True, help_text="The 5 posting titles with most completed sessions.")
