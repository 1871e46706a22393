"""Worker throughput: N operations published at once to the `celery worker` processes (threads pool;
--worker-concurrency threads in all), the fake model answering each after L seconds; completion
throughput against the ideal concurrency / L, the workers' peak RSS and CPU summed over their
processes (CPU per analysis), failures and DB pool timeouts."""

from __future__ import annotations

import argparse
import time
import uuid

from bench.data import Data, wait_finished
from bench.meters import CpuMeter, Profiler, group_cpu_seconds, group_vm_hwm_mb
from bench.stack import Stack
from bench.util import fmt, log
from tests.processes import Process


def run(args: argparse.Namespace, stack: Stack, data: Data, workers: list[Process]) -> dict:
    from operations.models import Operation
    from operations.services import operation_enqueue

    a = args
    sessions = data.take_sessions(a.n)
    meter = CpuMeter(a.db_name, stack.process_groups)
    worker_cpu0 = _cpu(workers)
    profilers = [Profiler(stack, a.profile_dir, f"worker-{i}", p.pid) for i, p in enumerate(workers)]
    t0 = time.monotonic()
    ops = data.create_pending(sessions)
    rows = Operation.objects.in_bulk(ops)
    for op_id in ops:
        operation_enqueue(operation=rows[uuid.UUID(op_id)])
    publish_s = time.monotonic() - t0
    ideal = min(a.worker_concurrency, a.n) / a.latency
    deadline = time.monotonic() + a.n / ideal * 3 + 60
    wait_finished(ops, deadline)
    worker_cpu = _cpu(workers) - worker_cpu0
    cpu = meter.stop()
    for profiler in profilers:
        profiler.stop()
    in_flight = stack.model_answered()["_max_in_flight"]
    stats = _operation_stats(ops)
    logs = [p.output() for p in workers]
    window = (stats["last_finished"] - stats["first_created"]).total_seconds()
    throughput = stats["completed"] / window if window > 0 else 0.0
    w = {
        "n": a.n,
        "latency_s": a.latency,
        "concurrency": a.worker_concurrency,
        "processes": len(workers),
        "pool_max_size": a.worker_pool_size,
        "publish_s": publish_s,
        "window_s": window,
        "throughput": throughput,
        "ideal": ideal,
        "ratio": throughput / ideal,
        "completed": stats["completed"],
        "failed": stats["failed"],
        "unfinished": stats["unfinished"],
        "error_codes": stats["error_codes"],
        "peak_rss_mb": sum(group_vm_hwm_mb(p.pid) for p in workers),
        "worker_cpu_s": worker_cpu,
        "worker_cores": worker_cpu / max(window, 1e-9),
        "cpu_ms_per_analysis": worker_cpu / stats["completed"] * 1000 if stats["completed"] else None,
        "model_max_in_flight": in_flight,
        "pg_cpu_s": cpu.get("pg", 0.0),
        "foreign_cpu_pct": cpu["foreign_pct"],
        "pool_timeouts": sum(out.count("PoolTimeout") + out.count("couldn't get a connection") for out in logs),
        "worker_errors": sum(
            1 for out in logs for line in out.splitlines() if " ERROR " in line or "Traceback" in line
        ),
    }
    log(
        f"  worker: {w['completed']}/{a.n} completed in {window:.2f}s = {throughput:.1f}/s "
        f"({w['ratio'] * 100:.0f} % of {ideal:.0f}/s) on {len(workers)} processes; "
        f"peak RSS {w['peak_rss_mb']:.0f} MB in all; "
        f"failed {w['failed']}, unfinished {w['unfinished']}, pool timeouts {w['pool_timeouts']}; "
        f"worker CPU {w['worker_cores']:.2f} cores, {fmt(w['cpu_ms_per_analysis'])} ms per analysis; "
        f"model calls in flight at most {in_flight}; "
        f"[foreign CPU {w['foreign_cpu_pct']:.0f} %]"
    )
    return w


def _cpu(workers: list[Process]) -> float:
    """CPU seconds of every worker process and its children so far."""
    return sum(group_cpu_seconds(p.pid) for p in workers)


def _operation_stats(ops: list[str]) -> dict:
    from django.db.models import Count, Max, Min

    from operations.models import Operation

    rows = Operation.objects.filter(pk__in=ops)
    agg = rows.aggregate(first_created=Min("created_at"), last_finished=Max("finished_at"))
    by_status = dict(rows.values_list("status").annotate(n=Count("id")))
    codes = dict(rows.filter(status="failed").values_list("error_code").annotate(n=Count("id")))
    return {
        **agg,
        "completed": by_status.get("completed", 0),
        "failed": by_status.get("failed", 0),
        "unfinished": by_status.get("pending", 0) + by_status.get("processing", 0),
        "error_codes": codes,
    }
