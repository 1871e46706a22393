from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from common.fields import StrictCharField
from interviews import models as m
from interviews.models import InterviewSession, JobPosting, Resume, SessionMessage


class VerbatimTextField(StrictCharField):
    """Free text kept exactly as written (indented code in an answer survives), but never blank."""

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def run_validation(self, data=serializers.empty):
        if isinstance(data, str) and not data.strip() and not self.allow_blank:
            self.fail("blank")
        return super().run_validation(data)


class JobPostingSerializer(serializers.ModelSerializer):
    """Input and output of /job-postings: title and description required, the rest optional."""

    title = StrictCharField(max_length=m.TITLE_MAX)
    description = VerbatimTextField(max_length=m.DESCRIPTION_MAX)
    company = StrictCharField(max_length=m.COMPANY_MAX, required=False, allow_blank=True)
    experience_level = StrictCharField(max_length=m.EXPERIENCE_LEVEL_MAX, required=False, allow_blank=True)
    tech_stack = serializers.ListField(
        child=StrictCharField(max_length=m.TECH_ITEM_MAX),
        max_length=m.TECH_STACK_MAX_ITEMS,
        required=False,
    )

    class Meta:
        model = JobPosting
        fields = ["id", "title", "company", "description", "experience_level", "tech_stack", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class JobPostingSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = JobPosting
        fields = ["id", "title", "company"]
        read_only_fields = fields


class ResumeSerializer(serializers.ModelSerializer):
    content = VerbatimTextField(max_length=m.RESUME_MAX)

    class Meta:
        model = Resume
        fields = ["id", "content", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


# The OpenAPI example of a question message (also a completed question_generation's result).
QUESTION_EXAMPLE = {
    "id": "3f1d2c4b-8a9e-4b7c-a6d5-0e1f2a3b4c5d",
    "message_type": "question",
    "content": "How would you make a payment endpoint safe to call twice with the same request?",
    "question_type": "technical",
    "created_at": "2026-11-22T10:12:03.118204Z",
}


@extend_schema_serializer(examples=[OpenApiExample("Question", value=QUESTION_EXAMPLE, response_only=True)])
class MessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = SessionMessage
        fields = ["id", "message_type", "content", "question_type", "created_at"]
        read_only_fields = fields


class SessionSerializer(serializers.ModelSerializer):
    job_posting = JobPostingSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = InterviewSession
        fields = ["id", "job_posting", "status", "current_question_number", "created_at", "updated_at", "completed_at"]
        read_only_fields = fields


class SessionDetailSerializer(SessionSerializer):
    """A session with everything the candidate (and the analysis) sees of it."""

    job_posting = JobPostingSerializer(read_only=True, allow_null=True)
    resume = serializers.SerializerMethodField(help_text="The user's résumé content, or null if they have none.")
    messages = MessageSerializer(many=True, read_only=True)

    class Meta(SessionSerializer.Meta):
        fields = [*SessionSerializer.Meta.fields, "resume", "messages"]
        read_only_fields = fields

    def get_resume(self, obj: InterviewSession) -> str | None:
        resume = self.context.get("resume")
        return resume.content if resume is not None else None


class UUIDStringField(serializers.UUIDField):
    """A UUID written as a JSON string, as the contract has every id.

    DRF's UUIDField also turns a JSON number (or ``true``) into ``UUID(int=...)``, so
    ``{"job_posting_id": 123}`` would be looked up and answered 404 instead of 400.
    """

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


class SessionCreateSerializer(serializers.Serializer):
    job_posting_id = UUIDStringField()


class QuestionCreateSerializer(serializers.Serializer):
    content = VerbatimTextField(max_length=m.QUESTION_MAX)
    question_type = serializers.ChoiceField(
        choices=SessionMessage.QuestionType.choices, required=False, allow_null=True, default=None
    )


class AnswerCreateSerializer(serializers.Serializer):
    answer_text = VerbatimTextField(max_length=m.ANSWER_MAX)


class GenerateQuestionSerializer(serializers.Serializer):
    """Optional body of generate-question: the kind of question wanted (else the interviewer chooses)."""

    question_type = serializers.ChoiceField(
        choices=SessionMessage.QuestionType.choices, required=False, allow_null=True, default=None
    )
