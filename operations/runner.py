"""The body every operation task shares: claim, do the work, store it, record the outcome.

A type's task stays thin (STYLE.md)::

    @shared_task(name="feedback.tasks.generate_feedback_task", **TASK_OPTIONS)
    def generate_feedback_task(self, operation_id, attempt=None):
        return run_operation(self, operation_id=operation_id, attempt=attempt,
                             prepare=services.feedback_prepare, store=services.feedback_store)

``prepare(operation)`` reads and checks what the work needs and returns the call to make
(the model call); the runner gives its database connection back to the pool, then makes the
call outside any transaction; ``store(operation, outcome)`` stores the outcome and completes
the operation in one transaction, returning False when the claim was lost meanwhile
(cancelled, taken over, deleted).

Outcomes:

* a domain refusal (:class:`~common.exceptions.ApplicationError`) fails the operation with
  its code;
* a model failure (:class:`~llm.LLMError`) is retried with exponential backoff and full
  jitter when transient, bounded in count and by the deadline, else fails it;
* the database unreachable (a connection-level error) is left to the lease and the
  recovery sweep: the run cannot record anything anyway;
* anything else is a bug: logged with its traceback and the operation fails
  ``INTERNAL_ERROR`` at once (never stuck until the lease expires, never re-billed).

A store that fails because the database blipped is retried in-process with the model's
output kept, so the model is never called twice for one result.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any, TypeVar

from celery import Task
from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connection
from django.utils import timezone

from common import context
from common.exceptions import INTERNAL_ERROR, ApplicationError
from llm import LLMError
from operations import services
from operations.models import Operation

logger = logging.getLogger(__name__)

T = TypeVar("T")

INTERNAL_ERROR_MESSAGE = "An unexpected error occurred while processing this request. Please try again later."

# The options every operation task shares (Celery's task decorator keywords).
TASK_OPTIONS: dict[str, Any] = {
    "bind": True,
    "acks_late": True,  # a killed worker's task comes back (DESIGN.md point 4)
    "reject_on_worker_lost": True,
    "max_retries": None,  # bounded by retry_delay() (count and deadline), not by Celery
    "ignore_result": True,
    # Enforced by the prefork pool only (the default threads pool enforces no time limit:
    # there, per-call timeouts and the lease + recovery sweep bound a run). Below the lease,
    # so a prefork child is killed before recovery would hand its operation to another run.
    "time_limit": max(30, settings.OPERATION_LEASE_SECONDS - 10),
}

# Connection-level database failures: nothing can be recorded; the lease and the sweep recover.
DATABASE_DOWN = (OperationalError, InterfaceError)


@contextmanager
def log_context(*, operation_id: str, task_id: str | None, attempt: int) -> Iterator[None]:
    tokens: list[tuple[ContextVar[Any], Token[Any]]] = [
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
    if not error.transient or retries >= settings.OPERATION_MAX_RETRIES:
        return None
    ceiling = min(settings.OPERATION_RETRY_BACKOFF_MAX_SECONDS, settings.OPERATION_RETRY_BACKOFF_SECONDS * 2**retries)
    delay = random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not cryptography
    if error.retry_after is not None:
        delay = max(delay, error.retry_after)
    assert operation.started_at is not None  # set by the claim
    elapsed = (timezone.now() - operation.started_at).total_seconds()
    if elapsed + delay + settings.OPENAI_TIMEOUT_SECONDS > settings.OPERATION_DEADLINE_SECONDS:
        return None
    return delay


def _fail_internal(operation: Operation, where: str) -> str:
    logger.exception("unexpected error while %s operation %s; failed INTERNAL_ERROR", where, operation.pk)
    services.operation_fail(operation=operation, error_code=INTERNAL_ERROR, error_message=INTERNAL_ERROR_MESSAGE)
    return "failed"


def _store(store: Callable[[Operation, T], bool], operation: Operation, outcome: T) -> bool:
    """Store, retrying a database blip in-process (the claim is still ours; the output is in hand)."""
    delays = settings.OPERATION_STORE_RETRY_DELAYS
    for attempt in range(len(delays) + 1):
        try:
            return store(operation, outcome)
        except DATABASE_DOWN as exc:
            if attempt == len(delays):
                raise
            logger.warning(
                "storing failed (%s); retrying in %.1fs without a new model call", type(exc).__name__, delays[attempt]
            )
            time.sleep(delays[attempt])
            close_old_connections()
    raise AssertionError("unreachable")


def release_connection() -> None:
    """Give the pooled database connection back before a call of seconds (the next query takes one).

    A worker runs more threads than its pool has slots: holding a connection through the model
    call would starve the others. Inside a transaction (tests) there is nothing to give back.
    """
    if not connection.in_atomic_block:
        connection.close()


def run_operation(
    task: Task[Any, Any],
    *,
    operation_id: str,
    attempt: int | None,
    prepare: Callable[[Operation], Callable[[], T]],
    store: Callable[[Operation, T], bool],
) -> str:
    """Run one delivery of an operation's task. Safe to run twice: only one run holds the claim.

    ``attempt`` is None for the first delivery; a retry carries the attempt it continues.
    Returns the outcome (for logs and Flower): not-claimed, completed, failed, lost.
    """
    operation = services.operation_claim(operation_id=operation_id, attempt=attempt)
    if operation is None:
        logger.info("operation %s: nothing to claim (finished, cancelled, or held by another run)", operation_id)
        return "not-claimed"

    with log_context(operation_id=str(operation.id), task_id=task.request.id, attempt=operation.attempts):
        try:
            call = prepare(operation)
            release_connection()
            outcome = call()
        except ApplicationError as exc:
            services.operation_fail(operation=operation, error_code=exc.code, error_message=exc.detail)
            return "failed"
        except LLMError as exc:
            delay = retry_delay(retries=task.request.retries, error=exc, operation=operation)
            if delay is None:
                logger.warning("model failure %s (%s); operation failed", exc.code, exc.cause)
                services.operation_fail(operation=operation, error_code=exc.code, error_message=exc.user_message)
                return "failed"
            logger.info("model failure %s; retry %d in %.1fs", exc.code, task.request.retries + 1, delay)
            # The claim must outlive the wait plus the next call, or recovery would take it.
            services.operation_extend_lease(operation=operation, seconds=delay + settings.OPERATION_LEASE_SECONDS)
            raise task.retry(
                kwargs={"operation_id": str(operation.id), "attempt": operation.attempts}, countdown=delay, exc=exc
            ) from None
        except DATABASE_DOWN:
            raise
        except Exception:
            return _fail_internal(operation, "working on")

        try:
            stored = _store(store, operation, outcome)
        except ApplicationError as exc:
            services.operation_fail(operation=operation, error_code=exc.code, error_message=exc.detail)
            return "failed"
        except DATABASE_DOWN:
            raise
        except Exception:
            return _fail_internal(operation, "storing")
        return "completed" if stored else "lost"
