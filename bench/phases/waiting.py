"""Waiting: long-polls (`GET /operations/{id}?wait=30`) held by one uvicorn process, then woken.

Two rounds, each on a fresh one-process uvicorn: the load generator (bench/load.py, mode "wait")
opens one long-poll per pending operation; once the web process is idle (every long-poll has read
its operation) the operations move to `processing` as `operation_claim` moves them (conditional
UPDATE and pg_notify, one transaction each): all at once from 4 threads (a burst, the worst case),
then paced at the rate one worker at its ideal claims (concurrency / L). Measured: from each
commit to its client's answer.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from concurrent.futures import ThreadPoolExecutor

from bench.data import Data
from bench.load import percentile
from bench.meters import CpuMeter, Profiler, first_child, group_cpu_seconds, vm_hwm_mb, wait_idle
from bench.stack import Stack
from bench.util import fmt, log


def run(args: argparse.Namespace, stack: Stack, data: Data) -> tuple[dict, dict]:
    """The burst round, then the paced round."""
    burst = one_round(args, stack, data, "burst", rate=None)
    rate = args.worker_concurrency / args.latency
    paced = one_round(args, stack, data, f"paced at {rate:g}/s", rate=rate)
    return burst, paced


def one_round(args: argparse.Namespace, stack: Stack, data: Data, label: str, rate: float | None) -> dict:
    """--waiters long-polls on a fresh one-process uvicorn, their operations flipped all at once
    (`rate` None) or at `rate` per second; the delays from each commit to its client's answer."""
    from django.db import connection, transaction
    from django.db.models import F
    from django.db.models.functions import Coalesce
    from django.utils import timezone

    from operations.models import Operation
    from operations.notify import notify_status

    a = args
    count = a.waiters
    sessions = data.take_sessions(count)
    ops = data.create_pending(sessions)
    lease = dt.timedelta(seconds=120)
    commit_at: dict[str, float] = {}

    def flip(op_id: str) -> None:
        # Exactly operation_claim's transaction: conditional UPDATE + NOTIFY, commit.
        now = timezone.now()
        with transaction.atomic():
            Operation.objects.filter(pk=op_id, status="pending").update(
                status="processing",
                attempts=F("attempts") + 1,
                started_at=Coalesce(F("started_at"), now),
                lease_expires_at=now + lease,
                updated_at=now,
            )
            notify_status(operation_id=op_id, status="processing")
        commit_at[op_id] = time.monotonic()

    def flip_chunk(chunk: list[str], start: float | None = None, step: float = 0.0) -> None:
        try:
            for n, op_id in enumerate(chunk):
                if start is not None:
                    delay = start + n * step - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                flip(op_id)
        finally:
            connection.close()

    web, port = stack.start_uvicorn(1)
    try:
        spec = {
            "mode": "wait",
            "host": "127.0.0.1",
            "port": port,
            "tokens": data.tokens,
            "items": [(op, user) for op, (_sid, user) in zip(ops, sessions, strict=True)],
            "wait": 30,
        }
        load = stack.start_load("load-wait", spec)
        try:
            line = load.proc.stdout.readline().decode().strip()
            if line != "SENT":
                raise RuntimeError(f"wait load: {line!r}\n{load.output()[-2000:]}")
            # Every long-poll must have read its operation (pending) before the flip, or it
            # would wait for the next change instead: wait until the web process is idle.
            wait_idle(web.pid, quiet_s=1.0, timeout=30)
            web_cpu_before = group_cpu_seconds(web.pid)
            meter = CpuMeter(a.db_name, stack.process_groups, web.pid)
            profiler = Profiler(stack, a.profile_dir, f"waiting-{label.split()[0]}", web.pid)
            t0 = time.monotonic()
            if rate is None:
                with ThreadPoolExecutor(4) as pool:
                    list(pool.map(flip_chunk, [ops[i::4] for i in range(4)]))
            else:
                flip_chunk(ops, start=t0, step=1.0 / rate)
            flip_s = time.monotonic() - t0
            # Read the rest through the same buffered reader as the "SENT" line: mixing it
            # with communicate()'s raw reads can lose buffered bytes of the result line.
            out = load.proc.stdout.read()  # EOF when the load exits (its long-polls are bounded)
            load.proc.wait(60)
            foreign_pct = meter.stop()["foreign_pct"]
            profiler.stop()
        finally:
            load.stop()
        web_cpu = group_cpu_seconds(web.pid) - web_cpu_before
        web_rss = vm_hwm_mb(first_child(web.pid) or web.pid)
    finally:
        web.stop()
    result = json.loads(out.decode().strip().splitlines()[-1])
    delays, updated, other = [], 0, {}
    for op_id, (t_recv, status, op_status) in result["received"].items():
        if status == 200 and op_status == "processing" and op_id in commit_at:
            updated += 1
            delays.append((t_recv - commit_at[op_id]) * 1000)
        else:
            key = f"{status}/{op_status}"
            other[key] = other.get(key, 0) + 1
    delays.sort()
    wait = {
        "label": label,
        "rate": rate,
        "waiters": count,
        "connected": count - result["connect_failed"],
        "updated": updated,
        "other": other,
        "flip_s": flip_s,
        "p50_ms": percentile(delays, 0.5),
        "p95_ms": percentile(delays, 0.95),
        "p99_ms": percentile(delays, 0.99),
        "max_ms": delays[-1] if delays else None,
        "web_cpu_s_after_flip": web_cpu,
        "web_peak_rss_mb": web_rss,
        "foreign_cpu_pct": foreign_pct,
    }
    log(
        f"  waiting, {label}: {updated}/{count} got their update; the {count} changes took {flip_s * 1000:.0f} ms; "
        f"delay p50/p95/p99 {fmt(wait['p50_ms'])}/{fmt(wait['p95_ms'])}/{fmt(wait['p99_ms'])} ms; "
        f"web CPU {web_cpu / max(1, updated) * 1000:.1f} ms per waiter; other {other} "
        f"[foreign CPU {foreign_pct:.0f} %]"
    )
    return wait
