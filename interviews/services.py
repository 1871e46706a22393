"""Writes for job postings, résumés and interview sessions (HackSoft-style services)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q, Sum
from django.db.models.functions import Length
from django.utils import timezone

from accounts.models import User
from accounts.services import ModelNotConfiguredError, OperationInProgressError, model_available, model_credentials
from common.exceptions import VALIDATION_ERROR, ApplicationError, ConflictError, NotFoundError, ProblemCode
from interviews import questions, selectors
from interviews.models import InterviewSession, JobPosting, Resume, SessionMessage
from interviews.progress import progress_changed
from llm import LLMError, LLMErrorCode, StructuredResult
from operations import services as operation_services
from operations.models import Operation

logger = logging.getLogger(__name__)

JOB_POSTING_FIELDS = ("title", "company", "description", "experience_level", "tech_stack", "language")


# Job postings -------------------------------------------------------------------------


def job_posting_create(*, user: User, data: dict[str, Any]) -> JobPosting:
    return JobPosting.objects.create(user=user, **{k: v for k, v in data.items() if k in JOB_POSTING_FIELDS})


def job_posting_update(*, job_posting: JobPosting, data: dict[str, Any]) -> JobPosting:
    changed = [k for k in JOB_POSTING_FIELDS if k in data]
    for field in changed:
        setattr(job_posting, field, data[field])
    job_posting.save(update_fields=[*changed, "updated_at"])
    progress_changed(job_posting.user_id)  # its title shows in the dashboard
    return job_posting


def job_posting_delete(*, job_posting: JobPosting) -> None:
    """Delete a posting; its sessions stay (their job_posting becomes null)."""
    progress_changed(job_posting.user_id)
    job_posting.delete()


# Résumés ------------------------------------------------------------------------------


RESUME_ALREADY_EXISTS = ProblemCode(
    "RESUME_ALREADY_EXISTS",
    409,
    when="you already have a résumé; update it with `PUT /resumes/me`",
    example="You already have a résumé. Update it with PUT /resumes/me.",
)


def resume_create(*, user: User, content: str) -> Resume:
    """Create the user's only résumé; a second one is a 409 (the OneToOne decides races)."""
    try:
        with transaction.atomic():
            return Resume.objects.create(user=user, content=content)
    except IntegrityError:
        raise ConflictError(
            "You already have a résumé. Update it with PUT /resumes/me.", code=RESUME_ALREADY_EXISTS
        ) from None


def resume_update(*, resume: Resume, content: str) -> Resume:
    resume.content = content
    resume.save(update_fields=["content", "updated_at"])
    return resume


def resume_delete(*, resume: Resume) -> None:
    resume.delete()


# Interview sessions -------------------------------------------------------------------


class SessionStateError(ApplicationError):
    status_code = 400


SESSION_NOT_ACTIVE = ProblemCode(
    "SESSION_NOT_ACTIVE",
    400,
    when="the session is paused or completed",
    example="The session is paused; questions and answers need an active session.",
)
SESSION_NOT_PAUSED = ProblemCode(
    "SESSION_NOT_PAUSED",
    400,
    when="the session is not paused",
    example="Only a paused session can be resumed; this one is active.",
)
SESSION_ALREADY_COMPLETED = ProblemCode(
    "SESSION_ALREADY_COMPLETED",
    400,
    when="the session is already completed",
    example="The session is already completed.",
)
SESSION_NOT_COMPLETED = ProblemCode(
    "SESSION_NOT_COMPLETED",
    400,
    when="the session is not completed yet",
    example="Complete the session before asking for feedback.",
)
QUESTION_LIMIT_REACHED = ProblemCode(
    "QUESTION_LIMIT_REACHED",
    400,
    when="the session has as many questions as it may have (`SESSION_MAX_QUESTIONS`)",
    example="This session already has 10 questions, the most it may have.",
)
TRANSCRIPT_TOO_LONG = ProblemCode(
    "TRANSCRIPT_TOO_LONG",
    400,
    when="the session's questions and answers would exceed `SESSION_MAX_TRANSCRIPT_CHARS` together",
    example="This session's questions and answers would exceed 60,000 characters together; shorten this text or "
    "complete the session.",
)
QUESTION_ALREADY_OPEN = ProblemCode(
    "QUESTION_ALREADY_OPEN",
    409,
    when="the session's last question is not answered yet; answer it first",
    example="The session's last question has not been answered yet.",
)
# Only ever an operation's error_code: the worker found the session deleted (feedback's worker too).
SESSION_NOT_FOUND = ProblemCode(
    "SESSION_NOT_FOUND",
    404,
    when="the session was deleted before its operation ran (an operation's `error_code`, never a response's)",
    example="The session no longer exists.",
)


