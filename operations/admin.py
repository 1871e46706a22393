"""Operations in Django admin: what is stuck, what failed, why, and for whom.

Read-only: only ``operations/services.py`` changes an Operation, and a finished one never
changes again. The one write is the retry action, which asks ``operation_retry`` - the type's
registered retry, with the original endpoint's checks - for a *new* operation.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from common.admin import UUIDSearchMixin, admin_link, fieldset_fields, short_id
from common.exceptions import ApplicationError
from operations.models import Operation
from operations.services import operation_retry

STATUS_COLOURS: dict[str, str] = {
    Operation.Status.PENDING: "#6c757d",
    Operation.Status.PROCESSING: "#0d6efd",
    Operation.Status.COMPLETED: "#198754",
    Operation.Status.FAILED: "#dc3545",
    Operation.Status.CANCELLED: "#6f42c1",
}

# The short id the list shows: searching it matches ids starting with it.
SHORT_ID = re.compile(r"[0-9a-f]{8}")

# One action call retries at most this many rows (each is a request's worth of checks).
RETRY_BATCH_MAX = 100


def human_duration(delta: timedelta) -> str:
    seconds = max(delta.total_seconds(), 0)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min"
    return f"{hours // 24} d {hours % 24} h"


@admin.register(Operation)
class OperationAdmin(UUIDSearchMixin, admin.ModelAdmin[Operation]):
    list_display = [
        "short",
        "operation_type",
        "status_badge",
        "user_email",
        "session_link",
        "attempts",
        "created_at",
        "duration",
    ]
    list_display_links = ["short"]
    list_filter = ["status", "operation_type", "created_at"]
    list_select_related = ["user"]
    # A pasted UUID matches the operation or its session exactly (UUIDSearchMixin);
    # the list's 8-character short id matches as a prefix; anything else searches emails.
    search_fields = ["user__email"]
    search_help_text = "Operation id (full or the 8-character short id), session id, or user email."
    uuid_search_fields = ("pk", "session_id")
    date_hierarchy = "created_at"
    # The table only grows: skip the COUNT(*) of all rows on every page.
    show_full_result_count = False
    list_per_page = 50
    actions = ["retry_failed"]
    fieldsets = [
        (None, {"fields": ["id", "operation_type", "status_badge", "user_link", "session_link", "params"]}),
        ("Outcome", {"fields": ["error_code", "error_message", "result_pretty"]}),
        (
            "Lifecycle",
            {
                "fields": [
                    "attempts",
                    "recoveries",
                    "created_at",
                    "dispatched_at",
                    "started_at",
                    "lease_expires_at",
                    "finished_at",
                    "duration",
                    "updated_at",
                ]
            },
        ),
        (
            "Model accounting",
            {
                "fields": [
                    "key_kind",
                    "llm_model",
                    "prompt_version",
                    "input_tokens",
                    "output_tokens",
                    "model_latency_ms",
                ]
            },
        ),
    ]
    readonly_fields = fieldset_fields(fieldsets)

    # Read-only. has_change_permission(request) without an object stays Django's check
    # (operations.change_operation): it is what the retry action requires. For one operation
    # it is False, so the change page is a view without a form and nothing can be saved
    # (saving would at least bump updated_at of a finished operation).
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Operation | None = None) -> bool:
        if obj is not None:
            return False
        return super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Operation | None = None) -> bool:
        return False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Operation], search_term: str
    ) -> tuple[QuerySet[Operation], bool]:
        term = search_term.strip().lower()
        if SHORT_ID.fullmatch(term):
            # UUIDs order as their hex digits (PostgreSQL's uuid, SQLite's char(32)): a prefix
            # is a range on the primary key index.
            low, high = uuid.UUID(term + "0" * 24), uuid.UUID(term + "f" * 24)
            by_email, may_have_duplicates = super().get_search_results(request, queryset, search_term)
            return by_email | queryset.filter(pk__range=(low, high)), may_have_duplicates
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description="id", ordering="id")
    def short(self, obj: Operation) -> str:
        return short_id(obj.pk)

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: Operation) -> str:
        return format_html(
            '<span style="background:{};color:#fff;padding:2px 8px;border-radius:8px;white-space:nowrap">{}</span>',
            STATUS_COLOURS.get(obj.status, "#6c757d"),
            obj.get_status_display(),
        )

    @admin.display(description="user", ordering="user__email")
    def user_email(self, obj: Operation) -> str:
        return obj.user.email

    @admin.display(description="user")
    def user_link(self, obj: Operation) -> str:
        return admin_link(obj.user)

    @admin.display(description="session")
    def session_link(self, obj: Operation) -> str:
        # Built from session_id alone: the list needs no join with sessions.
        if obj.session_id is None:
            return "-"
        url = reverse("admin:interviews_interviewsession_change", args=[obj.session_id])
        return format_html('<a href="{}">{}</a>', url, short_id(obj.session_id))

    @admin.display(description="duration")
    def duration(self, obj: Operation) -> str:
        if obj.started_at is None:
            if obj.is_finished:
                return "-"
            return f"waiting for {human_duration(timezone.now() - obj.created_at)}"
        if obj.finished_at is None:
            return f"running for {human_duration(timezone.now() - obj.started_at)}"
        return human_duration(obj.finished_at - obj.started_at)

    @admin.display(description="result")
    def result_pretty(self, obj: Operation) -> str:
        if obj.result is None:
            return "-"
        text = json.dumps(obj.result, indent=2, sort_keys=True, ensure_ascii=False)
        return format_html('<pre style="white-space:pre-wrap;margin:0">{}</pre>', text)

    @admin.action(description="Retry selected failed operations", permissions=["change"])
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[Operation]) -> None:
        """A new operation per failed operation, through its type's service and the API's checks."""
        operations = list(queryset.select_related("user").order_by("created_at")[: RETRY_BATCH_MAX + 1])
        if len(operations) > RETRY_BATCH_MAX:
            self.message_user(request, f"Select at most {RETRY_BATCH_MAX} operations to retry at once.", messages.ERROR)
            return
        for operation in operations:
            try:
                retry, _created = operation_retry(operation=operation)
            except ApplicationError as exc:
                self.message_user(
                    request,
                    f"Operation {short_id(operation.pk)} not retried: {exc.detail} ({exc.code})",
                    messages.WARNING,
                )
                continue
            # The history of the failed operation records who retried it (the row itself never changes).
            self.log_change(request, operation, f"Retried: operation {retry.pk}")
            self.message_user(
                request,
                format_html(
                    "Operation {} retried: operation {} ({}).",
                    short_id(operation.pk),
                    admin_link(retry, short_id(retry.pk)),
                    retry.status,
                ),
                messages.SUCCESS,
            )
