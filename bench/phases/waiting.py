"""Waiting: long-polls (`GET /operations/{id}?wait=30`) held by one uvicorn process, then woken.

Three rounds, each on a fresh one-process uvicorn: the load generator (bench/load.py, mode "wait")
opens one long-poll per pending operation; once the web process is idle (every long-poll has read
its operation) the operations move to `processing` as `operation_claim` moves them (conditional
UPDATE and pg_notify, one transaction each) from 4 threads: all at once (the worst case), spread
over 2 s (issue 15's burst: 1,000 changes within 2 s, the round its target judges), then paced at
the workers' ideal rate of claims (concurrency / L). Measured: from each commit to its client's
answer.
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ThreadPoolExecutor

from bench.data import Data
from bench.load import percentile
from bench.meters import CpuMeter, Profiler, first_child, group_cpu_seconds, vm_hwm_mb, wait_idle
from bench.stack import Stack
from bench.util import fmt, log

# Issue 15's burst: 1,000 changes within 2 s.
BURST_S = 2.0
ROUNDS = 3
FLIPPERS = 4  # threads committing the changes, as several worker threads do


def run(args: argparse.Namespace, stack: Stack, data: Data) -> list[dict]:
    """The rounds: all at once, the burst (the target's), paced at the workers' rate."""
    paced = args.worker_concurrency / args.latency
    rounds = [
        ("at_once", "all at once", None),
        ("burst", f"within {BURST_S:g} s", args.waiters / BURST_S),
        ("paced", f"paced at {paced:g}/s", paced),
    ]
    assert len(rounds) == ROUNDS
    return [one_round(args, stack, data, key, label, rate=rate) for key, label, rate in rounds]


def one_round(args: argparse.Namespace, stack: Stack, data: Data, key: str, label: str, rate: float | None) -> dict:
    """--waiters long-polls on a fresh one-process uvicorn, their operations flipped all at once
    (`rate` None) or at `rate` per second in all; the delays from each commit to its client's answer."""
    from django.db import connection

    from operations import services

    a = args
    count = a.waiters
    sessions = data.take_sessions(count)
    ops = data.create_pending(sessions)
    commit_at: dict[str, float] = {}

    def flip(op_id: str) -> None:
        # What a worker does to it: operation_claim (its UPDATE and NOTIFY, committed).
        services.operation_claim(operation_id=op_id)
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

    def flipper(i: int) -> None:
        # Thread i flips operations i, i + 4, ...: at `rate`, each at its turn in the whole.
        if rate is None:
            flip_chunk(ops[i::FLIPPERS])
        else:
            flip_chunk(ops[i::FLIPPERS], start=t0 + i / rate, step=FLIPPERS / rate)

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
            assert load.proc.stdout is not None  # a pipe
            line = load.proc.stdout.readline().decode().strip()
            if line != "SENT":
                raise RuntimeError(f"wait load: {line!r}\n{load.output()[-2000:]}")
            # Every long-poll must have read its operation (pending) before the flip, or it
            # would wait for the next change instead: wait until the web process is idle.
            wait_idle(web.pid, quiet_s=1.0, timeout=30)
            web_cpu_before = group_cpu_seconds(web.pid)
            meter = CpuMeter(a.db_name, stack.process_groups, web.pid)
            profiler = Profiler(stack, a.profile_dir, f"waiting-{key}", web.pid)
            t0 = time.monotonic()
            with ThreadPoolExecutor(FLIPPERS) as pool:
                list(pool.map(flipper, range(FLIPPERS)))
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
    delays: list[float] = []
    updated = 0
    other: dict[str, int] = {}
    for op_id, (t_recv, status, op_status) in result["received"].items():
        if status == 200 and op_status == "processing" and op_id in commit_at:
            updated += 1
            delays.append((t_recv - commit_at[op_id]) * 1000)
        else:
            outcome = f"{status}/{op_status}"
            other[outcome] = other.get(outcome, 0) + 1
    delays.sort()
    wait = {
        "key": key,
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