def session_start(*, user: User, job_posting_id: uuid.UUID) -> InterviewSession:
    job_posting = JobPosting.objects.filter(pk=job_posting_id, user=user).first()
    if job_posting is None:
        raise NotFoundError("Job posting not found.")
    return InterviewSession.objects.create(user=user, job_posting=job_posting)


def _lock_session(session: InterviewSession) -> InterviewSession:
    """Re-read the session under a row lock so concurrent transitions serialise."""
    return InterviewSession.objects.select_for_update().get(pk=session.pk)


def _require_active(session: InterviewSession) -> None:
    if session.status != InterviewSession.Status.ACTIVE:
        raise SessionStateError(
            f"The session is {session.status}; questions and answers need an active session.",
            code=SESSION_NOT_ACTIVE,
        )


QUESTION_OPEN_MESSAGE = "The session's last question has not been answered yet."


def _question_open_error() -> ConflictError:
    return ConflictError(QUESTION_OPEN_MESSAGE, code=QUESTION_ALREADY_OPEN)


def _check_transcript_room(session: InterviewSession, adding: str) -> None:
    """The session's questions and answers together stay within SESSION_MAX_TRANSCRIPT_CHARS
    (what one analysis reads is bounded, whatever a client sends). Under the session's lock."""
    used = session.messages.aggregate(n=Sum(Length("content")))["n"] or 0
    if used + len(adding) > settings.SESSION_MAX_TRANSCRIPT_CHARS:
        raise SessionStateError(
            f"This session's questions and answers would exceed {settings.SESSION_MAX_TRANSCRIPT_CHARS:,} characters "
            "together; shorten this text or complete the session.",
            code=TRANSCRIPT_TOO_LONG,
        )


def _check_question_room(session: InterviewSession) -> None:
    count = session.messages.filter(message_type=SessionMessage.MessageType.QUESTION).count()
    if count >= settings.SESSION_MAX_QUESTIONS:
        raise SessionStateError(
            f"This session already has {count} questions, the most it may have.", code=QUESTION_LIMIT_REACHED
        )


def _insert_question(*, session: InterviewSession, content: str, question_type: str | None) -> SessionMessage:
    """Insert an open question and advance the counter (the caller holds the session's row lock).

    The partial unique constraint on open questions decides, whatever Python checked before:
    a second open question raises QUESTION_ALREADY_OPEN and the transaction keeps nothing.
    """
    _check_transcript_room(session, content)
    try:
        with transaction.atomic():
            message = SessionMessage.objects.create(
                session=session,
                message_type=SessionMessage.MessageType.QUESTION,
                content=content,
                question_type=question_type,
                is_open=True,
            )
    except IntegrityError:
        if SessionMessage.objects.filter(session=session, is_open=True).exists():
            raise _question_open_error() from None
        raise
    session.current_question_number += 1
    session.save(update_fields=["current_question_number", "updated_at"])
    return message


@transaction.atomic
def session_ask_question(*, session: InterviewSession, content: str, question_type: str | None) -> SessionMessage:
    """Record a question asked outside the AI generator (e.g. imported) and advance the counter.

    Same rule as a generated question: the last one must be answered first (409).
    """
    session = _lock_session(session)
    _require_active(session)
    if session.messages.filter(is_open=True).exists():
        raise _question_open_error()
    _check_question_room(session)
    return _insert_question(session=session, content=content, question_type=question_type)


@transaction.atomic
def session_answer(*, session: InterviewSession, answer_text: str) -> SessionMessage:
    """Answer the session's open question. There must be one; answering closes it."""
    session = _lock_session(session)
    _require_active(session)
    _check_transcript_room(session, answer_text)
    if not session.messages.filter(is_open=True).update(is_open=False):
        detail = "There is no open question to answer in this session."
        raise ApplicationError(detail, code=VALIDATION_ERROR, errors=[{"field": "answer_text", "message": detail}])
    message = SessionMessage.objects.create(
        session=session, message_type=SessionMessage.MessageType.ANSWER, content=answer_text
    )
    session.save(update_fields=["updated_at"])
    progress_changed(session.user_id)
    return message


