from rest_framework import serializers

from feedback.models import InterviewFeedback


class FeedbackSerializer(serializers.ModelSerializer):
    """The stored feedback; also an operation's ``result`` (they must be identical)."""

    session_id = serializers.UUIDField(read_only=True)
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
