"""`make bench`: the service's measured speed on this machine, in one command.

Creates its own PostgreSQL database and uses a Redis database of its own, starts the stack
(the fake model server, the web process, later the Celery worker) as the README runs it,
drives it from a separate load-generating process (bench/load.py) on 127.0.0.1, measures the
raw limit of the same SQL and broker commands with no framework, and prints one table
(also written to bench/results/latest.md with the date, the machine and the commit).

Every duration is bounded; every process it starts is stopped on exit, Ctrl-C or error.
``python bench/run.py --help`` lists the knobs (each also an environment variable).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import ctypes
import datetime as dt
import http.client
import json
import os
import platform
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
BIN = Path(sys.executable).parent  # the virtualenv's bin (not resolved: bin/python is a symlink)
SECRET_KEY = "bench-only-not-a-secret-0123456789abcdef0123456789abcdef"

# Issue 7's targets on the 2-core development machine.
TARGETS = {
    "post_ratio": 0.70,
    "post_p99_ms_at_32": 50.0,
    "get_ratio": 0.15,
    "get_p99_ms_at_32": 30.0,
    "worker_ratio": 0.90,
    "worker_rss_mb": 512.0,
    "overhead_p99_ms": 50.0,
    "waiters": 1000,
    "wait_p99_ms": 200.0,
}


def log(message: str) -> None:
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


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
        default=env_default("BENCH_GUNICORN", True),
        help="also run the POST/GET steps on gunicorn config.wsgi -k gthread (BENCH_GUNICORN)",
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
        help="Celery worker threads (BENCH_WORKER_CONCURRENCY)",
    )
    add(
        "--worker-pool-size",
        type=int,
        default=env_default("BENCH_WORKER_POOL_SIZE", 40),
        help="DB_POOL_MAX_SIZE of the worker (BENCH_WORKER_POOL_SIZE)",
    )
    add(
        "--overhead-n",
        type=int,
        default=env_default("BENCH_OVERHEAD_N", 100),
        help="operations for the overhead step, one every 20 ms (BENCH_OVERHEAD_N)",
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
    add("--redis-db", type=int, default=env_default("BENCH_REDIS_DB", 13))
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


# Processes ----------------------------------------------------------------------------------


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM if the benchmark dies without cleaning up (e.g. SIGKILL).
    Also lifts the open-files limit to its hard maximum (1,000 waiters are 1,000 sockets)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Proc:
    running: list[Proc] = []

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_dir: Path, **popen) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self.log = self.log_path.open("ab")
        popen.setdefault("stdout", self.log)
        popen.setdefault("stderr", self.log)
        self.proc = subprocess.Popen(  # noqa: S603 - fixed argv from the virtualenv
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,
            **popen,
        )
        Proc.running.append(self)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 15.0) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        # Whatever the group left behind (uvicorn/gunicorn workers): gone with the group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        if self in Proc.running:
            Proc.running.remove(self)
        self.log.close()

    @classmethod
    def stop_all(cls) -> None:
        for proc in reversed(list(cls.running)):
            with contextlib.suppress(Exception):
                proc.stop(timeout=10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(port: int, path: str, timeout: float = 2.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def wait_http(proc: Proc, port: int, path: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited:\n{proc.output()[-3000:]}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if http_get(port, path)[0] == 200:
                return
        time.sleep(0.2)
    raise TimeoutError(f"{proc.name} not answering {path} after {timeout}s:\n{proc.output()[-3000:]}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children that were waited for (clock ticks -> s)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(pgid: int) -> float:
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid:  # field 5: pgrp
                total += sum(int(x) for x in fields[11:13]) / os.sysconf("SC_CLK_TCK")
    return total


def vm_hwm_mb(pid: int) -> float | None:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


class Profiler:
    """py-spy (CPU: samples of threads holding the GIL) on a process and its children, from
    construction to stop(); only with --profile-dir and py-spy in the virtualenv."""

    def __init__(self, directory: str, name: str, pid: int, log_dir: Path) -> None:
        self.proc = None
        spy = BIN / "py-spy"
        if not directory or not spy.exists():
            return
        Path(directory).mkdir(parents=True, exist_ok=True)
        argv = [str(spy), "record", "--nonblocking", "--gil", "--subprocesses", "-r", "100", "-f", "raw"]
        argv += ["-o", str(Path(directory) / f"{name}.txt"), "--pid", str(pid)]
        self.proc = Proc(f"py-spy-{name}", argv, dict(os.environ), log_dir)

    def stop(self) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.proc.proc.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.proc.wait(30)
        self.proc.stop()


class CpuMeter:
    """CPU seconds used during a step by the web server under test, by PostgreSQL's backends
    on the benchmark's database, and by *foreign* processes (neither the benchmark's nor
    PostgreSQL's/Redis's shared ones: e.g. someone's test suite) - the noise on the figures."""

    def __init__(self, db_name: str, web_pgid: int | None = None) -> None:
        self.db_marker = f" {db_name} "
        self.web_pgid = web_pgid
        self.before = self._snapshot()
        self.t0 = time.monotonic()

    def _snapshot(self) -> dict[int, tuple[str, float]]:
        ours = {os.getpgid(0), *(p.pid for p in Proc.running)}
        tick = os.sysconf("SC_CLK_TCK")
        snap = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            cpu = (int(fields[11]) + int(fields[12])) / tick
            pgid = int(fields[2])
            if self.web_pgid is not None and pgid == self.web_pgid:
                kind = "web"
            elif pgid in ours:
                kind = "ours"
            elif cmd.startswith("postgres:"):
                kind = (
                    "pg"
                    if self.db_marker in cmd
                    else ("foreign" if "127.0.0.1(" in cmd or "[local]" in cmd else "shared")
                )
            elif not cmd or cmd.startswith(("redis-server", "/usr/bin/redis-server")):
                kind = "shared"
            else:
                kind = "foreign"
            snap[int(entry.name)] = (kind, cpu)
        return snap

    def stop(self) -> dict[str, float]:
        after = self._snapshot()
        wall = time.monotonic() - self.t0
        used: dict = {"wall": wall, "web_by_pid": {}}
        for pid, (kind, cpu) in after.items():
            before = self.before.get(pid)
            delta = cpu - (before[1] if before and before[0] == kind else 0.0)
            used[kind] = used.get(kind, 0.0) + delta
            if kind == "web" and delta > 0.05:
                used["web_by_pid"][pid] = delta
        used["foreign_pct"] = used.get("foreign", 0.0) / (wall * (os.cpu_count() or 1)) * 100
        return used


