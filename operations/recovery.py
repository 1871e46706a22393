"""The recovery sweep: nothing stays pending or processing forever (DESIGN.md point 3).

* pending longer than the grace period after its dispatch -> published again (the broker
  was down at commit, the web process died right after commit, a message was lost);
* processing with an expired lease (its worker died or hung) -> re-dispatched to continue
  from its last claim - the new claim fences the old run out - up to
  OPERATION_MAX_RECOVERIES times, then failed with WORKER_LOST.

Safe to run concurrently (two beat instances, a slow sweep overlapping the next): rows are
taken with SELECT ... FOR UPDATE SKIP LOCKED and stamped before the lock is released, so
each row is handled by one sweep round only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from operations import services
from operations.models import Operation

logger = logging.getLogger(__name__)

# The error_code of an operation whose runs were lost too often (a worker killed each time).
WORKER_LOST = "WORKER_LOST"
WORKER_LOST_MESSAGE = "The analysis was interrupted several times and could not finish. Please request it again."


@dataclass
class SweepResult:
    redispatched_pending: list[str] = field(default_factory=list)
    redispatched_processing: list[str] = field(default_factory=list)
    failed_worker_lost: list[str] = field(default_factory=list)


def operations_recover() -> SweepResult:
    """One sweep round. Publishes happen after the row locks are released (on commit)."""
    now = timezone.now()
    result = SweepResult()
    batch = settings.OPERATION_RECOVERY_BATCH
    to_publish: list[tuple[Operation, int | None]] = []

    with transaction.atomic():
        grace = now - timedelta(seconds=settings.OPERATION_PENDING_GRACE_SECONDS)
        pending = list(
            Operation.objects.select_for_update(skip_locked=True)
            .filter(status=Operation.Status.PENDING)
            .filter(Q(dispatched_at__lt=grace) | Q(dispatched_at__isnull=True, created_at__lt=grace))
            .order_by("created_at")[:batch]
        )
        if pending:
            Operation.objects.filter(pk__in=[op.pk for op in pending]).update(dispatched_at=now, updated_at=now)
        for op in pending:
            to_publish.append((op, None))
            result.redispatched_pending.append(str(op.pk))

        expired = list(
            Operation.objects.select_for_update(skip_locked=True)
            .filter(status=Operation.Status.PROCESSING, lease_expires_at__lt=now)
            .order_by("lease_expires_at")[:batch]
        )
        lease = timedelta(seconds=settings.OPERATION_LEASE_SECONDS)
        for op in expired:
            if op.recoveries >= settings.OPERATION_MAX_RECOVERIES:
                services.operation_fail(operation=op, error_code=WORKER_LOST, error_message=WORKER_LOST_MESSAGE)
                result.failed_worker_lost.append(str(op.pk))
                continue
            # Give the re-dispatched run a fresh lease so the next sweep leaves it alone.
            Operation.objects.filter(pk=op.pk, attempts=op.attempts).update(
                recoveries=op.recoveries + 1, lease_expires_at=now + lease, dispatched_at=now, updated_at=now
            )
            to_publish.append((op, op.attempts))
            result.redispatched_processing.append(str(op.pk))

        def publish() -> None:
            for op, attempt in to_publish:
                services.operation_enqueue(operation=op, attempt=attempt)

        transaction.on_commit(publish, robust=True)

    if to_publish or result.failed_worker_lost:
        logger.warning(
            "recovery: %d pending re-dispatched, %d lost runs re-dispatched, %d failed WORKER_LOST",
            len(result.redispatched_pending),
            len(result.redispatched_processing),
            len(result.failed_worker_lost),
        )
    return result
