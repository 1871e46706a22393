"""The HTTP steps: every endpoint of bench/endpoints.py through the web server, closed loops.

For each server (uvicorn as production runs it, then gunicorn with --gunicorn), started fresh: the
POST steps (generate-feedback, then generate-question) at each client count (a fresh session per
request; no worker runs, the tasks wait in Redis), the GET operation steps on the pending
operations, and the dashboard at its own client counts (the users with a long history). Each step
is one run of the load generator (bench/load.py), with the web server's CPU per request and how it
spread over its processes (a `CpuMeter`).
"""

from __future__ import annotations

import argparse
import functools
import re
from pathlib import Path

from bench.data import Data
from bench.endpoints import DASHBOARD_CLIENTS, ENDPOINTS
from bench.meters import CpuMeter, Profiler
from bench.report import log_step
from bench.stack import Stack
from tests.processes import Process


def sessions_per_step(args: argparse.Namespace) -> int:
    """Fresh sessions one POST step may consume at --max-rate."""
    return int(args.max_rate * (args.warmup + args.duration + 1))


def run(args: argparse.Namespace, stack: Stack, data: Data, operations: list, config: dict) -> list[dict]:
    """Every server's steps (GET operation reads `operations`); each server's command line goes
    into `config` under "uvicorn" / "gunicorn" (its port as PORT)."""
    a = args
    steps = []
    servers = [("uvicorn", f"uvicorn {a.web_workers}w")]
    if a.gunicorn:
        servers.append(("gunicorn", f"gunicorn {a.web_workers}w×{a.gunicorn_threads}t"))
    for kind, name in servers:
        if kind == "uvicorn":
            web, port = stack.start_uvicorn(a.web_workers)
        else:
            web, port = stack.start_gunicorn(a.web_workers, a.gunicorn_threads)
        argv: list[str] = web.proc.args  # type: ignore[assignment]  # Popen types args as any command form
        command = " ".join(Path(x).name if i == 0 else x for i, x in enumerate(argv))
        config[kind] = re.sub(r"(--port |127\.0\.0\.1:)\d+", r"\g<1>PORT", command)
        measure = functools.partial(step, a, stack, data, server=name, web=web, port=port)
        try:
            for key in ("feedback", "question"):
                for c in a.concurrency:
                    sessions_kind = ENDPOINTS[key].sessions
                    assert sessions_kind is not None  # both take sessions
                    items = data.take_sessions(sessions_per_step(a), sessions_kind)
                    steps.append(measure(endpoint=key, concurrency=c, items=items))
            for c in a.concurrency:
                steps.append(measure(endpoint="operation", concurrency=c, items=operations))
            for c in DASHBOARD_CLIENTS:
                steps.append(measure(endpoint="dashboard", concurrency=c, items=data.dashboard_items()))
        finally:
            web.stop()
    return steps


def step(
    args: argparse.Namespace,
    stack: Stack,
    data: Data,
    *,
    server: str,
    web: Process,
    port: int,
    endpoint: str,
    concurrency: int,
    items,
) -> dict:
    a = args
    target = ENDPOINTS[endpoint]
    spec = {
        "mode": "http",
        "host": "127.0.0.1",
        "port": port,
        "method": target.method,
        "expect_status": target.status,
        "path_template": target.path,
        "tokens": data.tokens,
        "items": items,
        "concurrency": concurrency,
        "warmup": a.warmup,
        "duration": a.duration,
    }
    meter = CpuMeter(a.db_name, stack.process_groups, web.pid)
    profiler = None
    if concurrency == 32 or (32 not in a.concurrency and concurrency == max(a.concurrency)):
        name = f"{server.split()[0]}-{endpoint}-{concurrency}"
        profiler = Profiler(stack, a.profile_dir, name, web.pid)
    result = stack.run_load(spec, timeout=a.warmup + a.duration + 60)
    cpu = meter.stop()
    if profiler is not None:
        profiler.stop()
    n = max(1, result["all_requests"])
    result.update(
        kind="http",
        server=server,
        endpoint=endpoint,
        concurrency=concurrency,
        web_cpu_ms=cpu.get("web", 0.0) / n * 1000,
        client_cpu_ms=result["client_cpu_s"] / n * 1000,
        # How the work spread over the web processes (the kernel hands each keep-alive
        # connection to one of them): the busiest first, as shares of the web CPU.
        web_split=sorted((v / max(cpu.get("web", 0.0), 1e-9) for v in cpu["web_by_pid"].values()), reverse=True),
        pg_cpu_ms=cpu.get("pg", 0.0) / n * 1000,
        foreign_cpu_pct=cpu["foreign_pct"],
    )
    log_step(result)
    return result
