"""Writes for job postings, résumés and interview sessions (HackSoft-style services)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from common.exceptions import ApplicationError, ConflictError, NotFoundError
from interviews.models import InterviewSession, JobPosting, Resume, SessionMessage

JOB_POSTING_FIELDS = ("title", "company", "description", "experience_level", "tech_stack")


# Job postings -------------------------------------------------------------------------


def job_posting_create(*, user: User, data: dict[str, Any]) -> JobPosting:
    return JobPosting.objects.create(user=user, **{k: v for k, v in data.items() if k in JOB_POSTING_FIELDS})


def job_posting_update(*, job_posting: JobPosting, data: dict[str, Any]) -> JobPosting:
    changed = [k for k in JOB_POSTING_FIELDS if k in data]
    for field in changed:
        setattr(job_posting, field, data[field])
    job_posting.save(update_fields=[*changed, "updated_at"])
    return job_posting


def job_posting_delete(*, job_posting: JobPosting) -> None:
    """Delete a posting; its sessions stay (their job_posting becomes null)."""
    job_posting.delete()


# Résumés ------------------------------------------------------------------------------


def resume_create(*, user: User, content: str) -> Resume:
    """Create the user's only résumé; a second one is a 409 (the OneToOne decides races)."""
    try:
        with transaction.atomic():
            return Resume.objects.create(user=user, content=content)
    except IntegrityError:
        raise ConflictError(
            "You already have a résumé. Update it with PUT /resumes/me.", code="RESUME_ALREADY_EXISTS"
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
            code="SESSION_NOT_ACTIVE",
        )


@transaction.atomic
def session_ask_question(*, session: InterviewSession, content: str, question_type: str | None) -> SessionMessage:
    """Record a question asked outside the AI generator (e.g. imported) and advance the counter."""
    session = _lock_session(session)
    _require_active(session)
    message = SessionMessage.objects.create(
        session=session,
        message_type=SessionMessage.MessageType.QUESTION,
        content=content,
        question_type=question_type,
    )
    session.current_question_number += 1
    session.save(update_fields=["current_question_number", "updated_at"])
    return message


@transaction.atomic
def session_answer(*, session: InterviewSession, answer_text: str) -> SessionMessage:
    """Answer the session's open question. There must be one, and it must not be answered yet."""
    session = _lock_session(session)
    _require_active(session)
    last = session.messages.order_by("-created_at", "-id").only("message_type").first()
    if last is None or last.message_type != SessionMessage.MessageType.QUESTION:
        detail = "There is no open question to answer in this session."
        raise ApplicationError(detail, code="VALIDATION_ERROR", errors=[{"field": "answer_text", "message": detail}])
    message = SessionMessage.objects.create(
        session=session, message_type=SessionMessage.MessageType.ANSWER, content=answer_text
    )
    session.save(update_fields=["updated_at"])
    return message


@transaction.atomic
def session_pause(*, session: InterviewSession) -> InterviewSession:
    session = _lock_session(session)
    if session.status != InterviewSession.Status.ACTIVE:
        raise SessionStateError(
            f"Only an active session can be paused; this one is {session.status}.", code="SESSION_NOT_ACTIVE"
        )
    session.status = InterviewSession.Status.PAUSED
    session.save(update_fields=["status", "updated_at"])
    return session


@transaction.atomic
def session_resume(*, session: InterviewSession) -> InterviewSession:
    session = _lock_session(session)
    if session.status != InterviewSession.Status.PAUSED:
        raise SessionStateError(
            f"Only a paused session can be resumed; this one is {session.status}.", code="SESSION_NOT_PAUSED"
        )
    session.status = InterviewSession.Status.ACTIVE
    session.save(update_fields=["status", "updated_at"])
    return session


@transaction.atomic
def session_complete(*, session: InterviewSession) -> InterviewSession:
    """Complete an active or paused session (a candidate may stop from a pause)."""
    session = _lock_session(session)
    if session.status == InterviewSession.Status.COMPLETED:
        raise SessionStateError("The session is already completed.", code="SESSION_ALREADY_COMPLETED")
    session.status = InterviewSession.Status.COMPLETED
    session.completed_at = timezone.now()
    session.save(update_fields=["status", "completed_at", "updated_at"])
    return session
