from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, TypedDict, cast

from django.conf import settings
from django.core.cache import cache
from django.db.models import Avg, Count, DecimalField, Exists, F, Max, OuterRef, QuerySet

from accounts.models import User
from feedback.analysis import AnalysisInput
from feedback.models import InterviewFeedback
from interviews.models import InterviewSession, SessionMessage
from interviews.progress import CACHE_ERRORS, progress_version
from interviews.selectors import resume_subquery


class FeedbackChecks(TypedDict):
    """What the feedback checks read off a session besides its status (feedback.services)."""

    has_answer: bool
    has_feedback: bool


class AnalysisAnnotations(FeedbackChecks):
    resume_content: str | None


if TYPE_CHECKING:  # the alias takes no type arguments at run time
    from django_stubs_ext import WithAnnotations

    SessionForFeedback = WithAnnotations[InterviewSession, FeedbackChecks]
    SessionForAnalysis = WithAnnotations[InterviewSession, AnalysisAnnotations]


def session_for_feedback(*, session_id: object, user: User) -> QuerySet[SessionForFeedback]:
    """The user's session (none for a malformed id) with what the feedback checks need, in one query:
    ``has_answer`` and ``has_feedback``."""
    sessions = InterviewSession.objects.annotate(
        has_answer=Exists(
            SessionMessage.objects.filter(session=OuterRef("pk"), message_type=SessionMessage.MessageType.ANSWER)
        ),
        has_feedback=Exists(InterviewFeedback.objects.filter(session=OuterRef("pk"))),
    )
    try:
        pk = uuid.UUID(str(session_id))
    except ValueError:
        return sessions.none()
    return sessions.filter(pk=pk, user=user)


def feedback_get(*, session: InterviewSession) -> InterviewFeedback | None:
    return InterviewFeedback.objects.filter(session=session).first()


def analysis_input_get(*, session_id: uuid.UUID | None, user_id: uuid.UUID) -> AnalysisInput | None:
    """The session (still owned by the user) with its user, posting, résumé and whether it has
    feedback, then its ordered messages: two queries. ``has_answer`` (which
    :func:`session_for_feedback` annotates) is read off the messages, loaded here anyway."""
    if session_id is None:
        return None
    # has_answer is not annotated: it is set below, from the messages.
    session = cast(
        "SessionForAnalysis | None",
        InterviewSession.objects.filter(pk=session_id, user=user_id)
        .select_related("job_posting", "user")
        .annotate(
            resume_content=resume_subquery(),
            has_feedback=Exists(InterviewFeedback.objects.filter(session=OuterRef("pk"))),
        )
        .first(),
    )
    if session is None:
        return None
    messages = list(session.messages.order_by("created_at", "id"))
    session.has_answer = any(m.message_type == SessionMessage.MessageType.ANSWER for m in messages)
    return AnalysisInput(
        session=session, job_posting=session.job_posting, resume=session.resume_content, messages=messages
    )


# Progress over time -----------------------------------------------------------------------


def _rounded(value: Decimal | float | None) -> float | None:
    """One decimal, half up (82.25 -> 82.3), from the database's exact numeric average."""
    if value is None:
        return None
    return float(Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


DIMENSIONS = {
    "technical_accuracy": "technical_accuracy_score",
    "communication_clarity": "communication_clarity_score",
    "problem_solving": "problem_solving_score",
    "relevance": "relevance_score",
}
TREND_LENGTH = 20
TOP_ROLES = 5


def dashboard_get(*, user: User) -> dict[str, Any]:
    """The user's progress: from the shared cache while their history has not changed
    (interviews/progress.py), else computed and kept for DASHBOARD_CACHE_SECONDS."""
    seconds = settings.DASHBOARD_CACHE_SECONDS
    version = progress_version(user.pk) if seconds else None
    if version is None:
        return _dashboard_compute(user=user)
    key = f"dashboard:{user.pk}:{version}"
    try:
        cached: dict[str, Any] | None = cache.get(key)
    except CACHE_ERRORS:
        cached = None
    if cached is not None:
        return cached
    dashboard = _dashboard_compute(user=user)
    try:
        cache.set(key, dashboard, seconds)
    except CACHE_ERRORS:
        pass  # served uncached; the next request computes again
    return dashboard


def _dashboard_compute(*, user: User) -> dict[str, Any]:
    """The user's progress, computed by the database in five indexed queries whatever their
    history's size: sessions completed, questions answered, score aggregates, the trend (last 20
    scored sessions) and the top roles."""
    exact: DecimalField[Decimal, Decimal] = DecimalField(max_digits=9, decimal_places=4)
    completed = InterviewSession.objects.filter(user=user, status=InterviewSession.Status.COMPLETED).count()
    # Apart, not a join's FILTER: the answers' partial index (messages_answers) serves only a
    # condition on message_type - counted in the user's 2,000 sessions, not the whole table.
    answered = SessionMessage.objects.filter(session__user=user, message_type=SessionMessage.MessageType.ANSWER).count()
    scored = InterviewFeedback.objects.filter(session__user=user)
    scores = scored.aggregate(
        average=Avg("overall_score", output_field=exact),
        best=Max("overall_score"),
        **{name: Avg(field, output_field=exact) for name, field in DIMENSIONS.items()},
    )
    trend = list(
        scored.order_by(F("session__completed_at").desc(nulls_last=True), "-created_at").values(
            "session_id", "overall_score", "session__completed_at", "session__job_posting__title"
        )[:TREND_LENGTH]
    )
    roles = (
        InterviewSession.objects.filter(user=user, status=InterviewSession.Status.COMPLETED, job_posting__isnull=False)
        .values("job_posting__title")
        .annotate(sessions=Count("id"))
        .order_by("-sessions", "job_posting__title")[:TOP_ROLES]
    )
    return {
        "completed_sessions": completed,
        "questions_answered": answered,
        "average_overall_score": _rounded(scores["average"]),
        "best_overall_score": scores["best"],
        "dimension_averages": {name: _rounded(scores[name]) for name in DIMENSIONS},
        "score_trend": [
            {
                "session_id": row["session_id"],
                "job_posting_title": row["session__job_posting__title"],
                "completed_at": row["session__completed_at"],
                "overall_score": row["overall_score"],
            }
            for row in reversed(trend)
        ],
        "top_roles": [{"title": row["job_posting__title"], "sessions": row["sessions"]} for row in roles],
    }


def session_messages(*, session: InterviewSession) -> QuerySet[SessionMessage]:
    return session.messages.order_by("created_at", "id")
