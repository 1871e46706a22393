import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

# Bounds on free text, shared with the serializers: large enough for real postings,
# résumés and answers, small enough that one request cannot fill the prompt or the disk.
TITLE_MAX = 200
COMPANY_MAX = 200
EXPERIENCE_LEVEL_MAX = 50
DESCRIPTION_MAX = 20_000
RESUME_MAX = 50_000
QUESTION_MAX = 5_000
ANSWER_MAX = 20_000
TECH_STACK_MAX_ITEMS = 50
TECH_ITEM_MAX = 100
LANGUAGE_MAX = 35


class JobPosting(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="job_postings")
    title = models.CharField(max_length=TITLE_MAX)
    company = models.CharField(max_length=COMPANY_MAX, blank=True, default="")
    description = models.TextField()
    experience_level = models.CharField(max_length=EXPERIENCE_LEVEL_MAX, blank=True, default="")
    tech_stack = models.JSONField(default=list, blank=True)
    # A BCP 47 tag (en, de, pt-BR), standardised: questions and feedback are written in it.
    language = models.CharField(max_length=LANGUAGE_MAX, default="en", db_default="en")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "job_postings"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="job_postings_user_created")]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="job_postings_title_not_empty"),
            models.CheckConstraint(condition=~Q(description=""), name="job_postings_description_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.title} @ {self.company}" if self.company else self.title


class Resume(models.Model):
    """A user's résumé; one per user (the OneToOne is the unique constraint)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="resume")
    content = models.TextField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "resumes"
        constraints = [models.CheckConstraint(condition=~Q(content=""), name="resumes_content_not_empty")]

    def __str__(self) -> str:
        return f"Résumé of {self.user_id}"


class InterviewSession(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active"
        PAUSED = "paused"
        COMPLETED = "completed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="interview_sessions")
    # A deleted job posting leaves its sessions (and their feedback) in place.
    job_posting = models.ForeignKey(
        JobPosting, on_delete=models.SET_NULL, null=True, blank=True, related_name="sessions"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    current_question_number = models.PositiveIntegerField(default=0)
    # Retakes: attempts of one chain share its first session (`retake_of`; null on the first) and
    # number 1, 2, 3... A database constraint keeps the numbers of a chain unique, whatever races.
    attempt_number = models.PositiveIntegerField(default=1, db_default=1)
    retake_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="retakes")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "interview_sessions"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="sessions_user_created"),
            # The dashboard's trend and the has_feedback filter walk a user's completed sessions.
            models.Index(fields=["user", "status", "-completed_at"], name="sessions_user_status_done"),
        ]
        constraints = [
            models.UniqueConstraint(
                Coalesce("retake_of", "id"), "attempt_number", name="sessions_one_attempt_number_per_chain"
            ),
            models.CheckConstraint(condition=Q(attempt_number__gte=1), name="sessions_attempt_number_positive"),
            models.CheckConstraint(
                condition=Q(status__in=["active", "paused", "completed"]), name="sessions_status_valid"
            ),
            # completed_at is set exactly when the session is completed.
            models.CheckConstraint(
                condition=(Q(status="completed") & Q(completed_at__isnull=False))
                | (~Q(status="completed") & Q(completed_at__isnull=True)),
                name="sessions_completed_at_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return f"Session {self.id} ({self.status})"


class SessionMessage(models.Model):
    class MessageType(models.TextChoices):
        QUESTION = "question"
        ANSWER = "answer"

    class QuestionType(models.TextChoices):
        TECHNICAL = "technical"
        BEHAVIORAL = "behavioral"
        SITUATIONAL = "situational"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(InterviewSession, on_delete=models.CASCADE, related_name="messages")
    message_type = models.CharField(max_length=16, choices=MessageType.choices)
    content = models.TextField()
    question_type = models.CharField(max_length=16, choices=QuestionType.choices, null=True, blank=True)
    # A question waiting for its answer. At most one per session (the partial unique constraint
    # below): a generated question racing another, or a client-written one, cannot both land.
    is_open = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        db_table = "session_messages"
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["session", "created_at"], name="messages_session_created"),
            # Counting a user's answers (the dashboard) from their sessions, index only.
            models.Index(fields=["session"], condition=Q(message_type="answer"), name="messages_answers"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["session"], condition=Q(is_open=True), name="session_messages_one_open_question"
            ),
            models.CheckConstraint(
                condition=Q(is_open=False) | Q(message_type="question"), name="session_messages_only_questions_open"
            ),
            models.CheckConstraint(
                condition=Q(message_type__in=["question", "answer"]), name="session_messages_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(question_type__isnull=True)
                | Q(message_type="question", question_type__in=["technical", "behavioral", "situational"]),
                name="session_messages_question_type_valid",
            ),
            models.CheckConstraint(condition=~Q(content=""), name="session_messages_content_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.message_type}: {self.content[:60]}"
