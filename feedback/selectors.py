import uuid

from django.db.models import Exists, OuterRef, QuerySet

from accounts.models import User
from feedback.analysis import AnalysisInput
from feedback.models import InterviewFeedback
from interviews.models import InterviewSession, Resume, SessionMessage


def session_for_feedback(*, session_id, user: User) -> QuerySet[InterviewSession]:
    """The user's session (none for a malformed id) with what the feedback checks need, in one query:
    ``has_answer`` and ``has_feedback``."""
    try:
        uuid.UUID(str(session_id))
    except ValueError:
        return InterviewSession.objects.none()
    return InterviewSession.objects.filter(pk=session_id, user=user).annotate(
        has_answer=Exists(
            SessionMessage.objects.filter(session=OuterRef("pk"), message_type=SessionMessage.MessageType.ANSWER)
        ),
        has_feedback=Exists(InterviewFeedback.objects.filter(session=OuterRef("pk"))),
    )


def feedback_get(*, session: InterviewSession) -> InterviewFeedback | None:
    return InterviewFeedback.objects.filter(session=session).first()


def analysis_input_get(*, session_id, user: User) -> AnalysisInput | None:
    """The session (still owned by ``user``) with its posting, résumé and ordered messages."""
    session = session_for_feedback(session_id=session_id, user=user).select_related("job_posting").first()
    if session is None:
        return None
    resume = Resume.objects.filter(user=user).values_list("content", flat=True).first()
    messages = list(session.messages.order_by("created_at", "id"))
    return AnalysisInput(session=session, job_posting=session.job_posting, resume=resume, messages=messages)