@transaction.atomic
def session_pause(*, session: InterviewSession) -> InterviewSession:
    session = _lock_session(session)
    if session.status != InterviewSession.Status.ACTIVE:
        raise SessionStateError(
            f"Only an active session can be paused; this one is {session.status}.", code=SESSION_NOT_ACTIVE
        )
    session.status = InterviewSession.Status.PAUSED
    session.save(update_fields=["status", "updated_at"])
    return session


@transaction.atomic
def session_resume(*, session: InterviewSession) -> InterviewSession:
    session = _lock_session(session)
    if session.status != InterviewSession.Status.PAUSED:
        raise SessionStateError(
            f"Only a paused session can be resumed; this one is {session.status}.", code=SESSION_NOT_PAUSED
        )
    session.status = InterviewSession.Status.ACTIVE
    session.save(update_fields=["status", "updated_at"])
    return session


@transaction.atomic
def session_complete(*, session: InterviewSession) -> InterviewSession:
    """Complete an active or paused session (a candidate may stop from a pause)."""
    session = _lock_session(session)
    if session.status == InterviewSession.Status.COMPLETED:
        raise SessionStateError("The session is already completed.", code=SESSION_ALREADY_COMPLETED)
    session.status = InterviewSession.Status.COMPLETED
    session.completed_at = timezone.now()
    session.save(update_fields=["status", "completed_at", "updated_at"])
    progress_changed(session.user_id)
    return session


# AI question generation -----------------------------------------------------------------

QUESTION_OPERATION_TYPE = "question_generation"


def _check_can_ask(session: selectors.SessionForQuestion) -> None:
    """The contract's checks 2-4 of generate-question, shared by the API and the worker.

    ``session`` comes from ``selectors.session_for_question`` (annotated, one query).
    """
    _require_active(session)
    if session.has_open_question:
        raise _question_open_error()
    if session.question_count >= settings.SESSION_MAX_QUESTIONS:
        raise SessionStateError(
            f"This session already has {session.question_count} questions, the most it may have.",
            code=QUESTION_LIMIT_REACHED,
        )


def question_request(*, session_id, user: User, question_type: str | None = None) -> tuple[Operation, bool]:
    """Ask the AI interviewer for the session's next question: the in-flight operation, or a new one.

    Checks in the contract's order (404, SESSION_NOT_ACTIVE, QUESTION_ALREADY_OPEN,
    QUESTION_LIMIT_REACHED, AI_NOT_CONFIGURED); nothing is created or enqueued when one fails.
    ``question_type`` None lets the generator choose. Returns (operation, created).
    """
    session = selectors.session_for_question(session_id=session_id, user=user).first()
    if session is None:
        raise NotFoundError()
    _check_can_ask(session)
    if not model_available(user=user):
        raise ModelNotConfiguredError()
    return operation_services.operation_get_or_create_inflight(
        user=user,
        session=session,
        operation_type=QUESTION_OPERATION_TYPE,
        params={"question_type": question_type} if question_type else {},
    )


def question_prepare(operation: Operation) -> Callable[[], StructuredResult[questions.GeneratedQuestion]]:
    """Defence in depth, and the model call to make (the runner makes it outside any transaction).

    Raises ApplicationError if the session may no longer get a question, LLMError when no model
    key is left; the call raises LLMError on model failure.
    """
    data = selectors.question_input_get(
        session_id=operation.session_id, user_id=operation.user_id, question_type=operation.params.get("question_type")
    )
    if data is None:
        raise NotFoundError("The session no longer exists.", code=SESSION_NOT_FOUND)
    _check_can_ask(data.session)
    credentials = model_credentials(user=data.session.user)
    if credentials is None:  # the service's key was removed and the user has none
        raise LLMError(LLMErrorCode.NOT_CONFIGURED, cause="no model key")
    operation.key_kind = credentials.kind  # recorded when the operation finishes
    return partial(questions.generate, data, credentials=credentials)


