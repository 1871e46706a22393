"""factory-boy factories shared by every app's tests."""

import factory
from django.utils import timezone

from accounts.models import User
from interviews.models import InterviewSession, JobPosting, Resume, SessionMessage

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805 - factory-boy hook
        if create:
            obj.save()


class JobPostingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JobPosting

    user = factory.SubFactory(UserFactory)
    title = "Senior Python Developer"
    company = "Acme Analytics"
    description = "Build and run Django services on PostgreSQL with Celery workers."
    experience_level = "senior"
    tech_stack = factory.LazyFunction(lambda: ["Python", "Django", "PostgreSQL"])


class ResumeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resume

    user = factory.SubFactory(UserFactory)
    content = "Eight years of Python; built payment APIs with Django and PostgreSQL."


class SessionFactory(factory.django.DjangoModelFactory):
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


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SessionMessage

    session = factory.SubFactory(SessionFactory)
    message_type = SessionMessage.MessageType.QUESTION
    content = "How would you design an idempotent payment endpoint?"
    question_type = SessionMessage.QuestionType.TECHNICAL


class AnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SessionMessage

    session = factory.SubFactory(SessionFactory)
    message_type = SessionMessage.MessageType.ANSWER
    content = "With an idempotency key stored under a unique constraint, checked in one transaction."
    question_type = None


def completed_session_with_answers(*, user=None, pairs: int = 2, **kwargs) -> InterviewSession:
    """A completed session with `pairs` question/answer pairs, ready for feedback."""
    session = SessionFactory(user=user or UserFactory(), **kwargs)
    for _ in range(pairs):
        QuestionFactory(session=session)
        AnswerFactory(session=session)
    session.current_question_number = pairs
    session.status = InterviewSession.Status.COMPLETED
    session.completed_at = timezone.now()
    session.save()
    return session
