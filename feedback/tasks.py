"""The worker side of feedback generation. Thin: claim, call services, record the outcome."""

from __future__ import annotations

import logging
import random
from contextlib import contextmanager

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from common import context
from common.exceptions import ApplicationError
from feedback import services
from llm import LLMError
from operations import services as operation_services
from operations.models import Operation

logger = logging.getLogger(__name__)


@contextmanager
def _log_context(*, operation_id: str, task_id: str | None, attempt: int):
    tokens = [
        (context.operation_id, context.operation_id.set(operation_id)),
        (context.task_id, context.task_id.set(task_id)),
        (context.attempt, context.attempt.set(attempt)),
    ]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def retry_delay(*, retries: int, error: LLMError, operation: Operation) -> float | None:
    """Seconds to wait before retrying a model failure, or None to fail now.

    Exponential backoff with full jitter, at least the provider's Retry-After, bounded
    in count and by the deadline (the retry must be able to finish before it).
    """
    if not error.transient or retries >= settings.FEEDBACK_MAX_RETRIES:
        return None
    ceiling = min(settings.FEEDBACK_RETRY_BACKOFF_MAX_SECONDS, settings.FEEDBACK_RETRY_BACKOFF_SECONDS * 2**retries)
    delay = random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not cryptography
    if error.retry_after is not None:
        delay = max(delay, error.retry_after)
    elapsed = (timezone.now() - operation.started_at).total_seconds()
    if elapsed + delay + settings.OPENAI_TIMEOUT_SECONDS > settings.FEEDBACK_DEADLINE_SECONDS:
        return None
    return delay


@shared_task(
    bind=True,
    name="feedback.tasks.generate_feedback_task",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,  # bounded by retry_delay() (count and deadline), not by Celery
    ignore_result=True,
    # Enforced by the prefork pool only (the default threads pool enforces no time limit:
    # there, per-call timeouts and the lease + recovery sweep bound a run). Below the lease,
    # so a prefork child is killed before recovery would hand its operation to another run.
    time_limit=max(30, settings.OPERATION_LEASE_SECONDS - 10),
)
def generate_feedback_task(self, operation_id: str, attempt: int | None = None) -> str:
    """Analyse one session and store its feedback. Safe to run twice: only one run holds the claim.

    ``attempt`` is None for the first delivery; a retry carries the attempt it continues.
    Returns the outcome (for logs and Flower): claimed-elsewhere, completed, failed, lost.
    """
    operation = operation_services.operation_claim(operation_id=operation_id, attempt=attempt)
    if operation is None:
        logger.info("operation %s: nothing to claim (finished, or held by another run)", operation_id)
        return "not-claimed"

    with _log_context(operation_id=str(operation.id), task_id=self.request.id, attempt=operation.attempts):
        try:
            outcome = services.feedback_analyze(operation=operation)
        except ApplicationError as exc:
            operation_services.operation_fail(operation=operation, error_code=exc.code, error_message=exc.detail)
            return "failed"
        except LLMError as exc:
            delay = retry_delay(retries=self.request.retries, error=exc, operation=operation)
            if delay is not None:
                logger.info("model failure %s; retry %d in %.1fs", exc.code, self.request.retries + 1, delay)
                # The claim must outlive the wait plus the next call, or recovery would take it.
                operation_services.operation_extend_lease(
                    operation=operation, seconds=delay + settings.OPERATION_LEASE_SECONDS
                )
                raise self.retry(
                    kwargs={"operation_id": str(operation.id), "attempt": operation.attempts},
                    countdown=delay,
                    exc=exc,
                ) from None
            logger.warning("model failure %s (%s); operation failed", exc.code, exc.cause)
            operation_services.operation_fail(operation=operation, error_code=exc.code, error_message=exc.user_message)
            return "failed"

        stored = services.feedback_store(operation=operation, outcome=outcome)
        logger.info(
            "analysis done: stored=%s model=%s tokens_in=%s tokens_out=%s latency_ms=%s",
            stored,
            outcome.model,
            outcome.input_tokens,
            outcome.output_tokens,
            outcome.latency_ms,
        )
        return "completed" if stored else "lost"
