import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from operations import registry


class Operation(models.Model):
    """A long-running piece of work the client polls. Also the outbox of the work queue.

    Only ``operations/services.py`` changes ``status`` (pending -> processing ->
    completed | failed, and pending | processing -> cancelled); a finished operation never
    changes again. What the work is belongs to the app that registered its type
    (``operations/registry.py``).
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        PROCESSING = "processing"
        COMPLETED = "completed"
        FAILED = "failed"
        CANCELLED = "cancelled"

    UNFINISHED = (Status.PENDING, Status.PROCESSING)
    FINISHED = (Status.COMPLETED, Status.FAILED, Status.CANCELLED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="operations")
    session = models.ForeignKey(
        "interviews.InterviewSession", on_delete=models.CASCADE, null=True, blank=True, related_name="operations"
    )
    # One of the registered types (operations/registry.py); read lazily, so no app is imported here.
    operation_type = models.CharField(max_length=32, choices=registry.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # What the request asked for beyond its subject (e.g. {"question_type": "technical"}); a
    # retry asks again with the same.
    params = models.JSONField(default=dict, blank=True)
    result = models.JSONField(null=True, blank=True)
    error_code = models.CharField(max_length=64, null=True, blank=True)
    error_message = models.TextField(null=True, blank=True)
    # Number of claims so far; also the fence: a run may only finish the attempt it claimed.
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # While processing: when the claim lapses unless renewed (operations/recovery).
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # When the work was last handed to the broker; drives the recovery sweep of pending rows.
    dispatched_at = models.DateTimeField(null=True, blank=True)
    # Times the recovery sweep re-dispatched it after its lease expired (a lost worker).
    recoveries = models.PositiveSmallIntegerField(default=0)
    # Whose model key the run used: "user" (their own, billed to them) or "service"; "" before a call.
    key_kind = models.CharField(max_length=8, blank=True, default="")
    # Accounting of the model call that produced the result (what explains a bill).
    llm_model = models.CharField(max_length=100, blank=True, default="")
    prompt_version = models.CharField(max_length=50, blank=True, default="")
    input_tokens = models.PositiveIntegerField(null=True, blank=True)
    output_tokens = models.PositiveIntegerField(null=True, blank=True)
    model_latency_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        db_table = "operations"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="operations_user_created"),
            models.Index(fields=["status", "created_at"], name="operations_status_created"),
            # The recovery sweep's scans: only unfinished rows, a small slice of the table.
            models.Index(
                fields=["status", "lease_expires_at"],
                condition=Q(status__in=["pending", "processing"]),
                name="operations_unfinished",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "processing", "completed", "failed", "cancelled"]),
                name="operations_status_valid",
            ),
            # The type's name is the registry's business (a new type needs no migration here).
            models.CheckConstraint(
                condition=Q(operation_type__regex=r"^[a-z][a-z0-9_]*$"), name="operations_type_valid"
            ),
            # DESIGN.md point 2: one unfinished operation of a type per session, as a database fact.
            models.UniqueConstraint(
                fields=["session", "operation_type"],
                condition=Q(status__in=["pending", "processing"]),
                name="operations_one_unfinished_per_session",
            ),
            # finished_at is set exactly when the operation is finished.
            models.CheckConstraint(
                condition=(Q(status__in=["completed", "failed", "cancelled"]) & Q(finished_at__isnull=False))
                | (Q(status__in=["pending", "processing"]) & Q(finished_at__isnull=True)),
                name="operations_finished_at_matches_status",
            ),
            models.CheckConstraint(condition=Q(key_kind__in=["", "user", "service"]), name="operations_key_kind_valid"),
            # A failure always says why; an error never sits on a successful operation.
            models.CheckConstraint(
                condition=(Q(status="failed") & Q(error_code__isnull=False))
                | (~Q(status="failed") & Q(error_code__isnull=True)),
                name="operations_error_code_iff_failed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.operation_type} {str(self.id)[:8]} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED
