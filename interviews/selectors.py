"""Reads scoped to their owner: every query here filters by user."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, TypedDict, cast

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery

from accounts.models import User
from interviews.models import InterviewSession, JobPosting, Resume, SessionMessage
from interviews.questions import QuestionInput, next_question_type


def job_posting_list(*, user: User) -> QuerySet[JobPosting]:
    return JobPosting.objects.filter(user=user)


def resume_get(*, user: User) -> Resume | None:
    return Resume.objects.filter(user=user).first()


def resume_subquery() -> Subquery:
    """The résumé text of the session's user, as an annotation on sessions (one query, not two)."""
    return Subquery(Resume.objects.filter(user=OuterRef("user_id")).values("content")[:1])


def session_list(*, user: User) -> QuerySet[InterviewSession]:
    """The user's sessions with their posting and their feedback's overall score (null without), in one query."""
    return (
        InterviewSession.objects.filter(user=user)
        .select_related("job_posting")
        .annotate(overall_score=F("feedback__overall_score"))
    )


def session_attempts(*, session: InterviewSession) -> QuerySet[InterviewSession]:
    """Every attempt of the session's chain, oldest first, with its feedback's scores: one query."""
    root = session.retake_of_id or session.pk
    return (
        InterviewSession.objects.filter(user_id=session.user_id)
        .filter(Q(pk=root) | Q(retake_of_id=root))
        .select_related("feedback")
        .order_by("attempt_number", "created_at")
    )


def session_messages(*, session: InterviewSession) -> QuerySet[SessionMessage]:
    return session.messages.order_by("created_at", "id")


class QuestionChecks(TypedDict):
    """What the question checks read off a session besides its status (interviews.services)."""

    has_open_question: bool
    question_count: int


class QuestionInputAnnotations(QuestionChecks):
    resume_content: str | None


if TYPE_CHECKING:  # the alias takes no type arguments at run time
    from django_stubs_ext import WithAnnotations

    SessionForQuestion = WithAnnotations[InterviewSession, QuestionChecks]
    SessionForQuestionInput = WithAnnotations[InterviewSession, QuestionInputAnnotations]


def session_for_question(*, session_id: object, user: User) -> QuerySet[SessionForQuestion]:
    """The user's session (none for a malformed id) with what the question checks need, in one
    query: ``has_open_question`` and ``question_count``."""
    sessions = InterviewSession.objects.annotate(
        has_open_question=Exists(SessionMessage.objects.filter(session=OuterRef("pk"), is_open=True)),
        question_count=Count("messages", filter=Q(messages__message_type=SessionMessage.MessageType.QUESTION)),
    )
    try:
        pk = uuid.UUID(str(session_id))
    except ValueError:
        return sessions.none()
    return sessions.filter(pk=pk, user=user)


def question_input_get(
    *, session_id: uuid.UUID | None, user_id: uuid.UUID, question_type: str | None
) -> QuestionInput | None:
    """The session (still owned by the user) with its user, posting and résumé, then its ordered
    messages: two queries. What :func:`session_for_question` annotates (``has_open_question``,
    ``question_count``) is read off the messages, loaded here anyway.

    ``question_type`` None lets the generator choose the type that keeps the session's mix.
    """
    if session_id is None:
        return None
    # has_open_question and question_count are not annotated: they are set below, from the messages.
    session = cast(
        "SessionForQuestionInput | None",
        InterviewSession.objects.filter(pk=session_id, user=user_id)
        .select_related("job_posting", "user")
        .annotate(resume_content=resume_subquery())
        .first(),
    )
    if session is None:
        return None
    resume = session.resume_content
    messages = list(session.messages.order_by("created_at", "id"))
    session.has_open_question = any(m.is_open for m in messages)
    session.question_count = sum(m.message_type == SessionMessage.MessageType.QUESTION for m in messages)
    if question_type is None:
        asked = [m.question_type for m in messages if m.message_type == SessionMessage.MessageType.QUESTION]
        question_type = next_question_type(asked)
    return QuestionInput(
        session=session,
        job_posting=session.job_posting,
        resume=resume,
        messages=messages,
        question_type=question_type,
    )
