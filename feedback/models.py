import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

SCORE_FIELDS = (
    "technical_accuracy_score",
    "communication_clarity_score",
    "problem_solving_score",
    "relevance_score",
)


def _score_check(field: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__gte": 0, f"{field}__lte": 100}), name=f"feedback_{field}_0_100"
    )


class InterviewFeedback(models.Model):
    """The AI's assessment of one completed session. At most one per session (OneToOne)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The unique constraint on session settles races between two analyses (DESIGN.md point 6).
    session = models.OneToOneField("interviews.InterviewSession", on_delete=models.CASCADE, related_name="feedback")
    # The operation whose analysis produced this feedback (for admins explaining a result).
    operation = models.ForeignKey(
        "operations.Operation", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    technical_accuracy_score = models.PositiveSmallIntegerField()
    communication_clarity_score = models.PositiveSmallIntegerField()
    problem_solving_score = models.PositiveSmallIntegerField()
    relevance_score = models.PositiveSmallIntegerField()
    overall_score = models.PositiveSmallIntegerField()
    technical_feedback = models.TextField()
    communication_feedback = models.TextField()
    problem_solving_feedback = models.TextField()
    relevance_feedback = models.TextField()
    overall_comments = models.TextField()
    knowledge_gaps = models.JSONField(default=list)
    learning_recommendations = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "interview_feedback"
        ordering = ["-created_at"]
        constraints = [*(_score_check(f) for f in (*SCORE_FIELDS, "overall_score"))]

    def __str__(self) -> str:
        return f"Feedback for session {self.session_id} ({self.overall_score})"
