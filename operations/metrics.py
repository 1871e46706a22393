"""Prometheus metrics of the operation pipeline (web and worker processes).

Web: operations created, current unfinished counts (read from the database at scrape time).
Worker: operations finished by type and outcome, queue wait (model latency and tokens are
in llm/metrics.py).
Each process exports its own: the web at ``/metrics``, a worker on CELERY_METRICS_PORT.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

OPERATIONS_CREATED = Counter("operations_created_total", "Operations created (accepted requests).", ["operation_type"])
OPERATIONS_FINISHED = Counter(
    "operations_finished_total",
    "Operations finished, by outcome: 'completed' or the failure's error_code.",
    ["operation_type", "outcome"],
)
WAITERS = Gauge(
    "operation_waiters",
    "Clients of this web process waiting on an operation now (long-polls and event streams).",
)
WAITER_WAKEUPS = Counter(
    "operation_waiter_wakeups_total",
    "Waiters woken by a status change, by how they got the operation: 'batched' (the status listener's "
    "one read for all the operations changed meanwhile) or 'own' (a read of their own: polling fallback).",
    ["read"],
)
WAITER_BATCH_READS = Counter(
    "operation_waiter_batch_reads_total",
    "Queries the status listener ran for changed operations (one per burst, not one per waiter).",
)
QUEUE_WAIT = Histogram(
    "operation_queue_wait_seconds",
    "Time from an operation's creation to its first claim by a worker.",
    ["operation_type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)


class UnfinishedOperationsCollector(Collector):
    """Current pending/processing counts and the age of the oldest, per type (one indexed query)."""

    def collect(self) -> Iterator[Metric]:
        count = GaugeMetricFamily(
            "operations_unfinished", "Operations pending or processing now.", labels=["operation_type", "status"]
        )
        oldest = GaugeMetricFamily(
            "operations_oldest_unfinished_age_seconds",
            "Age of the oldest pending/processing operation.",
            labels=["operation_type", "status"],
        )
        from operations import registry
        from operations.models import Operation  # the app registry is ready by scrape time

        now = timezone.now()
        rows = (
            Operation.objects.filter(status__in=Operation.UNFINISHED)
            .values("operation_type", "status")
            .annotate(n=Count("id"), first=Min("created_at"))
            .order_by()
        )
        seen: set[tuple[str, str]] = set()
        for row in rows:
            labels = [row["operation_type"], row["status"]]
            seen.add((row["operation_type"], row["status"]))
            count.add_metric(labels, row["n"])
            oldest.add_metric(labels, (now - row["first"]).total_seconds())
        for op_type in registry.names():
            for status in Operation.UNFINISHED:
                if (op_type, status) not in seen:
                    count.add_metric([op_type, status], 0)
        yield count
        yield oldest