# The environment the services run with ----------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.db_url = f"{args.pg.rstrip('/')}/{args.db_name}"
        self.redis_url = f"{args.redis.rstrip('/')}/{args.redis_db}"
        self.model_port = free_port()
        self.log_dir = Path(tempfile.mkdtemp(prefix="bench-logs-"))
        self.results: dict = {"steps": [], "config": {}}
        self.tokens: list[str] = []
        self.user_ids: list[str] = []
        self.user_index: dict[str, int] = {}
        self.sessions: list[tuple[str, int]] = []
        self.session_cursor = 0

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DB_", "CELERY_", "OPENAI_"))},
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DJANGO_SECRET_KEY": SECRET_KEY,
            "DJANGO_DEBUG": "false",
            "DJANGO_LOG_LEVEL": "WARNING",
            "DATABASE_URL": self.db_url,
            "CELERY_BROKER_URL": self.redis_url,
            "OPENAI_BASE_URL": f"http://127.0.0.1:{self.model_port}/v1",
            "OPENAI_API_KEY": "unused",
            # The bench measures the service, not its rate limits: every limit far above the load.
            "FEEDBACK_RATE_LIMIT": "1000000/hour",
            "LOGIN_RATE_LIMIT_PER_EMAIL": "1000000/hour",
            "LOGIN_RATE_LIMIT_PER_ADDRESS": "1000000/hour",
            "REGISTER_RATE_LIMIT_PER_ADDRESS": "1000000/hour",
            "JWT_ACCESS_TOKEN_MINUTES": "240",
            "CELERY_METRICS_PORT": "0",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        env.pop("CACHE_URL", None)  # local settings: the throttles count in process memory
        env.update(extra)
        return env

    # Setup --------------------------------------------------------------------------------

    def prepare_database(self) -> None:
        import psycopg
        import redis

        log(f"database {self.args.db_name}: drop, create, migrate")
        with psycopg.connect(f"{self.args.pg.rstrip('/')}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.args.db_name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{self.args.db_name}"')
        subprocess.run(  # noqa: S603
            [str(BIN / "python"), "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=self.env(),
            check=True,
        )
        redis.Redis.from_url(self.redis_url).flushdb()

    def setup_django(self) -> None:
        os.environ.update(self.env(DB_POOL_MAX_SIZE="16"))
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.conf import settings

        # Another engineer may add limits: every *RATE_LIMIT* setting must be overridden above.
        low = [
            name
            for name in dir(settings)
            if "RATE_LIMIT" in name and getattr(settings, name) not in ("", "1000000/hour")
        ]
        if low:
            log(f"WARNING: rate limit settings not raised by the bench: {low}")
        self.results["config"]["rate_limits"] = {n: getattr(settings, n) for n in dir(settings) if "RATE_LIMIT" in n}

    def seed(self, sessions: int) -> None:
        import psycopg

        users = self.args.users
        log(f"seeding {users} users, {sessions} completed sessions with a question and an answer each")
        t0 = time.monotonic()
        with psycopg.connect(self.db_url, autocommit=True) as conn:
            conn.execute(
                """
                INSERT INTO users (id, password, is_superuser, email, is_active, is_staff, created_at)
                SELECT gen_random_uuid(), '!bench', false, 'bench-' || i || '@example.com', true, false, now()
                FROM generate_series(0, %s - 1) i
                """,
                [users],
            )
            conn.execute(
                """
                CREATE TEMP TABLE bench_users AS
                SELECT id, (substring(email FROM 'bench-([0-9]+)@'))::int AS n FROM users
                """
            )
            conn.execute(
                """
                INSERT INTO job_postings (id, user_id, title, company, description, experience_level,
                                          tech_stack, created_at, updated_at)
                SELECT gen_random_uuid(), id, 'Backend engineer', 'Bench Inc',
                       'Build and run reliable HTTP APIs on PostgreSQL and Redis.', 'senior',
                       '["Python", "Django", "PostgreSQL"]'::jsonb, now(), now()
                FROM bench_users
                """
            )
            conn.execute(
                """
                INSERT INTO resumes (id, user_id, content, created_at, updated_at)
                SELECT gen_random_uuid(), id, 'Ten years of Python back ends; payments, queues, on-call.', now(), now()
                FROM bench_users
                """
            )
            conn.execute(
                """
                INSERT INTO interview_sessions (id, user_id, job_posting_id, status, current_question_number,
                                                created_at, updated_at, completed_at)
                SELECT gen_random_uuid(), u.id, j.id, 'completed', 1, t, t, t
                FROM generate_series(0, %s - 1) s
                JOIN bench_users u ON u.n = s %% %s
                JOIN job_postings j ON j.user_id = u.id
                CROSS JOIN LATERAL (SELECT now() - interval '1 day' + s * interval '1 microsecond' AS t) ts
                """,
                [sessions, users],
            )
            conn.execute(
                """
                INSERT INTO session_messages (id, session_id, message_type, content, question_type, is_open,
                                              created_at)
                SELECT gen_random_uuid(), id, 'question', 'How do you make a POST endpoint idempotent?',
                       'technical', false, created_at
                FROM interview_sessions
                """
            )
            conn.execute(
                """
                INSERT INTO session_messages (id, session_id, message_type, content, question_type, is_open,
                                              created_at)
                SELECT gen_random_uuid(), id, 'answer',
                       'With an idempotency key stored under a unique constraint, checked in the same '
                       || 'transaction as the write. [bench:' || id || ']', NULL, false,
                       created_at + interval '1 second'
                FROM interview_sessions
                """
            )
            conn.execute("ANALYZE")
            rows = conn.execute("SELECT id::text, n FROM bench_users ORDER BY n").fetchall()
            self.user_ids = [r[0] for r in rows]
            self.user_index = {uid: i for i, uid in enumerate(self.user_ids)}
            self.sessions = [
                (r[0], self.user_index[r[1]])
                for r in conn.execute("SELECT id::text, user_id::text FROM interview_sessions ORDER BY created_at")
            ]
        from rest_framework_simplejwt.tokens import AccessToken

        from accounts.models import User

        by_id = {str(u.id): u for u in User.objects.filter(email__startswith="bench-")}
        self.tokens = [str(AccessToken.for_user(by_id[uid])) for uid in self.user_ids]
        log(f"seeded in {time.monotonic() - t0:.1f}s")

    def take_sessions(self, count: int) -> list[tuple[str, int]]:
        chunk = self.sessions[self.session_cursor : self.session_cursor + count]
        self.session_cursor += len(chunk)
        if len(chunk) < count:
            log(f"WARNING: only {len(chunk)} fresh sessions left of {count} wanted")
        return chunk

    # Capturing what one POST and one GET send to PostgreSQL and Redis -------------------------

    def capture(self) -> None:
        """Run one POST and one GET through Django in this process and record, exactly, the SQL
        (statement text and parameters) and the Redis commands they issue, for the raw loops."""
        import redis
        from django.db import connection
        from django.test import Client

        recorded_redis: list[dict] = []
        recording = threading.Event()
        original_execute = redis.Redis.execute_command
        original_pipeline = redis.client.Pipeline.execute

        def encode(arg):
            if isinstance(arg, bytes):
                return {"b64": base64.b64encode(arg).decode()}
            return str(arg)

        def execute_command(client, *cmd, **options):
            if recording.is_set():
                recorded_redis.append({"pipeline": False, "commands": [[encode(a) for a in cmd]]})
            return original_execute(client, *cmd, **options)

        def pipeline_execute(pipe, *a, **kw):
            if recording.is_set():
                commands = [[encode(x) for x in args] for args, _options in pipe.command_stack]
                recorded_redis.append({"pipeline": True, "transaction": pipe.transaction, "commands": commands})
            return original_pipeline(pipe, *a, **kw)

        statements: list[dict] = []

        def sql_wrapper(execute, sql, params, many, context):
            statements.append({"sql": sql, "params": list(params or ()), "atomic": connection.in_atomic_block})
            return execute(sql, params, many, context)

        (warm_sid, warm_user), (sid, user_n) = self.take_sessions(2)
        client = Client(SERVER_NAME="127.0.0.1")

        def post(session_id, user_n):
            return client.post(
                f"/api/v1/sessions/{session_id}/generate-feedback",
                HTTP_AUTHORIZATION=f"Bearer {self.tokens[user_n]}",
                content_type="application/json",
            )

        redis.Redis.execute_command = execute_command
        redis.client.Pipeline.execute = pipeline_execute
        try:
            warm = post(warm_sid, warm_user)  # connections, queue declaration: not per request
            assert warm.status_code == 202, warm.content
            recording.set()
            with connection.execute_wrapper(sql_wrapper):
                response = post(sid, user_n)
            recording.clear()
            assert response.status_code == 202, response.content
            op_id = response.json()["id"]
            post_sql, statements = statements, []
            client.get(f"/api/v1/operations/{warm.json()['id']}", HTTP_AUTHORIZATION=f"Bearer {self.tokens[warm_user]}")
            with connection.execute_wrapper(sql_wrapper):
                response = client.get(f"/api/v1/operations/{op_id}", HTTP_AUTHORIZATION=f"Bearer {self.tokens[user_n]}")
            assert response.status_code == 200, response.content
            get_sql = statements
        finally:
            redis.Redis.execute_command = original_execute
            redis.client.Pipeline.execute = original_pipeline

        user_id = self.user_ids[user_n]
        self.raw_post = {
            "statements": [self._template(s, {user_id: "user", sid: "object", op_id: "new_id"}) for s in post_sql],
            "redis": recorded_redis,
        }
        self.raw_get = {"statements": [self._template(s, {user_id: "user", op_id: "object"}) for s in get_sql]}
        self.results["captured"] = {
            "post_sql": [s["sql"] for s in post_sql],
            "post_atomic": [s["atomic"] for s in post_sql],
            "post_redis": [
                " ".join(
                    (c[0] if isinstance(c[0], str) else "?")
                    + ("" if len(c) < 2 else " " + (c[1] if isinstance(c[1], str) else "<bytes>"))
                    for c in r["commands"]
                )
                + (" (pipeline)" if r["pipeline"] else "")
                for r in recorded_redis
            ],
            "get_sql": [s["sql"] for s in get_sql],
        }
        log(
            f"captured: POST = {len(post_sql)} SQL statements + {len(recorded_redis)} Redis round trips; "
            f"GET = {len(get_sql)} SQL statements"
        )

    @staticmethod
    def _template(statement: dict, names: dict[str, str]) -> dict:
        from psycopg.types.json import Jsonb

        params = []
        for value in statement["params"]:
            if isinstance(value, uuid.UUID | str) and str(value) in names:
                params.append({"t": names[str(value)]})
            elif isinstance(value, dt.datetime):
                params.append({"t": "now"})
            elif isinstance(value, uuid.UUID):
                params.append({"t": "const", "type": "uuid", "v": str(value)})
            elif isinstance(value, Jsonb):  # a JSONField's value (Django wraps it for psycopg)
                params.append({"t": "const", "type": "jsonb", "v": value.obj})
            elif value is None or isinstance(value, bool | int | float | str):
                params.append({"t": "const", "v": value})
            else:
                raise TypeError(f"cannot replay a parameter of type {type(value).__name__}: {statement['sql']}")
        return {"sql": statement["sql"], "params": params, "atomic": statement["atomic"]}

    # Steps ----------------------------------------------------------------------------------

    def run_load(self, spec: dict, timeout: float) -> dict:
        with tempfile.NamedTemporaryFile("w", suffix=".json", dir=self.log_dir, delete=False) as f:
            json.dump(spec, f)
        proc = Proc(
            f"load-{spec['mode']}-{len(Proc.running)}-{time.monotonic_ns()}",
            [str(BIN / "python"), str(BENCH / "load.py"), f.name],
            self.env(),
            self.log_dir,
            stdout=subprocess.PIPE,
        )
        try:
            out, _ = proc.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.stop()
            raise
        proc.stop()
        if proc.proc.returncode != 0:
            raise RuntimeError(f"load generator failed ({proc.proc.returncode}):\n{proc.output()[-3000:]}")
        return json.loads(out.decode().strip().splitlines()[-1])

    def http_step(self, *, server: str, web: Proc, port: int, endpoint: str, concurrency: int, items) -> dict:
        a = self.args
        post = endpoint == "POST"
        spec = {
            "mode": "http",
            "host": "127.0.0.1",
            "port": port,
            "method": "POST" if post else "GET",
            "expect_status": 202 if post else 200,
            "path_template": "/api/v1/sessions/{id}/generate-feedback" if post else "/api/v1/operations/{id}",
            "tokens": self.tokens,
            "items": items,
            "concurrency": concurrency,
            "warmup": a.warmup,
            "duration": a.duration,
        }
        meter = CpuMeter(self.args.db_name, web.pid)
        profiler = None
        if concurrency == 32 or (32 not in a.concurrency and concurrency == max(a.concurrency)):
            name = f"{server.split()[0]}-{endpoint}-{concurrency}"
            profiler = Profiler(a.profile_dir, name, web.pid, self.log_dir)
        result = self.run_load(spec, timeout=a.warmup + a.duration + 60)
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
        self._print_step(result)
        self.results["steps"].append(result)
        return result

    def raw_step(self, *, endpoint: str, concurrency: int, items) -> dict:
        a = self.args
        capture = self.raw_post if endpoint == "POST" else self.raw_get
        spec = {
            "mode": "raw-post" if endpoint == "POST" else "raw-get",
            "conninfo": self.db_url,
            "redis_url": self.redis_url,
            "statements": capture["statements"],
            "redis": capture.get("redis", []),
            "user_ids": self.user_ids,
            "items": items,
            "concurrency": concurrency,
            "warmup": min(a.warmup, 1.0),
            "duration": a.raw_duration,
        }
        meter = CpuMeter(self.args.db_name)
        result = self.run_load(spec, timeout=a.warmup + a.raw_duration + 60)
        cpu = meter.stop()
        result.update(
            kind="raw",
            server="psycopg+redis",
            endpoint=endpoint,
            concurrency=concurrency,
            foreign_cpu_pct=cpu["foreign_pct"],
        )
        self._print_step(result)
        self.results["steps"].append(result)
        return result

    @staticmethod
    def _print_step(r: dict) -> None:
        p = [r.get(k) for k in ("p50_ms", "p95_ms", "p99_ms")]
        pct = "/".join("-" if v is None else f"{v:.1f}" for v in p)
        extra = " (ran out of sessions)" if r.get("exhausted") else ""
        if "web_cpu_ms" in r:
            extra += (
                f"  CPU/req: web {r['web_cpu_ms']:.1f} ms, PostgreSQL {r['pg_cpu_ms']:.1f} ms, "
                f"load generator {r['client_cpu_ms']:.2f} ms; web processes' shares "
                + "/".join(f"{x * 100:.0f}" for x in r["web_split"])
                + " %"
            )
        extra += f"  [foreign CPU {r['foreign_cpu_pct']:.0f} %]"
        log(
            f"  {r['kind']:<4} {r['server']:<14} {r['endpoint']:<4} c={r['concurrency']:<3} "
            f"{r['throughput']:8.1f} req/s  p50/p95/p99 {pct} ms  errors {r['errors']}{extra}"
        )
        for sample in r.get("error_samples") or []:
            log(f"     error: {sample}")

    # The stack --------------------------------------------------------------------------------

    def start_model(self, latency: float) -> Proc:
        proc = Proc(
            "fake-model",
            [
                str(BIN / "python"),
                str(BENCH / "fake_model.py"),
                "--port",
                str(self.model_port),
                "--latency",
                str(latency),
            ],
            self.env(),
            self.log_dir,
        )
        wait_http(proc, self.model_port, "/_bench/answered", timeout=20)
        return proc

    def start_uvicorn(self, workers: int) -> tuple[Proc, int]:
        port = free_port()
        argv = [str(BIN / "uvicorn"), "config.asgi:application", "--host", "127.0.0.1", "--port", str(port)]
        argv += ["--workers", str(workers), "--log-level", "warning", "--timeout-graceful-shutdown", "3"]
        proc = Proc(f"uvicorn-{workers}w-{port}", argv, self.env(), self.log_dir)
        wait_http(proc, port, "/healthz")
        self._warm_workers(port, workers)
        return proc, port

    def start_gunicorn(self, workers: int, threads: int) -> tuple[Proc, int]:
        port = free_port()
        argv = [str(BIN / "gunicorn"), "config.wsgi", "-k", "gthread", "--workers", str(workers)]
        argv += ["--threads", str(threads), "--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
        proc = Proc(f"gunicorn-{workers}w{threads}t-{port}", argv, self.env(), self.log_dir)
        wait_http(proc, port, "/healthz")
        self._warm_workers(port, workers)
        return proc, port

    @staticmethod
    def _warm_workers(port: int, workers: int) -> None:
        # Every worker process imports lazily on its first requests; not part of any step.
        for _ in range(20 * workers):
            http_get(port, "/readyz", timeout=10)

    def wait_idle(self, proc: Proc, *, quiet_s: float = 1.0, timeout: float = 30.0) -> None:
        """Until the process group used (almost) no CPU for ``quiet_s`` seconds."""
        deadline = time.monotonic() + timeout
        last, quiet_since = group_cpu_seconds(proc.pid), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.2)
            now_cpu = group_cpu_seconds(proc.pid)
            if now_cpu - last > 0.01:  # > 5 % of a core over 200 ms
                quiet_since = time.monotonic()
            last = now_cpu
            if time.monotonic() - quiet_since >= quiet_s:
                return
        log("WARNING: the web process did not go idle")

    # Phase: POST and GET ------------------------------------------------------------------------

    def phase_api(self) -> None:
        a = self.args
        per_http = int(a.max_rate * (a.warmup + a.duration + 1))
        per_raw = int(a.max_raw_rate * (min(a.warmup, 1.0) + a.raw_duration + 1))
        # The raw loops first, with no web server holding pooled connections: 64 clients
        # need 64 of PostgreSQL's max_connections (100 here).
        for c in a.concurrency:
            self.raw_step(endpoint="POST", concurrency=c, items=self.take_sessions(per_raw))
        # Pending operations (the raw POSTs' rows are real rows) to read, by their owners.
        self.operations = self._pending_operations(limit=20000)
        for c in a.concurrency:
            self.raw_step(endpoint="GET", concurrency=c, items=self.operations)

        servers = [("uvicorn", f"uvicorn {a.web_workers}w")]
        if a.gunicorn:
            servers.append(("gunicorn", f"gunicorn {a.web_workers}w×{a.gunicorn_threads}t"))
        for kind, name in servers:
            if kind == "uvicorn":
                web, port = self.start_uvicorn(a.web_workers)
            else:
                web, port = self.start_gunicorn(a.web_workers, a.gunicorn_threads)
            command = " ".join(Path(x).name if i == 0 else x for i, x in enumerate(web.proc.args))
            self.results["config"][kind] = re.sub(r"(--port |127\.0\.0\.1:)\d+", r"\g<1>PORT", command)
            try:
                for c in a.concurrency:
                    items = self.take_sessions(per_http)
                    self.http_step(server=name, web=web, port=port, endpoint="POST", concurrency=c, items=items)
                for c in a.concurrency:
                    self.http_step(
                        server=name, web=web, port=port, endpoint="GET", concurrency=c, items=self.operations
                    )
            finally:
                web.stop()

    def _pending_operations(self, limit: int) -> list[tuple[str, int]]:
        from operations.models import Operation

        rows = Operation.objects.filter(status="pending").values_list("id", "user_id")[:limit]
        return [(str(op), self.user_index[str(user)]) for op, user in rows]

    # Phase: waiting ------------------------------------------------------------------------------

    def phase_waiting(self) -> None:
        """Two rounds on a fresh one-process uvicorn each: all changes at once (a burst, the worst
        case), then paced at the rate one worker at its ideal claims (concurrency / L)."""
        a = self.args
        rate = a.worker_concurrency / a.latency
        self.results["waiting"] = self._waiting_round("burst", rate=None)
        self.results["waiting_paced"] = self._waiting_round(f"paced at {rate:g}/s", rate=rate)

    def _waiting_round(self, label: str, rate: float | None) -> dict:
        from django.db import connection, transaction
        from django.db.models import F
        from django.db.models.functions import Coalesce
        from django.utils import timezone
        from load import percentile  # bench/ is on sys.path (this script's folder)

        from operations.models import Operation
        from operations.notify import notify_status

        a = self.args
        count = a.waiters
        sessions = self.take_sessions(count)
        ops = self._create_pending(sessions)
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

        web, port = self.start_uvicorn(1)
        try:
            spec = {
                "mode": "wait",
                "host": "127.0.0.1",
                "port": port,
                "tokens": self.tokens,
                "items": [(op, user) for op, (_sid, user) in zip(ops, sessions, strict=True)],
                "wait": 30,
            }
            with tempfile.NamedTemporaryFile("w", suffix=".json", dir=self.log_dir, delete=False) as f:
                json.dump(spec, f)
            load = Proc(
                "load-wait",
                [str(BIN / "python"), str(BENCH / "load.py"), f.name],
                self.env(),
                self.log_dir,
                stdout=subprocess.PIPE,
            )
            try:
                line = load.proc.stdout.readline().decode().strip()
                if line != "SENT":
                    raise RuntimeError(f"wait load: {line!r}\n{load.output()[-2000:]}")
                # Every long-poll must have read its operation (pending) before the flip, or it
                # would wait for the next change instead: wait until the web process is idle.
                self.wait_idle(web, quiet_s=1.0, timeout=30)
                web_cpu_before = group_cpu_seconds(web.pid)
                meter = CpuMeter(a.db_name, web.pid)
                profiler = Profiler(a.profile_dir, f"waiting-{label.split()[0]}", web.pid, self.log_dir)
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
            web_rss = vm_hwm_mb(self._child_pid(web) or web.pid)
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
            f"delay p50/p95/p99 {_fmt(wait['p50_ms'])}/{_fmt(wait['p95_ms'])}/{_fmt(wait['p99_ms'])} ms; "
            f"web CPU {web_cpu / max(1, updated) * 1000:.1f} ms per waiter; other {other} "
            f"[foreign CPU {foreign_pct:.0f} %]"
        )
        return wait

    @staticmethod
    def _child_pid(proc: Proc) -> int | None:
        with contextlib.suppress(OSError):
            children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
            if children:
                return int(children[0])
        return None

    def _create_pending(self, sessions) -> list[str]:
        """Pending feedback operations for these sessions, as the POST creates them (no publish)."""
        from django.utils import timezone

        from operations.models import Operation

        now = timezone.now()
        ops = [
            Operation(
                user_id=self.user_ids[user],
                session_id=sid,
                operation_type="feedback_analysis",
                created_at=now,
                dispatched_at=now,
            )
            for sid, user in sessions
        ]
        Operation.objects.bulk_create(ops, batch_size=1000)
        return [str(op.id) for op in ops]

    # Phase: worker and overhead ------------------------------------------------------------------

    def phase_worker(self) -> None:
        import redis

        from interviews.models import InterviewSession
        from operations.models import Operation
        from operations.services import operation_enqueue, operation_get_or_create_inflight

        a = self.args
        redis.Redis.from_url(self.redis_url).flushdb()  # the POST phase's messages: nobody consumes them
        name = f"bench-{os.getpid()}"
        env = self.env(
            CELERY_WORKER_CONCURRENCY=str(a.worker_concurrency),
            DB_POOL_MAX_SIZE=str(a.worker_pool_size),
        )
        worker = Proc(
            "worker",
            [str(BIN / "celery"), "-A", "config", "worker", "-l", "WARNING", "-n", f"{name}@%h"],
            env,
            self.log_dir,
        )
        try:
            self._wait_worker(worker, name)
            # 1. Throughput: N operations enqueued at once.
            sessions = self.take_sessions(a.n)
            meter = CpuMeter(a.db_name)
            worker_cpu0 = cpu_seconds(worker.pid)
            profiler = Profiler(a.profile_dir, "worker", worker.pid, self.log_dir)
            t0 = time.monotonic()
            ops = self._create_pending(sessions)
            rows = Operation.objects.in_bulk(ops)
            for op_id in ops:
                operation_enqueue(operation=rows[uuid.UUID(op_id)])
            publish_s = time.monotonic() - t0
            ideal = min(a.worker_concurrency, a.n) / a.latency
            deadline = time.monotonic() + a.n / ideal * 3 + 60
            self._wait_finished(ops, deadline)
            worker_cpu = cpu_seconds(worker.pid) - worker_cpu0
            cpu = meter.stop()
            profiler.stop()
            in_flight = json.loads(http_get(self.model_port, "/_bench/answered", timeout=10)[1])["_max_in_flight"]
            stats = self._operation_stats(ops)
            window = (stats["last_finished"] - stats["first_created"]).total_seconds()
            throughput = stats["completed"] / window if window > 0 else 0.0
            worker_pid = worker.pid
            self.results["worker"] = {
                "n": a.n,
                "latency_s": a.latency,
                "concurrency": a.worker_concurrency,
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
                "peak_rss_mb": vm_hwm_mb(worker_pid),
                "worker_cpu_s": worker_cpu,
                "worker_cores": worker_cpu / max(window, 1e-9),
                "model_max_in_flight": in_flight,
                "pg_cpu_s": cpu.get("pg", 0.0),
                "foreign_cpu_pct": cpu["foreign_pct"],
                "pool_timeouts": worker.output().count("PoolTimeout")
                + worker.output().count("couldn't get a connection"),
                "worker_errors": sum(
                    1 for line in worker.output().splitlines() if " ERROR " in line or "Traceback" in line
                ),
            }
            w = self.results["worker"]
            log(
                f"  worker: {w['completed']}/{a.n} completed in {window:.2f}s = {throughput:.1f}/s "
                f"({w['ratio'] * 100:.0f} % of {ideal:.0f}/s); peak RSS {w['peak_rss_mb']:.0f} MB; "
                f"failed {w['failed']}, unfinished {w['unfinished']}, pool timeouts {w['pool_timeouts']}; "
                f"worker CPU {w['worker_cores']:.2f} cores; model calls in flight at most {in_flight}; "
                f"[foreign CPU {w['foreign_cpu_pct']:.0f} %]"
            )
            # 2. Overhead, worker not saturated: one operation every 20 ms through the POST's service.
            sessions = {
                s.pk: s
                for s in InterviewSession.objects.select_related("user").filter(
                    pk__in=[sid for sid, _ in self.take_sessions(a.overhead_n)]
                )
            }
            ops = []
            for session in sessions.values():
                op, _created = operation_get_or_create_inflight(
                    user=session.user, session=session, operation_type="feedback_analysis"
                )
                ops.append(str(op.id))
                time.sleep(0.02)
            self._wait_finished(ops, time.monotonic() + a.latency * 3 + 60)
            self.results["overhead"] = self._overhead(ops)
            o = self.results["overhead"]
            log(
                f"  overhead ({len(ops)} ops): created->claimed p50/p99 {_fmt(o['claim_p50_ms'])}/"
                f"{_fmt(o['claim_p99_ms'])} ms; model answered->committed p50/p99 {_fmt(o['store_p50_ms'])}/"
                f"{_fmt(o['store_p99_ms'])} ms"
            )
        finally:
            worker.stop(timeout=30)

    def _wait_worker(self, worker: Proc, name: str) -> None:
        from config.celery import app

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if not worker.alive():
                raise RuntimeError(f"worker exited:\n{worker.output()[-3000:]}")
            if app.control.ping(destination=[f"{name}@{socket.gethostname()}"], timeout=0.5):
                return
        raise TimeoutError(f"worker not ready:\n{worker.output()[-3000:]}")

    def _wait_finished(self, ops: list[str], deadline: float) -> None:
        from operations.models import Operation

        while time.monotonic() < deadline:
            left = Operation.objects.filter(pk__in=ops, status__in=["pending", "processing"]).count()
            if not left:
                return
            time.sleep(0.25)
        log("WARNING: operations still unfinished at the deadline")

    def _operation_stats(self, ops: list[str]) -> dict:
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

    def _overhead(self, ops: list[str]) -> dict:
        from load import percentile

        from operations.models import Operation

        answered = json.loads(http_get(self.model_port, "/_bench/answered", timeout=10)[1])
        claim, store, store_by_latency = [], [], []
        for op in Operation.objects.filter(pk__in=ops, status="completed"):
            claim.append((op.started_at - op.created_at).total_seconds() * 1000)
            t_answer = answered.get(str(op.session_id))
            if t_answer is not None:
                store.append(op.finished_at.timestamp() * 1000 - t_answer * 1000)
            if op.model_latency_ms is not None:
                total = (op.finished_at - op.started_at).total_seconds() * 1000
                store_by_latency.append(total - op.model_latency_ms)
        claim.sort()
        store.sort()
        store_by_latency.sort()
        return {
            "n": len(ops),
            "completed": len(claim),
            "claim_p50_ms": percentile(claim, 0.5),
            "claim_p99_ms": percentile(claim, 0.99),
            "store_p50_ms": percentile(store, 0.5),
            "store_p99_ms": percentile(store, 0.99),
            "pre_and_post_model_p50_ms": percentile(store_by_latency, 0.5),
            "pre_and_post_model_p99_ms": percentile(store_by_latency, 0.99),
            "mean_claim_ms": statistics.fmean(claim) if claim else None,
        }


def _fmt(value, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


# The report ------------------------------------------------------------------------------------


def machine() -> dict:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_gb = None
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = int(line.split()[1]) / 1024 / 1024
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": round(mem_gb, 1) if mem_gb else None,
        "commit": commit + (" (+ uncommitted changes)" if dirty else ""),
        "python": platform.python_version(),
    }


def render(results: dict, args: argparse.Namespace) -> str:
    m = results["machine"]
    steps = results["steps"]
    raw = {(s["endpoint"], s["concurrency"]): s for s in steps if s["kind"] == "raw"}
    lines = [
        f"Date: {m['date']}; machine: {m['nproc']} cores ({m['cpu']}), {m['ram_gb']} GB RAM; "
        f"commit {m['commit']}; PostgreSQL {results.get('pg_version', '?')}; Python {m['python']}.",
        "",
        "| endpoint | server | clients | req/s | p50 ms | p95 ms | p99 ms | errors | raw limit req/s | of raw "
        "| web CPU ms/req | busiest web process | other load |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    order = {"POST": 0, "GET": 1}
    http_steps = sorted(
        (s for s in steps if s["kind"] == "http"), key=lambda s: (order[s["endpoint"]], s["server"], s["concurrency"])
    )
    path = {"POST": "POST /sessions/{id}/generate-feedback", "GET": "GET /operations/{id}"}
    for s in http_steps:
        r = raw.get((s["endpoint"], s["concurrency"]))
        ratio = f"{s['throughput'] / r['throughput'] * 100:.0f} %" if r and r["throughput"] else "-"
        lines.append(
            f"| {path[s['endpoint']]} | {s['server']} | {s['concurrency']} | {s['throughput']:.0f} | "
            f"{_fmt(s['p50_ms'])} | {_fmt(s['p95_ms'])} | {_fmt(s['p99_ms'])} | {s['errors']} | "
            f"{_fmt(r['throughput'], 0) if r else '-'} | {ratio} | {_fmt(s.get('web_cpu_ms'))} | "
            f"{s['web_split'][0] * 100:.0f} % | {_fmt(s.get('foreign_cpu_pct'), 0)} % |"
        )
    for s in sorted(raw.values(), key=lambda s: (order[s["endpoint"]], s["concurrency"])):
        lines.append(
            f"| raw limit: {s['endpoint']}'s SQL{' + Redis publish' if s['endpoint'] == 'POST' else ''} | "
            f"psycopg (+ redis-py) | {s['concurrency']} | {s['throughput']:.0f} | {_fmt(s['p50_ms'])} | "
            f"{_fmt(s['p95_ms'])} | {_fmt(s['p99_ms'])} | {s['errors']} | | | | | "
            f"{_fmt(s.get('foreign_cpu_pct'), 0)} % |"
        )
    lines += [
        "",
        "Closed loops: each client sends its next request when the previous answer arrives (so latency ≈ "
        "clients / throughput). *raw limit*: the same SQL statements, transaction and Redis commands as the "
        "endpoint (captured from a real request), one psycopg connection per client, no framework. *web CPU*: "
        "CPU seconds of the web server's processes per request. *busiest web process*: its share of the web "
        "server's CPU (the kernel hands each keep-alive connection to one process; 100 % means one process served "
        "every client while the other idled). *other load*: CPU used meanwhile by processes "
        "that are not the benchmark's (e.g. another test suite), as a share of the machine: figures taken "
        "under high other load are pessimistic.",
    ]
    w = results.get("worker")
    if w:
        lines += [
            "",
            "| worker | value |",
            "| --- | --- |",
            f"| operations, model latency, threads | {w['n']}, {w['latency_s']:g} s, {w['concurrency']} "
            f"(DB pool {w['pool_max_size']}) |",
            f"| completion throughput | {w['throughput']:.1f} /s over {w['window_s']:.2f} s = "
            f"{w['ratio'] * 100:.0f} % of the ideal {w['ideal']:.0f} /s (concurrency / L) |",
            f"| peak RSS (VmHWM) | {_fmt(w['peak_rss_mb'], 0)} MB |",
            f"| worker CPU; model calls in flight at most | {w['worker_cores']:.2f} cores "
            f"({w['worker_cpu_s']:.1f} s); {w['model_max_in_flight']} |",
            f"| other load on the machine meanwhile | {w['foreign_cpu_pct']:.0f} % |",
            f"| completed / failed / unfinished | {w['completed']} / {w['failed']} / {w['unfinished']} "
            f"{w['error_codes'] or ''} |",
            f"| DB pool timeouts, error lines in the worker log | {w['pool_timeouts']}, {w['worker_errors']} |",
        ]
    o = results.get("overhead")
    if o:
        lines += [
            f"| overhead ({o['n']} ops, one per 20 ms): created → claimed p50 / p99 | "
            f"{_fmt(o['claim_p50_ms'])} / {_fmt(o['claim_p99_ms'])} ms |",
            f"| overhead: model answered → feedback committed p50 / p99 | "
            f"{_fmt(o['store_p50_ms'])} / {_fmt(o['store_p99_ms'])} ms |",
            f"| (claimed → committed minus model latency, p50 / p99) | "
            f"{_fmt(o['pre_and_post_model_p50_ms'])} / {_fmt(o['pre_and_post_model_p99_ms'])} ms |",
        ]
    rounds = [r for r in (results.get("waiting"), results.get("waiting_paced")) if r]
    if rounds:

        def row(title: str, cell) -> str:
            return f"| {title} | " + " | ".join(cell(r) for r in rounds) + " |"

        lines += [
            "",
            "| waiting: long-polls `?wait=30` on one uvicorn process | "
            + " | ".join(f"status changes {r['label']}" for r in rounds)
            + " |",
            "| --- |" + " --- |" * len(rounds),
            row("waiters held / got the change", lambda r: f"{r['connected']} / {r['updated']}"),
            row(
                "change committed → client has the answer, p50 / p95 / p99 / max",
                lambda r: f"{_fmt(r['p50_ms'])} / {_fmt(r['p95_ms'])} / {_fmt(r['p99_ms'])} / {_fmt(r['max_ms'])} ms",
            ),
            row("time to commit all the changes", lambda r: f"{r['flip_s'] * 1000:.0f} ms"),
            row(
                "web CPU meanwhile (per waiter woken)",
                lambda r: (
                    f"{r['web_cpu_s_after_flip']:.2f} s "
                    f"({r['web_cpu_s_after_flip'] / max(1, r['updated']) * 1000:.1f} ms)"
                ),
            ),
            row("web peak RSS", lambda r: f"{_fmt(r['web_peak_rss_mb'], 0)} MB"),
            row("other load on the machine", lambda r: f"{r['foreign_cpu_pct']:.0f} %"),
        ]
    lines += ["", "Targets (issue 7):", "", *[f"- {t}" for t in verdicts(results)]]
    return "\n".join(lines) + "\n"


def verdicts(results: dict) -> list[str]:
    t = TARGETS
    steps = results["steps"]
    raw = {(s["endpoint"], s["concurrency"]): s for s in steps if s["kind"] == "raw"}
    out = []

    def mark(ok: bool) -> str:
        return "**met**" if ok else "**missed**"

    for endpoint, key_ratio, target_p99 in (
        ("POST", "post_ratio", t["post_p99_ms_at_32"]),
        ("GET", "get_ratio", t["get_p99_ms_at_32"]),
    ):
        servers = sorted({s["server"] for s in steps if s["kind"] == "http" and s["endpoint"] == endpoint})
        for server in servers:
            mine = sorted(
                (s for s in steps if s["kind"] == "http" and s["endpoint"] == endpoint and s["server"] == server),
                key=lambda s: s["concurrency"],
            )
            parts = []
            ratios = [
                (s["concurrency"], s["throughput"] / raw[(endpoint, s["concurrency"])]["throughput"])
                for s in mine
                if raw.get((endpoint, s["concurrency"])) and raw[(endpoint, s["concurrency"])]["throughput"]
            ]
            if ratios:
                short = [t[key_ratio] - r for _c, r in ratios if r < t[key_ratio]]
                text = " / ".join(f"{r * 100:.0f}" for _c, r in ratios)
                clients = " / ".join(str(c) for c, _r in ratios)
                parts.append(
                    f"{text} % of the raw limit at {clients} clients (target ≥ {t[key_ratio] * 100:.0f} %): "
                    + (mark(True) if not short else f"{mark(False)} by up to {max(short) * 100:.0f} points")
                )
            at32 = next((s for s in mine if s["concurrency"] == 32), None)
            if at32 and at32["p99_ms"] is not None:
                ok = at32["p99_ms"] <= target_p99
                raw32 = raw.get((endpoint, 32))
                parts.append(
                    f"p99 at 32 clients {at32['p99_ms']:.0f} ms (target ≤ {target_p99:.0f} ms"
                    + (f"; the raw loop's own p99 there: {raw32['p99_ms']:.0f} ms" if raw32 else "")
                    + f"): {mark(ok)}"
                    + ("" if ok else f" by {at32['p99_ms'] - target_p99:.0f} ms")
                )
            if endpoint == "POST":
                errors = sum(s["errors"] for s in mine)
                parts.append(f"{errors} errors (target 0): {mark(errors == 0)}")
            out.append(f"{endpoint} on {server}: " + "; ".join(parts) + ".")
    w = results.get("worker")
    if w:
        ok = w["ratio"] >= t["worker_ratio"]
        rss = w["peak_rss_mb"] or 0
        out.append(
            f"Worker: {w['ratio'] * 100:.0f} % of concurrency / L with {w['concurrency']} analyses in flight "
            f"(target ≥ 90 %): {mark(ok)}"
            + ("" if ok else f" by {(t['worker_ratio'] - w['ratio']) * 100:.0f} points")
            + f"; peak RSS {rss:.0f} MB (target ≤ 512 MB): {mark(rss <= t['worker_rss_mb'])}."
        )
    o = results.get("overhead")
    if o:
        parts = []
        for label, key in (("created → claimed", "claim_p99_ms"), ("model answered → committed", "store_p99_ms")):
            v = o[key]
            ok = v is not None and v <= t["overhead_p99_ms"]
            parts.append(
                f"{label} p99 {_fmt(v)} ms: {mark(ok)}"
                + ("" if ok or v is None else f" by {v - t['overhead_p99_ms']:.1f} ms")
            )
        out.append("Overhead (target p99 ≤ 50 ms each, worker not saturated): " + "; ".join(parts) + ".")
    for wt in (results.get("waiting"), results.get("waiting_paced")):
        if not wt:
            continue
        ok = wt["updated"] >= t["waiters"] and wt["p99_ms"] is not None and wt["p99_ms"] <= t["wait_p99_ms"]
        miss = []
        if wt["p99_ms"] is not None and wt["p99_ms"] > t["wait_p99_ms"]:
            miss.append(f"{wt['p99_ms'] - t['wait_p99_ms']:.0f} ms")
        if wt["updated"] < t["waiters"]:
            miss.append(f"{t['waiters'] - wt['updated']} waiters")
        out.append(
            f"Waiting, changes {wt['label']}: {wt['updated']} of {wt['waiters']} waiters on one web process "
            f"notified, p99 {_fmt(wt['p99_ms'])} ms (target 1,000 waiters, p99 ≤ 200 ms): {mark(ok)}"
            + ("" if ok else " by " + " and ".join(miss))
            + "."
        )
    return out


def main() -> int:
    args = parse_args()

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    # Both, explicitly: a shell starts background jobs with SIGINT ignored, and Python keeps that.
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    started = time.monotonic()
    bench = Bench(args)
    log(f"logs in {bench.log_dir}")
    try:
        bench.prepare_database()
        bench.setup_django()
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            bench.results["pg_version"] = cursor.fetchone()[0]
        a = args
        per_http = int(a.max_rate * (a.warmup + a.duration + 1))
        per_raw = int(a.max_raw_rate * (min(a.warmup, 1.0) + a.raw_duration + 1))
        steps = len(a.concurrency)
        total = 2 + steps * (per_http * (2 if a.gunicorn else 1) + per_raw) + 2 * a.waiters + a.n + a.overhead_n
        bench.seed(total)
        bench.capture()
        model = bench.start_model(args.latency)
        log(f"phase 1: POST and GET at {args.concurrency} clients (worker not running: messages accumulate)")
        bench.phase_api()
        log(f"phase 2: {args.waiters} long-polls on one uvicorn process")
        bench.phase_waiting()
        log(f"phase 3: worker, {args.n} operations, model latency {args.latency:g}s, {args.worker_concurrency} threads")
        bench.phase_worker()
        model.stop()
    except KeyboardInterrupt:
        log("interrupted: stopping every process")
        Proc.stop_all()
        return 130
    finally:
        Proc.stop_all()
    bench.results["machine"] = machine()
    bench.results["args"] = {k: v for k, v in vars(args).items()}
    bench.results["total_s"] = time.monotonic() - started
    report = render(bench.results, args)
    sys.stdout.write("\n" + report)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    header = (
        "# Benchmark results (`make bench`)\n\n"
        f"`{' '.join(['bench/run.py', *sys.argv[1:]])}` — {bench.results['total_s']:.0f} s in all. "
        f"Web: `{bench.results['config'].get('uvicorn', '')}`"
        + (f", `{bench.results['config']['gunicorn']}`" if "gunicorn" in bench.results["config"] else "")
        + "; settings `config.settings.local` with DEBUG off, log level WARNING, rate limits raised.\n\n"
    )
    captured = bench.results.get("captured", {})
    appendix = (
        "\n<details><summary>What the raw loops replay (captured from one request)</summary>\n\n"
        + "POST SQL:\n\n"
        + "\n".join(
            f"{i + 1}. {'(in transaction) ' if atomic else ''}`{sql}`"
            for i, (sql, atomic) in enumerate(
                zip(captured.get("post_sql", []), captured.get("post_atomic", []), strict=False)
            )
        )
        + "\n\nPOST Redis round trips: "
        + "; ".join(f"`{c}`" for c in captured.get("post_redis", []))
        + "\n\nGET SQL:\n\n"
        + "\n".join(f"{i + 1}. `{sql}`" for i, sql in enumerate(captured.get("get_sql", [])))
        + "\n\n</details>\n"
    )
    out.write_text(header + report + appendix, encoding="utf-8")
    out.with_suffix(".json").write_text(json.dumps(bench.results, indent=1, default=str), encoding="utf-8")
    log(f"written {out} and {out.with_suffix('.json')} ({bench.results['total_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
