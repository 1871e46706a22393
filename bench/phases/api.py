"""The HTTP steps: POST generate-feedback and GET operation through the web server, closed loops.

For each server (uvicorn, then gunicorn unless --no-gunicorn), started fresh: the POST steps at
each client count (a fresh session per request; no worker runs, the tasks wait in Redis), then the
GET steps on the pending operations. Each step is one run of the load generator (bench/load.py),
with the web server's CPU per request and how it spread over its processes (a `CpuMeter`).
"""

from __future__ import annotations

import argparse
import functools
import re
from pathlib import Path

from bench.data import Data
from bench.meters import CpuMeter, Profiler
from bench.report import log_step
from bench.stack import Stack
from tests.processes import Process


def sessions_per_step(args: argparse.Namespace) -> int:
    """Fresh sessions one POST step may consume at --max-rate."""
    return int(args.max_rate * (args.warmup + args.duration + 1))


def run(args: argparse.Namespace, stack: Stack, data: Data, operations: list, config: dict) -> list[dict]:
    """Every server's POST and GET steps (GET reads `operations`); each server's command line
    goes into `config` under "uvicorn" / "gunicorn" (its port as PORT)."""
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
        command = " ".join(Path(x).name if i == 0 else x for i, x in enumerate(web.proc.args))
        config[kind] = re.sub(r"(--port |127\.0\.0\.1:)\d+", r"\g<1>PORT", command)
        measure = functools.partial(step, a, stack, data, server=name, web=web, port=port)
        try:
            for c in a.concurrency:
                items = data.take_sessions(sessions_per_step(a))
                steps.append(measure(endpoint="POST", concurrency=c, items=items))
            for c in a.concurrency:
                steps.append(measure(endpoint="GET", concurrency=c, items=operations))
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
    post = endpoint == "POST"
    spec = {
        "mode": "http",
        "host": "127.0.0.1",
        "port": port,
        "method": "POST" if post else "GET",
        "expect_status": 202 if post else 200,
        "path_template": "/api/v1/sessions/{id}/generate-feedback" if post else "/api/v1/operations/{id}",
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
