"""The Operation lifecycle. The only code that assigns ``Operation.status``.

pending -> processing -> completed | failed, and pending | processing -> cancelled (by the
user); nothing else. Every transition is one conditional UPDATE, so concurrent runs cannot
both win:

* claim (fresh delivery): ``status = pending``;
* claim (a retry or a re-dispatch of the same operation): ``status = processing AND
  attempts = <the attempt it continues>`` - a fencing token: each claim bumps
  ``attempts``, so a stale run that finishes late no longer matches and changes nothing;
* complete / fail: ``status = processing AND attempts = <the caller's attempt>``;
* cancel: ``status IN (pending, processing)``; the run in flight is then fenced out exactly
  like a stale run after a takeover (its complete / fail match nothing).

What the work is - its task, its retry, its result - comes from the type's registration
(``operations/registry.py``): this module imports no app whose work it tracks.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from kombu.exceptions import KombuError
from kombu.exceptions import OperationalError as BrokerOperationalError

from accounts.models import User
from common.exceptions import ConflictError, ProblemCode
from llm import LLMErrorCode
from operations import metrics, registry
from operations.models import Operation
from operations.notify import CHANNEL, notify_status

logger = logging.getLogger(__name__)

Status = Operation.Status

# Failures that asking again cannot cure, whatever the type: the request itself was refused
# as malformed or of a shape the server does not take (until an operator changes the
# settings). Types add their own (registry), e.g. their subject gone.
NOT_RETRYABLE = frozenset({LLMErrorCode.BAD_REQUEST, LLMErrorCode.UNSUPPORTED_REQUEST})

# What a publish can raise when the broker is unreachable (redis-py errors arrive wrapped
# by kombu as OperationalError; a socket timeout can surface as a plain OSError).
BROKER_ERRORS = (KombuError, BrokerOperationalError, OSError, TimeoutError)


def operation_get_or_create_inflight(
    *,
    user: User,
    # An interviews.InterviewSession: operations imports no app whose work it tracks, and the
    # stubs type the foreign key as that model, so no narrower annotation fits without the import.
    session: Any,
    operation_type: str,
    params: dict[str, Any] | None = None,
) -> tuple[Operation, bool]:
    """The session's pending/processing operation of this type, or a new pending one.

    One unfinished operation per (session, type) is a database fact (partial unique
    constraint): a request that loses the insert race gets the winner's operation back.
    The task is enqueued only after the surrounding transaction commits.
    """
    registry.get(operation_type)  # an unregistered type is a bug: fail before writing anything
    unfinished = Operation.objects.filter(
        session=session, operation_type=operation_type, status__in=Operation.UNFINISHED
    )
    try:
        with transaction.atomic():
            existing = unfinished.first()
            if existing is not None:
                return existing, False
            now = timezone.now()
            operation = Operation.objects.create(
                user=user,
                session=session,
                operation_type=operation_type,
                params=params or {},
                created_at=now,
                dispatched_at=now,
            )

            def after_commit() -> None:
                metrics.OPERATIONS_CREATED.labels(operation_type).inc()
                operation_enqueue(operation=operation)

            transaction.on_commit(after_commit, robust=True)
            return operation, True
    except IntegrityError:
        # A concurrent request committed first (its insert held the unique slot). Our
        # transaction is rolled back whole - no savepoint needed on the common path - and,
        # under READ COMMITTED, a new statement sees the winner's row.
        existing = unfinished.first()
        if existing is None:
            raise
        return existing, False


def operation_enqueue(*, operation: Operation, attempt: int | None = None) -> bool:
    """Publish the operation's task. Never raises for an unreachable broker: the Operation row
    is the outbox, and operations/recovery re-dispatches what did not get through."""
    try:
        current_app.send_task(
            registry.get(operation.operation_type).task,
            kwargs={"operation_id": str(operation.id), "attempt": attempt},
        )
    except BROKER_ERRORS as exc:
        logger.warning(
            "could not publish operation %s (%s); the recovery sweep will dispatch it",
            operation.id,
            type(exc).__name__,
        )
        return False
    return True


def operation_claim(*, operation_id: uuid.UUID | str, attempt: int | None = None) -> Operation | None:
    """Take the operation for this run, or return None if someone else has it / it is finished.

    ``attempt`` None claims a pending operation; otherwise it continues a processing operation
    whose last claim was ``attempt`` (a Celery retry, or a re-dispatch after the lease expired).
    """
    now = timezone.now()
    lease = now + timedelta(seconds=settings.OPERATION_LEASE_SECONDS)
    claim = _claim_postgresql if connection.vendor == "postgresql" else _claim_portable
    operation = claim(operation_id, attempt, now, lease)
    if operation is not None and operation.attempts == 1:
        metrics.QUEUE_WAIT.labels(operation.operation_type).observe((now - operation.created_at).total_seconds())
    return operation


# On PostgreSQL the claim is one statement, in one round trip: the conditional UPDATE, the
# notification (delivered with the UPDATE's commit, never before) and the claimed row.
_CLAIM_SQL = """
WITH claimed AS (
    UPDATE {table} SET status = %(processing)s, attempts = attempts + 1,
        started_at = COALESCE(started_at, %(now)s), lease_expires_at = %(lease)s, updated_at = %(now)s
    WHERE id = %(id)s AND {condition}
    RETURNING *
)
SELECT claimed.*, pg_notify(%(channel)s, claimed.id::text || ':' || %(processing)s) FROM claimed
"""


def _claim_postgresql(
    operation_id: uuid.UUID | str, attempt: int | None, now: datetime, lease: datetime
) -> Operation | None:
    try:
        pk = uuid.UUID(str(operation_id))
    except ValueError:
        return None
    condition = "status = %(pending)s" if attempt is None else "status = %(processing)s AND attempts = %(attempt)s"
    sql = _CLAIM_SQL.format(table=connection.ops.quote_name(Operation._meta.db_table), condition=condition)
    params = {
        "id": pk,
        "now": now,
        "lease": lease,
        "attempt": attempt,
        "pending": Status.PENDING,
        "processing": Status.PROCESSING,
        "channel": CHANNEL,
    }
    return next(iter(Operation.objects.raw(sql, params)), None)


def _claim_portable(
    operation_id: uuid.UUID | str, attempt: int | None, now: datetime, lease: datetime
) -> Operation | None:
    rows = Operation.objects.filter(pk=operation_id)
    if attempt is None:
        rows = rows.filter(status=Status.PENDING)
    else:
        rows = rows.filter(status=Status.PROCESSING, attempts=attempt)
    updated = rows.update(
        status=Status.PROCESSING,
        attempts=F("attempts") + 1,
        started_at=Coalesce(F("started_at"), now),
        lease_expires_at=lease,
        updated_at=now,
    )  # (no notification to send: waiters poll on other databases)
    return Operation.objects.get(pk=operation_id) if updated else None


def operation_extend_lease(*, operation: Operation, seconds: float) -> bool:
    """Keep the claim alive (e.g. across a retry's backoff). False if the claim was lost."""
    now = timezone.now()
    return bool(_held(operation).update(lease_expires_at=now + timedelta(seconds=seconds), updated_at=now))


def _held(operation: Operation) -> QuerySet[Operation]:
    return Operation.objects.filter(pk=operation.pk, status=Status.PROCESSING, attempts=operation.attempts)


ACCOUNTING_FIELDS = ("llm_model", "prompt_version", "input_tokens", "output_tokens", "model_latency_ms")

KEY_KINDS = ("user", "service")


def _key_kind(operation: Operation) -> dict[str, str]:
    """The key the run used (set on the instance by the work), recorded as the operation finishes."""
    kind = getattr(operation, "key_kind", "")
    return {"key_kind": kind} if kind in KEY_KINDS else {}


def operation_complete(*, operation: Operation, result: Any, accounting: dict[str, Any] | None = None) -> bool:
    """Mark completed, only while the claim is held. Call it inside the transaction that stores the work.

    ``result`` is the domain object the run produced (a feedback, a question message); the
    type's serializer renders it into ``Operation.result`` exactly as the API shows it.
    """
    result = registry.get(operation.operation_type).serialize_result(result)
    now = timezone.now()
    extra = {k: v for k, v in (accounting or {}).items() if k in ACCOUNTING_FIELDS}
    # No savepoint: a failed UPDATE aborts the caller's transaction anyway (one round trip less).
    with transaction.atomic(savepoint=False):
        updated = _held(operation).update(
            status=Status.COMPLETED,
            result=result,
            finished_at=now,
            lease_expires_at=None,
            updated_at=now,
            **extra,
            **_key_kind(operation),
        )
        if updated:
            notify_status(operation_id=operation.pk, status=Status.COMPLETED)
    if updated:
        metrics.OPERATIONS_FINISHED.labels(operation.operation_type, "completed").inc()
        operation.status, operation.result, operation.finished_at = Status.COMPLETED, result, now
    return bool(updated)


def operation_fail(*, operation: Operation, error_code: str, error_message: str) -> bool:
    """Mark failed with a stable code and a user-facing message, only while the claim is held."""
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        updated = _held(operation).update(
            status=Status.FAILED,
            error_code=error_code,
            error_message=error_message,
            finished_at=now,
            lease_expires_at=None,
            updated_at=now,
            **_key_kind(operation),
        )
        if updated:
            notify_status(operation_id=operation.pk, status=Status.FAILED)
    if updated:
        metrics.OPERATIONS_FINISHED.labels(operation.operation_type, error_code).inc()
        operation.status, operation.error_code, operation.error_message = Status.FAILED, error_code, error_message
        operation.finished_at = now
    else:
        logger.info(
            "operation %s: claim %s no longer held; failure %s dropped", operation.pk, operation.attempts, error_code
        )
    return bool(updated)


class OperationStateError(ConflictError):
    """A retry or cancel that the operation's state does not allow (409)."""


OPERATION_ALREADY_FINISHED = ProblemCode(
    "OPERATION_ALREADY_FINISHED",
    409,
    when="the operation is already completed, failed or cancelled",
    example="The operation is already completed; only a pending or processing one can be cancelled.",
)
OPERATION_NOT_FAILED = ProblemCode(
    "OPERATION_NOT_FAILED",
    409,
    when="only a failed operation can be retried",
    example="Only a failed operation can be retried; this one is completed.",
)
OPERATION_NOT_RETRYABLE = ProblemCode(
    "OPERATION_NOT_RETRYABLE",
    409,
    when="the operation failed in a way that asking again cannot fix",
    example="This operation failed in a way that asking again cannot fix.",
)


def operation_cancel(*, operation: Operation) -> Operation:
    """pending | processing -> cancelled. The run in flight, if any, is fenced out and stores nothing.

    A model call already under way is not interrupted (it finishes, and its result is
    dropped). A cancelled operation no longer blocks a new request for its session.
    """
    now = timezone.now()
    with transaction.atomic():
        updated = Operation.objects.filter(pk=operation.pk, status__in=Operation.UNFINISHED).update(
            status=Status.CANCELLED, finished_at=now, lease_expires_at=None, updated_at=now
        )
        if updated:
            notify_status(operation_id=operation.pk, status=Status.CANCELLED)
    operation.refresh_from_db()
    if not updated:
        raise OperationStateError(
            f"The operation is already {operation.status}; only a pending or processing one can be cancelled.",
            code=OPERATION_ALREADY_FINISHED,
        )
    metrics.OPERATIONS_FINISHED.labels(operation.operation_type, "cancelled").inc()
    logger.info("operation %s cancelled", operation.pk)
    return operation


def operation_retry(*, operation: Operation) -> tuple[Operation, bool]:
    """Ask again for what a failed operation did not produce: ``(operation, created)``.

    Goes through the type's own request service as the operation's user, so every check of
    the original endpoint applies (and answers its own codes), and an operation already in
    flight for the same subject is returned rather than a second one started. The failed
    operation itself never changes.
    """
    if operation.status != Status.FAILED:
        raise OperationStateError(
            f"Only a failed operation can be retried; this one is {operation.status}.", code=OPERATION_NOT_FAILED
        )
    operation_type = registry.get(operation.operation_type)
    if operation.error_code in NOT_RETRYABLE | operation_type.not_retryable:
        raise OperationStateError(
            "This operation failed in a way that asking again cannot fix.", code=OPERATION_NOT_RETRYABLE
        )
    retry, created = operation_type.retry(operation)
    logger.info(
        "operation %s retried: operation %s (%s)", operation.pk, retry.pk, "new" if created else "already in flight"
    )
    return retry, created
