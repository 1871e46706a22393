import langcodes
from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
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


@extend_schema_field({"type": "string", "maxLength": m.LANGUAGE_MAX, "example": "pt-BR", "default": "en"})
class LanguageTagField(StrictCharField):
    """A BCP 47 language tag (en, de, pt-BR, zh-Hant), stored in its standard form (EN -> en, pt-br -> pt-BR)."""

    default_error_messages = {"invalid_tag": "Enter a BCP 47 language tag, such as en, de or pt-BR."}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", m.LANGUAGE_MAX)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not langcodes.tag_is_valid(value):
            self.fail("invalid_tag")
        return langcodes.standardize_tag(value)


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
    language = LanguageTagField(required=False)

    class Meta:
        model = JobPosting
        fields = [
            "id",
            "title",
            "company",
            "description",
            "experience_level",
            "tech_stack",
            "language",
            "created_at",
            "updated_at",
        ]
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
    retake_of = serializers.UUIDField(
        source="retake_of_id", read_only=True, allow_null=True, help_text="The chain's first attempt; null on it."
    )
    # Annotated by the list's and detail's query (one query, no N+1); a session just created or
    # moved on (start, retake, pause, complete) has no feedback yet: null.
    overall_score = serializers.IntegerField(
        read_only=True, allow_null=True, default=None, help_text="The feedback's overall score, or null."
    )

    class Meta:
        model = InterviewSession
        fields = [
            "id",
            "job_posting",
            "status",
            "current_question_number",
            "attempt_number",
            "retake_of",
            "overall_score",
            "created_at",
            "updated_at",
            "completed_at",
        ]
        read_only_fields = fields


class SessionDetailSerializer(SessionSerializer):
    """A session with everything the candidate (and the analysis) sees of it."""

    # Declared fields replace the parent's (DRF's metaclass), whatever their class.
    job_posting = JobPostingSerializer(read_only=True, allow_null=True)  # type: ignore[assignment]
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


class AttemptSerializer(serializers.ModelSerializer):
    """One attempt of a chain, with its feedback's scores (null without feedback)."""

    overall_score = serializers.SerializerMethodField()
    technical_accuracy_score = serializers.SerializerMethodField()
    communication_clarity_score = serializers.SerializerMethodField()
    problem_solving_score = serializers.SerializerMethodField()
    relevance_score = serializers.SerializerMethodField()

    class Meta:
        model = InterviewSession
        fields = [
            "id",
            "attempt_number",
            "status",
            "completed_at",
            "overall_score",
            "technical_accuracy_score",
            "communication_clarity_score",
            "problem_solving_score",
            "relevance_score",
        ]
        read_only_fields = fields

    @staticmethod
    def _score(session: InterviewSession, name: str) -> int | None:
        # `feedback` is select_related by the selector (the reverse one-to-one: None without one).
        feedback = getattr(session, "feedback", None)
        return getattr(feedback, name) if feedback is not None else None

    def get_overall_score(self, obj) -> int | None:
        return self._score(obj, "overall_score")

    def get_technical_accuracy_score(self, obj) -> int | None:
        return self._score(obj, "technical_accuracy_score")

    def get_communication_clarity_score(self, obj) -> int | None:
        return self._score(obj, "communication_clarity_score")

    def get_problem_solving_score(self, obj) -> int | None:
        return self._score(obj, "problem_solving_score")

    def get_relevance_score(self, obj) -> int | None:
        return self._score(obj, "relevance_score")
