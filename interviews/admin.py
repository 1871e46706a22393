"""Admin for job postings, résumés and sessions: an operator's read-only view.

Candidates' data changes only through the API's services; the admin inspects it. Every list
joins what it shows (``list_select_related``) and searches by the owner's email or a pasted id.
"""

from django.contrib import admin
from django.core.exceptions import ObjectDoesNotExist
from django.db.models.functions import Length
from django.urls import reverse
from django.utils.html import format_html

from common.admin import ReadOnlyAdminMixin, UUIDSearchMixin, admin_link, field_names, short_id
from interviews.models import InterviewSession, JobPosting, Resume, SessionMessage


class SessionMessageInline(admin.TabularInline):
    model = SessionMessage
    fields = ["created_at", "message_type", "question_type", "content"]
    readonly_fields = field_names(fields)
    ordering = ["created_at", "id"]
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(InterviewSession)
class InterviewSessionAdmin(UUIDSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "short",
        "user_email",
        "job_posting",
        "status",
        "attempt_number",
        "current_question_number",
        "created_at",
    ]
    list_display_links = ["short"]
    list_filter = ["status", "created_at"]
    list_select_related = ["user", "job_posting"]
    search_fields = ["user__email"]
    # A pasted first attempt's id lists its whole chain (the retakes point at it).
    uuid_search_fields = ("pk", "job_posting_id", "retake_of_id")
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = [
        "id",
        "user_link",
        "job_posting_link",
        "status",
        "attempt_number",
        "chain_link",
        "current_question_number",
        "created_at",
        "updated_at",
        "completed_at",
        "feedback_link",
        "operations_link",
    ]
    readonly_fields = field_names(fields)
    inlines = [SessionMessageInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "job_posting")

    @admin.display(description="id", ordering="id")
    def short(self, obj):
        return short_id(obj.pk)

    @admin.display(description="user", ordering="user__email")
    def user_email(self, obj):
        return obj.user.email

    @admin.display(description="user")
    def user_link(self, obj):
        return admin_link(obj.user)

    @admin.display(description="job posting")
    def job_posting_link(self, obj):
        return admin_link(obj.job_posting)

    @admin.display(description="feedback")
    def feedback_link(self, obj):
        try:
            feedback = obj.feedback
        except ObjectDoesNotExist:
            return "-"
        return admin_link(feedback, f"overall {feedback.overall_score}")

    @admin.display(description="attempts")
    def chain_link(self, obj):
        root = obj.retake_of_id or obj.pk
        url = reverse("admin:interviews_interviewsession_changelist")
        return format_html('<a href="{}?q={}">every attempt of this chain</a>', url, root)

    @admin.display(description="operations")
    def operations_link(self, obj):
        # The operations list searches a pasted session id (operations/admin.py).
        url = reverse("admin:operations_operation_changelist")
        return format_html('<a href="{}?q={}">operations for this session</a>', url, obj.pk)


@admin.register(JobPosting)
class JobPostingAdmin(UUIDSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["title", "company", "experience_level", "user_email", "created_at"]
    list_select_related = ["user"]
    search_fields = ["user__email", "title", "company"]
    list_filter = ["created_at"]
    show_full_result_count = False
    fields = [
        "id",
        "user",
        "title",
        "company",
        "experience_level",
        "tech_stack",
        "description",
        "created_at",
        "updated_at",
    ]
    readonly_fields = field_names(fields)

    @admin.display(description="user", ordering="user__email")
    def user_email(self, obj):
        return obj.user.email


@admin.register(Resume)
class ResumeAdmin(UUIDSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["short", "user_email", "length", "updated_at"]
    list_display_links = ["short"]
    list_select_related = ["user"]
    search_fields = ["user__email"]
    uuid_search_fields = ("pk", "user_id")
    show_full_result_count = False
    fields = ["id", "user", "content", "created_at", "updated_at"]
    readonly_fields = field_names(fields)

    def get_queryset(self, request):
        # The list shows a résumé's length, not its text (up to 50,000 characters a row);
        # the change page loads the text when it shows it.
        return super().get_queryset(request).annotate(content_length=Length("content")).defer("content")

    @admin.display(description="id", ordering="id")
    def short(self, obj):
        return short_id(obj.pk)

    @admin.display(description="user", ordering="user__email")
    def user_email(self, obj):
        return obj.user.email

    @admin.display(description="characters", ordering="content_length")
    def length(self, obj):
        return obj.content_length