def question_store(operation: Operation, outcome: StructuredResult[questions.GeneratedQuestion]) -> bool:
    """Store the question, advance the session and complete the operation in one transaction.

    Under the session's row lock, so a pause, completion, answer or client-written question
    is ordered with it: a session no longer active fails the operation SESSION_NOT_ACTIVE, an
    open question QUESTION_ALREADY_OPEN (the database's constraint decides), and nothing is
    stored. A run that no longer holds its claim (cancelled, taken over, session deleted)
    stores nothing. Returns True if stored.
    """
    accounting = {
        "llm_model": outcome.model,
        "prompt_version": questions.PROMPT_VERSION,
        "input_tokens": outcome.input_tokens,
        "output_tokens": outcome.output_tokens,
        "model_latency_ms": outcome.latency_ms,
    }
    with transaction.atomic():
        session_id = operation.session_id
        session = (
            None if session_id is None else InterviewSession.objects.select_for_update().filter(pk=session_id).first()
        )
        if session is None:
            logger.info("operation %s: session gone before storing; question discarded", operation.pk)
            return False
        _require_active(session)  # SessionStateError: the runner fails the operation with its code
        message = _insert_question(
            session=session, content=outcome.parsed.question, question_type=outcome.parsed.question_type
        )
        if not operation_services.operation_complete(operation=operation, result=message, accounting=accounting):
            transaction.set_rollback(True)
            logger.info("operation %s: claim lost before storing; question discarded", operation.pk)
            return False
    return True


def question_retry(operation: Operation) -> tuple[Operation, bool]:
    """Ask again for the question a failed generation did not produce (the type's registered retry)."""
    return question_request(
        session_id=operation.session_id, user=operation.user, question_type=operation.params.get("question_type")
    )


# Retakes and deletion --------------------------------------------------------------------

RETAKE_ATTEMPTS = 5
RETAKE_CONFLICT = ProblemCode(
    "RETAKE_CONFLICT", 409, when="too many retakes of one chain at the same moment", example="Too many retakes at once."
)


def session_retake(*, session: InterviewSession) -> InterviewSession:
    """A new active session on the same posting: the chain's next attempt.

    The chain is the first attempt and every retake of it; the new one is numbered one above
    the chain's highest. Concurrent retakes queue on the first attempt's row lock; the database's
    unique (chain, attempt_number) is the guarantee behind it (a loser would count again).
    """
    if session.status != InterviewSession.Status.COMPLETED:
        raise SessionStateError("Complete the session before retaking it.", code=SESSION_NOT_COMPLETED)
    root = session.retake_of_id or session.pk
    chain = InterviewSession.objects.filter(Q(pk=root) | Q(retake_of_id=root))
    for _ in range(RETAKE_ATTEMPTS):
        try:
            with transaction.atomic():
                InterviewSession.objects.select_for_update().filter(pk=root).only("pk").first()
                number = (chain.aggregate(n=Max("attempt_number"))["n"] or 0) + 1
                return InterviewSession.objects.create(
                    user_id=session.user_id,
                    job_posting_id=session.job_posting_id,
                    retake_of_id=root,
                    attempt_number=number,
                )
        except IntegrityError:
            logger.info("retake of chain %s: attempt %s taken by a concurrent retake; counting again", root, number)
    raise ConflictError("Too many retakes of this session at once; please try again.", code=RETAKE_CONFLICT)


@transaction.atomic
def session_delete(*, session: InterviewSession) -> None:
    """Delete a session with its messages, feedback and operations (409 while one of them runs).

    Under the session's row lock, so a worker storing its result waits for us (then finds the
    session gone and stores nothing) or finishes first. The chain survives: if this was the
    first attempt, the next one becomes the chain's first.
    """
    session = _lock_session(session)
    if session.operations.filter(status__in=Operation.UNFINISHED).exists():
        raise OperationInProgressError()
    if session.retake_of_id is None:
        successors = InterviewSession.objects.filter(retake_of=session).order_by("attempt_number", "created_at")
        heir = successors.first()
        if heir is not None:
            successors.exclude(pk=heir.pk).update(retake_of=heir)
            InterviewSession.objects.filter(pk=heir.pk).update(retake_of=None)
    progress_changed(session.user_id)
    session.delete()
