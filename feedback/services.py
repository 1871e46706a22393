"""Feedback: requesting an analysis, running it, and storing its result atomically."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from django.db import IntegrityError, transaction

from accounts.models import User
from accounts.services import ModelNotConfiguredError, model_available, model_credentials
from common.exceptions import ApplicationError, ConflictError, NotFoundError, ProblemCode
from feedback import analysis, selectors
from feedback.models import SCORE_FIELDS, InterviewFeedback
from interviews.models import InterviewSession
from interviews.progress import progress_changed
from interviews.services import SESSION_NOT_COMPLETED, SESSION_NOT_FOUND
from llm import LLMError, LLMErrorCode, StructuredResult
from operations import services as operation_services
from operations.models import Operation

OPERATION_TYPE = "feedback_analysis"

logger = logging.getLogger(__name__)


class FeedbackRequestError(ApplicationError):
    status_code = 400


NO_ANSWERS_TO_ANALYZE = ProblemCode(
    "NO_ANSWERS_TO_ANALYZE", 400, when="the session has no answer", example="The session has no answers to analyse."
)

FEEDBACK_EXISTS_MESSAGE = "Feedback already exists for this session"
# Also an operation's error_code: a second analysis of the session lost the race to store.
FEEDBACK_ALREADY_EXISTS = ProblemCode(
    "FEEDBACK_ALREADY_EXISTS",
    409,
    when="feedback for this session exists; read it with `GET /sessions/{id}/feedback`",
    example=FEEDBACK_EXISTS_MESSAGE,
)
# Answered by GET /sessions/{id}/feedback (feedback/views.py).
FEEDBACK_NOT_FOUND = ProblemCode(
    "FEEDBACK_NOT_FOUND",
    404,
    when="the session is yours but has no feedback yet",
    example="No feedback has been generated for this session yet.",
)


def overall_score(scores: list[int]) -> int:
    """Mean of the dimension scores rounded half up (82.5 -> 83), in integer arithmetic.

    floor(sum/n + 1/2) == (2*sum + n) // (2*n); no floats, no banker's rounding.
    """
    n = len(scores)
    return (2 * sum(scores) + n) // (2 * n)


def _check_can_analyse(session: selectors.SessionForFeedback) -> None:
    """The contract's checks 2-4, shared by the API and the worker's defence in depth.

    ``session`` comes from ``selectors.session_for_feedback`` (annotated, one query).
    """
    if session.status != InterviewSession.Status.COMPLETED:
        raise FeedbackRequestError("Complete the session before asking for feedback.", code=SESSION_NOT_COMPLETED)
    if not session.has_answer:
        raise FeedbackRequestError("The session has no answers to analyse.", code=NO_ANSWERS_TO_ANALYZE)
    if session.has_feedback:
        raise ConflictError(FEEDBACK_EXISTS_MESSAGE, code=FEEDBACK_ALREADY_EXISTS)


def feedback_request(*, session_id: object, user: User) -> tuple[Operation, bool]:
    """Ask for feedback on a session: the in-flight operation if there is one, else a new one.

    Checks in the contract's order; nothing is created or enqueued when one fails.
    Returns (operation, created).
    """
    session = selectors.session_for_feedback(session_id=session_id, user=user).first()
    if session is None:
        raise NotFoundError()
    _check_can_analyse(session)
    if not model_available(user=user):
        raise ModelNotConfiguredError()
    return operation_services.operation_get_or_create_inflight(
        user=user, session=session, operation_type=OPERATION_TYPE
    )


def feedback_prepare(operation: Operation) -> Callable[[], StructuredResult[analysis.FeedbackAnalysis]]:
    """Defence in depth, and the model call to make (the runner makes it outside any transaction).

    Raises ApplicationError if the session may no longer be analysed, LLMError when no model
    key is left; the call raises LLMError on model failure.
    """
    data = selectors.analysis_input_get(session_id=operation.session_id, user_id=operation.user_id)
    if data is None:
        raise NotFoundError("The session no longer exists.", code=SESSION_NOT_FOUND)
    _check_can_analyse(data.session)
    credentials = model_credentials(user=data.session.user)
    if credentials is None:  # the service's key was removed and the user has none
        raise LLMError(LLMErrorCode.NOT_CONFIGURED, cause="no model key")
    operation.key_kind = credentials.kind  # recorded when the operation finishes
    return partial(analysis.analyze, data, credentials=credentials)


def feedback_store(operation: Operation, outcome: StructuredResult[analysis.FeedbackAnalysis]) -> bool:
    """Insert the feedback and complete the operation in one transaction - both or neither.

    A second analysis of the same session loses on the unique session_id: its operation
    fails with FEEDBACK_ALREADY_EXISTS (the first feedback stands; we never overwrite it).
    A run that no longer holds its claim (cancelled, taken over, its session deleted)
    stores nothing. Returns True if stored.
    """
    parsed = outcome.parsed.model_dump()
    scores = [parsed[f] for f in SCORE_FIELDS]
    session_id = operation.session_id
    try:
        with transaction.atomic():
            # The session's row lock orders us with its deletion: a session deleted meanwhile
            # is simply gone here, never a foreign-key error at commit.
            if session_id is None or not InterviewSession.objects.select_for_update().filter(pk=session_id).exists():
                logger.info("operation %s: session gone before storing; feedback discarded", operation.pk)
                return False
            feedback = InterviewFeedback.objects.create(
                session_id=session_id,
                operation=operation,
                overall_score=overall_score(scores),
                **parsed,
            )
            accounting = {
                "llm_model": outcome.model,
                "prompt_version": analysis.PROMPT_VERSION,
                "input_tokens": outcome.input_tokens,
                "output_tokens": outcome.output_tokens,
                "model_latency_ms": outcome.latency_ms,
            }
            if not operation_services.operation_complete(operation=operation, result=feedback, accounting=accounting):
                # Our claim was cancelled or taken over (lease expired, re-dispatched): discard our work.
                transaction.set_rollback(True)
                logger.info("operation %s: claim lost before storing; feedback discarded", operation.pk)
                return False
            progress_changed(operation.user_id)
    except IntegrityError:
        if not InterviewFeedback.objects.filter(session_id=operation.session_id).exists():
            raise  # not the unique session: a real bug, let it surface
        operation_services.operation_fail(
            operation=operation, error_code=FEEDBACK_ALREADY_EXISTS, error_message=FEEDBACK_EXISTS_MESSAGE + "."
        )
        return False
    return True


def feedback_retry(operation: Operation) -> tuple[Operation, bool]:
    """Ask again for the feedback a failed analysis did not produce (the type's registered retry).

    Goes through :func:`feedback_request` as the operation's user, so every check of
    ``generate-feedback`` applies (session completed, answered, no feedback yet, a model
    configured) and an analysis already in flight for the session is returned.
    """
    return feedback_request(session_id=operation.session_id, user=operation.user)
