"""Reads scoped to their owner: every query here filters by user."""

from django.db.models import QuerySet

from accounts.models import User
from interviews.models import InterviewSession, JobPosting, Resume, SessionMessage


def job_posting_list(*, user: User) -> QuerySet[JobPosting]:
    return JobPosting.objects.filter(user=user)


def resume_get(*, user: User) -> Resume | None:
    return Resume.objects.filter(user=user).first()


def session_list(*, user: User) -> QuerySet[InterviewSession]:
    return InterviewSession.objects.filter(user=user).select_related("job_posting")


def session_messages(*, session: InterviewSession) -> QuerySet[SessionMessage]:
    return session.messages.order_by("created_at", "id")
