"""Feedback in Django admin: the scores, the text, and the operation that produced it. Read-only."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from common.admin import ReadOnlyAdminMixin, UUIDSearchMixin, admin_link, fieldset_fields, short_id
from feedback.models import InterviewFeedback


def html_list(items: object) -> str:
    """A JSON list of strings as an escaped <ul> ("-" when empty)."""
    if not items:
        return "-"
    if not isinstance(items, list):  # the model's JSONField accepts any JSON; show it as it is
        items = [items]
    return format_html("<ul style='margin:0'>{}</ul>", format_html_join("", "<li>{}</li>", ((i,) for i in items)))


@admin.register(InterviewFeedback)
class InterviewFeedbackAdmin(UUIDSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin[InterviewFeedback]):
    list_display = [
        "short",
        "user_email",
        "session_link",
        "technical_accuracy_score",
        "communication_clarity_score",
        "problem_solving_score",
        "relevance_score",
        "overall_score",
        "operation_link",
        "created_at",
    ]
    list_display_links = ["short"]
    list_filter = ["created_at"]
    list_select_related = ["session__user", "operation"]
    search_fields = ["session__user__email"]
    search_help_text = "Session id, feedback id, or user email."
    uuid_search_fields = ("pk", "session_id", "operation_id")
    date_hierarchy = "created_at"
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["id", "user_email", "session_link", "operation_link", "created_at", "updated_at"]}),
        (
            "Scores",
            {
                "fields": [
                    "technical_accuracy_score",
                    "communication_clarity_score",
                    "problem_solving_score",
                    "relevance_score",
                    "overall_score",
                ]
            },
        ),
        (
            "Feedback",
            {
                "fields": [
                    "technical_feedback",
                    "communication_feedback",
                    "problem_solving_feedback",
                    "relevance_feedback",
                    "overall_comments",
                    "knowledge_gaps_list",
                    "learning_recommendations_list",
                ]
            },
        ),
    ]
    readonly_fields = fieldset_fields(fieldsets)

    def get_queryset(self, request: HttpRequest) -> QuerySet[InterviewFeedback]:
        return super().get_queryset(request).select_related("session__user", "operation")

    @admin.display(description="id", ordering="id")
    def short(self, obj: InterviewFeedback) -> str:
        return short_id(obj.pk)

    @admin.display(description="user", ordering="session__user__email")
    def user_email(self, obj: InterviewFeedback) -> str:
        return obj.session.user.email

    @admin.display(description="session")
    def session_link(self, obj: InterviewFeedback) -> str:
        return admin_link(obj.session, short_id(obj.session_id))

    @admin.display(description="operation")
    def operation_link(self, obj: InterviewFeedback) -> str:
        return admin_link(obj.operation, short_id(obj.operation_id))

    @admin.display(description="knowledge gaps")
    def knowledge_gaps_list(self, obj: InterviewFeedback) -> str:
        return html_list(obj.knowledge_gaps)

    @admin.display(description="learning recommendations")
    def learning_recommendations_list(self, obj: InterviewFeedback) -> str:
        return html_list(obj.learning_recommendations)
