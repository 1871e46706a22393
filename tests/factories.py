"""factory-boy factories shared by every app's tests."""

from datetime import UTC, datetime, timedelta

import factory
from django.utils import timezone

from accounts.models import User
from feedback.models import InterviewFeedback
from interviews.models import InterviewSession, JobPosting, Resume, SessionMessage
from operations.models import Operation

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805 - factory-boy hook
        if create:
            obj.save()


class JobPostingFactory(factory.django.DjangoModelFactory[JobPosting]):
    class Meta:
        model = JobPosting

    user = factory.SubFactory(UserFactory)
    title = "Senior Python Developer"
    company = "Acme Analytics"
    description = "Build and run Django services on PostgreSQL with Celery workers."
    experience_level = "senior"
    tech_stack = factory.LazyFunction(lambda: ["Python", "Django", "PostgreSQL"])


class ResumeFactory(factory.django.DjangoModelFactory[Resume]):
    class Meta:
        model = Resume

    user = factory.SubFactory(UserFactory)
    content = "Eight years of Python; built payment APIs with Django and PostgreSQL."


class SessionFactory(factory.django.DjangoModelFactory[InterviewSession]):
    class Meta:
        model = InterviewSession

    user = factory.SubFactory(UserFactory)
    job_posting = factory.SubFactory(JobPostingFactory, user=factory.SelfAttribute("..user"))

    class Params:
        completed = factory.Trait(
            status=InterviewSession.Status.COMPLETED,
            completed_at=factory.LazyFunction(timezone.now),
        )
        paused = factory.Trait(status=InterviewSession.Status.PAUSED)


class QuestionFactory(factory.django.DjangoModelFactory[SessionMessage]):
    class Meta:
        model = SessionMessage

    session = factory.SubFactory(SessionFactory)
    message_type = SessionMessage.MessageType.QUESTION
    content = "How would you design an idempotent payment endpoint?"
    question_type = SessionMessage.QuestionType.TECHNICAL
    # Waiting for its answer, as a question the API stores (AnswerFactory closes it).
    is_open = True


class AnswerFactory(factory.django.DjangoModelFactory[SessionMessage]):
    class Meta:
        model = SessionMessage

    session = factory.SubFactory(SessionFactory)
    message_type = SessionMessage.MessageType.ANSWER
    content = "With an idempotency key stored under a unique constraint, checked in one transaction."
    question_type = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # An answer closes its session's open question, as the API's session_answer does.
        model_class.objects.filter(session=kwargs["session"], is_open=True).update(is_open=False)
        return super()._create(model_class, *args, **kwargs)


def completed_session_with_answers(*, user=None, pairs: int = 2, **kwargs) -> InterviewSession:
    """A completed session with `pairs` question/answer pairs, ready for feedback."""
    session = SessionFactory.create(user=user or UserFactory.create(), **kwargs)
    for _ in range(pairs):
        QuestionFactory(session=session)
        AnswerFactory(session=session)
    session.current_question_number = pairs
    session.status = InterviewSession.Status.COMPLETED
    session.completed_at = timezone.now()
    session.save()
    return session


class OperationFactory(factory.django.DjangoModelFactory[Operation]):
    """An Operation row written straight to the database (tests of the read-only polling API).

    Pending by default; the traits give the other lifecycle states with the fields the
    database constraints demand (finished_at when finished, error_code exactly when failed).
    """

    class Meta:
        model = Operation

    user = factory.SubFactory(UserFactory)
    session = factory.SubFactory(SessionFactory, user=factory.SelfAttribute("..user"), completed=True)
    operation_type = "feedback_analysis"
    status = Operation.Status.PENDING

    class Params:
        processing = factory.Trait(
            status=Operation.Status.PROCESSING,
            attempts=1,
            started_at=factory.LazyFunction(timezone.now),
            lease_expires_at=factory.LazyFunction(lambda: timezone.now() + timedelta(minutes=5)),
        )
        completed = factory.Trait(
            status=Operation.Status.COMPLETED,
            attempts=1,
            started_at=factory.LazyFunction(timezone.now),
            finished_at=factory.LazyFunction(timezone.now),
            result=factory.LazyFunction(lambda: {"overall_score": 83}),
        )
        failed = factory.Trait(
            status=Operation.Status.FAILED,
            attempts=1,
            started_at=factory.LazyFunction(timezone.now),
            finished_at=factory.LazyFunction(timezone.now),
            error_code="AI_UNAVAILABLE",
            error_message="The AI service is not responding. Please try again in a few minutes.",
        )
        cancelled = factory.Trait(
            status=Operation.Status.CANCELLED,
            finished_at=factory.LazyFunction(timezone.now),
        )


class FeedbackFactory(factory.django.DjangoModelFactory[InterviewFeedback]):
    """Stored feedback for a completed session (80, 85, 80, 85 -> overall 83, rounded half up)."""

    class Meta:
        model = InterviewFeedback

    session = factory.SubFactory(SessionFactory, completed=True)
    technical_accuracy_score = 80
    communication_clarity_score = 85
    problem_solving_score = 80
    relevance_score = 85
    overall_score = 83
    technical_feedback = "Solid grasp of transactions and constraints."
    communication_feedback = "Clear and structured answers."
    problem_solving_feedback = "Breaks problems down well."
    relevance_feedback = "Answers stay on the question."
    overall_comments = "A good interview."
    knowledge_gaps = factory.LazyFunction(lambda: ["Query plans"])
    learning_recommendations = factory.LazyFunction(lambda: ["Read the PostgreSQL EXPLAIN documentation"])


# Helpers for exact assertions on API responses ----------------------------------------------

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
}


def problem(status: int, code: str, detail: str, errors: list[dict[str, str]] | None = None) -> dict:
    """The problem-details body the contract promises (RFC 9457 plus `code`, `errors`)."""
    body = {"type": "about:blank", "title": _TITLES[status], "status": status, "detail": detail, "code": code}
    if errors is not None:
        body["errors"] = errors
    return body


def iso(value: datetime | None) -> str | None:
    """A datetime as the API renders it: ISO 8601 in UTC with a trailing "Z"."""
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


def db_state(*models) -> dict[str, list[dict]]:
    """Every row of the given models (all domain models by default), for before/after comparisons."""
    models = models or (User, JobPosting, Resume, InterviewSession, SessionMessage, Operation, InterviewFeedback)
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in models}
