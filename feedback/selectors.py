from accounts.models import User
from feedback.analysis import AnalysisInput
from feedback.models import InterviewFeedback
from interviews.models import InterviewSession, Resume


def feedback_get(*, session: InterviewSession) -> InterviewFeedback | None:
    return InterviewFeedback.objects.filter(session=session).first()


def analysis_input_get(*, session_id, user: User) -> AnalysisInput | None:
    """The session (still owned by ``user``) with its posting, résumé and ordered messages."""
    session = InterviewSession.objects.select_related("job_posting").filter(pk=session_id, user=user).first()
    if session is None:
        return None
    resume = Resume.objects.filter(user=user).values_list("content", flat=True).first()
    messages = list(session.messages.order_by("created_at", "id"))
    return AnalysisInput(session=session, job_posting=session.job_posting, resume=resume, messages=messages)
