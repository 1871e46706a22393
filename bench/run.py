"""`make bench`: the service's measured speed on this machine, in one command.

Creates its own PostgreSQL database and uses Redis databases of its own (broker, cache), starts
the stack (the fake model server, the web process, later the Celery workers) as production runs it,
drives it from a separate load-generating process (bench/load.py) on 127.0.0.1, measures the
raw limit of the same SQL and broker commands with no framework, and prints one table
(also written to bench/results/latest.md with the date, the machine and the commit).

Every duration is bounded; every process it starts is stopped on exit, Ctrl-C or error.
``python bench/run.py --help`` lists the knobs (each also an environment variable).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

if not __package__:  # `python bench/run.py` (make bench): import the package from the repository's root
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench import report
from bench.data import Data
from bench.endpoints import DASHBOARD_CLIENTS
from bench.phases import api, overhead, raw_limit, waiting, worker
from bench.stack import Stack
from bench.util import RESULTS, log


def env_default(name: str, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return type(default)(value) if not isinstance(default, bool) else value.lower() in ("1", "true", "yes")


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = p.add_argument
    add(
        "--quick",
        action="store_true",
        default=env_default("BENCH_QUICK", False),
        help="shorter steps, N=200, L=1 s, 300 waiters (BENCH_QUICK)",
    )
    add(
        "--concurrency",
        default=env_default("BENCH_CONCURRENCY", "8,32,64"),
        help="client counts for the POST/GET steps (BENCH_CONCURRENCY)",
    )
    add(
        "--duration",
        type=float,
        default=env_default("BENCH_DURATION", 8.0),
        help="measured seconds per HTTP step (BENCH_DURATION)",
    )
    add(
        "--raw-duration",
        type=float,
        default=env_default("BENCH_RAW_DURATION", 5.0),
        help="measured seconds per raw-limit step (BENCH_RAW_DURATION)",
    )
    add(
        "--warmup",
        type=float,
        default=env_default("BENCH_WARMUP", 1.5),
        help="unmeasured seconds before each step (BENCH_WARMUP)",
    )
    add(
        "--web-workers",
        type=int,
        default=env_default("BENCH_WEB_WORKERS", os.cpu_count() or 2),
        help="uvicorn (and gunicorn) worker processes (BENCH_WEB_WORKERS, default nproc)",
    )
    add(
        "--gunicorn",
        action=argparse.BooleanOptionalAction,
        default=env_default("BENCH_GUNICORN", False),
        help="also run the HTTP steps on gunicorn config.wsgi -k gthread, for comparison: production runs "
        "uvicorn, whose rows the targets judge (BENCH_GUNICORN)",
    )
    add(
        "--gunicorn-threads",
        type=int,
        default=env_default("BENCH_GUNICORN_THREADS", 8),
        help="gthread threads per gunicorn worker (BENCH_GUNICORN_THREADS)",
    )
    add("--n", type=int, default=env_default("BENCH_N", 1000), help="operations in the worker step (BENCH_N)")
    add(
        "--latency",
        type=float,
        default=env_default("BENCH_LATENCY", 2.0),
        help="fake model latency, seconds (BENCH_LATENCY)",
    )
    add(
        "--worker-concurrency",
        type=int,
        default=env_default("BENCH_WORKER_CONCURRENCY", 200),
        help="Celery worker threads in all, split over the processes (BENCH_WORKER_CONCURRENCY)",
    )
    add(
        "--worker-processes",
        type=int,
        default=env_default("BENCH_WORKER_PROCESSES", 2),
        help="Celery worker processes on this host (BENCH_WORKER_PROCESSES)",
    )
    add(
        "--worker-pool-size",
        type=int,
        default=env_default("BENCH_WORKER_POOL_SIZE", 40),
        help="DB connections of the workers in all: DB_POOL_MAX_SIZE is this split over the processes "
        "(BENCH_WORKER_POOL_SIZE)",
    )
    add(
        "--overhead-n",
        type=int,
        default=env_default("BENCH_OVERHEAD_N", 100),
        help="operations for each overhead run, one every 20 ms (BENCH_OVERHEAD_N)",
    )
    add(
        "--waiters",
        type=int,
        default=env_default("BENCH_WAITERS", 1000),
        help="concurrent long-polls held by one uvicorn process (BENCH_WAITERS)",
    )
    add("--db-name", default=env_default("BENCH_DB_NAME", "bench_interview_feedback"))
    add(
        "--pg",
        default=env_default("BENCH_PG", "postgres://postgres@127.0.0.1:5432"),
        help="PostgreSQL server URL without database (BENCH_PG)",
    )
    add(
        "--redis-db", type=int, default=env_default("BENCH_REDIS_DB", 13), help="the broker's Redis db (BENCH_REDIS_DB)"
    )
    add(
        "--cache-redis-db",
        type=int,
        default=env_default("BENCH_CACHE_REDIS_DB", 10),
        help="the cache's Redis db (CACHE_URL), as production's shared cache (BENCH_CACHE_REDIS_DB)",
    )
    add("--redis", default=env_default("BENCH_REDIS", "redis://127.0.0.1:6379"))
    add(
        "--users",
        type=int,
        default=env_default("BENCH_USERS", 2000),
        help="seeded users; requests are spread over them (BENCH_USERS)",
    )
    add(
        "--max-rate",
        type=float,
        default=env_default("BENCH_MAX_RATE", 600.0),
        help="POST req/s the seeded sessions must last for (BENCH_MAX_RATE)",
    )
    add(
        "--dashboard-users",
        type=int,
        default=env_default("BENCH_DASHBOARD_USERS", 8),
        help="users with a long history the dashboard step reads, in turn (BENCH_DASHBOARD_USERS)",
    )
    add(
        "--dashboard-sessions",
        type=int,
        default=env_default("BENCH_DASHBOARD_SESSIONS", 2000),
        help="sessions of each of them (about 10 messages each, feedback on most) (BENCH_DASHBOARD_SESSIONS)",
    )
    add(
        "--max-raw-rate",
        type=float,
        default=env_default("BENCH_MAX_RAW_RATE", 2500.0),
        help="raw POST loops/s the seeded sessions must last for (BENCH_MAX_RAW_RATE)",
    )
    add("--output", default=str(RESULTS / "latest.md"), help="markdown report path")
    add(
        "--profile-dir",
        default=env_default("BENCH_PROFILE_DIR", ""),
        help="record py-spy profiles (CPU, GIL held) of the web server at 32 clients, the worker and the "
        "waiting flip into this folder; needs py-spy in the virtualenv (BENCH_PROFILE_DIR)",
    )
    args = p.parse_args()
    if args.quick:
        args.duration = min(args.duration, 4.0)
        args.raw_duration = min(args.raw_duration, 3.0)
        args.warmup = min(args.warmup, 1.0)
        args.n = 200
        args.latency = 1.0
        args.waiters = min(args.waiters, 300)
    args.concurrency = [int(c) for c in str(args.concurrency).split(",") if c.strip()]
    return args


def sessions_needed(args: argparse.Namespace) -> dict[str, int]:
    """Fresh sessions a whole run may consume (each POST uses one): completed ones (generate-feedback,
    the waiting rounds, the worker, the overhead runs) and active ones (generate-question)."""
    per_http = api.sessions_per_step(args) * (2 if args.gunicorn else 1)
    per_post = 2 + len(args.concurrency) * (per_http + raw_limit.sessions_per_step(args))
    rest = waiting.ROUNDS * args.waiters + args.n + overhead.RUNS * args.overhead_n
    return {"sessions": per_post + rest, "question_sessions": per_post}


def main() -> int:
    args = parse_args()

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    # Both, explicitly: a shell starts background jobs with SIGINT ignored, and Python keeps that.
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    started = time.monotonic()
    stack = Stack(args)
    results: dict = {"steps": [], "config": {}}
    log(f"logs in {stack.log_dir}")
    try:
        stack.prepare_database()
        results["config"].update(stack.setup_django())
        results["pg_version"] = stack.pg_version()
        data = Data.seed(
            stack.db_url,
            users=args.users,
            dashboard_users=args.dashboard_users,
            dashboard_sessions=args.dashboard_sessions,
            **sessions_needed(args),
        )
        captured = raw_limit.capture(data)
        results["captured"] = captured.summary
        model = stack.start_model(args.latency)
        log(
            f"phase 1: every endpoint at {args.concurrency} clients, the dashboard at {list(DASHBOARD_CLIENTS)} "
            "(worker not running: messages accumulate)"
        )
        steps, operations = raw_limit.run(args, stack, data, captured)
        results["steps"] += steps
        results["steps"] += api.run(args, stack, data, operations, results["config"])
        log(f"phase 2: {args.waiters} long-polls on one uvicorn process")
        results["waiting"] = waiting.run(args, stack, data)
        log(
            f"phase 3: worker, {args.n} operations, model latency {args.latency:g}s, {args.worker_concurrency} "
            f"threads in {args.worker_processes} processes"
        )
        stack.flush_redis()  # the POST phase's messages: nobody consumes them
        workers = stack.start_workers(
            processes=args.worker_processes, concurrency=args.worker_concurrency, pool_size=args.worker_pool_size
        )
        try:
            results["worker"] = worker.run(args, stack, data, workers)
            results["overhead"] = overhead.run(args, stack, data)
        finally:
            for celery in workers:
                celery.stop(timeout=30)
        model.stop()
    except KeyboardInterrupt:
        log("interrupted: stopping every process")
        stack.stop_all()
        return 130
    finally:
        stack.stop_all()
    results["machine"] = report.machine()
    results["args"] = {k: v for k, v in vars(args).items()}
    results["total_s"] = time.monotonic() - started
    text = report.render(results, args)
    sys.stdout.write("\n" + text)
    report.write(results, text, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
