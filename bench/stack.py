"""The stack under test, as production runs it, on a database and Redis dbs of the benchmark's own.

`Stack` prepares them (drop, create, migrate the database; flush the broker's and the cache's Redis
dbs), sets Django up in this process on the same settings (for seeding, capturing and creating
rows), and starts every process of a run: the fake model, uvicorn or gunicorn, the Celery workers,
the load generator (bench/load.py) and py-spy. Each is a `Process` of tests/processes.py (own
process group, output in a log file of the run's folder, SIGTERM if the benchmark dies);
`stop_all()` stops whatever still runs.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.util import BENCH, BIN, ROOT, log
from tests.processes import Process, free_port, http_get, procfile_command

# The app's only queue: no task routes, every task goes to Celery's default queue.
QUEUE = "celery"
SECRET_KEY = "bench-only-not-a-secret-0123456789abcdef0123456789abcdef"


class Stack:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.db_url = f"{args.pg.rstrip('/')}/{args.db_name}"
        self.redis_url = f"{args.redis.rstrip('/')}/{args.redis_db}"
        self.cache_url = f"{args.redis.rstrip('/')}/{args.cache_redis_db}"
        self.model_port = free_port()
        self.log_dir = Path(tempfile.mkdtemp(prefix="bench-logs-"))
        self.processes: list[Process] = []

    def env(self, **extra: str) -> dict[str, str]:
        """The services' environment: config.settings.local on the bench's database and Redis dbs,
        with production's shared cache (CACHE_URL): the authenticated user is cached there and the
        throttles count there, as in production."""
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DB_", "CELERY_", "OPENAI_"))},
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DJANGO_SECRET_KEY": SECRET_KEY,
            "DJANGO_DEBUG": "false",
            "DJANGO_LOG_LEVEL": "WARNING",
            "DATABASE_URL": self.db_url,
            "CELERY_BROKER_URL": self.redis_url,
            "CACHE_URL": self.cache_url,
            "OPENAI_BASE_URL": f"http://127.0.0.1:{self.model_port}/v1",
            "OPENAI_API_KEY": "unused",
            # The bench measures the service, not its rate limits: every limit far above the load.
            "FEEDBACK_RATE_LIMIT": "1000000/hour",
            "LOGIN_RATE_LIMIT_PER_EMAIL": "1000000/hour",
            "LOGIN_RATE_LIMIT_PER_ADDRESS": "1000000/hour",
            "REGISTER_RATE_LIMIT_PER_ADDRESS": "1000000/hour",
            "QUESTION_RATE_LIMIT": "1000000/hour",
            "REFRESH_RATE_LIMIT_PER_ADDRESS": "1000000/hour",
            "PASSWORD_CHANGE_RATE_LIMIT": "1000000/hour",
            "WRITE_RATE_LIMIT": "1000000/hour",
            # ... and the waiters' caps above the waiting round's 1,000 (a few users wait on many).
            "WAIT_MAX_PER_USER": "1000000",
            "WAIT_MAX_PER_PROCESS": "1000000",
            "JWT_ACCESS_TOKEN_MINUTES": "240",
            "CELERY_METRICS_PORT": "0",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        env.update(extra)
        return env

    # Processes ----------------------------------------------------------------------------------

    def start(self, label: str, argv: list[str], env: dict[str, str] | None = None, **popen) -> Process:
        process = Process(argv, env=env or self.env(), label=label, log=self.log_dir / f"{label}.log", **popen)
        self.processes.append(process)
        return process

    def process_groups(self) -> set[int]:
        """This process's group and those of the processes it started that still run: the bench's CPU."""
        return {os.getpgid(0), *(p.pid for p in self.processes if not p.stopped)}

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            with contextlib.suppress(Exception):
                process.stop(timeout=10)

    # The data stores ------------------------------------------------------------------------------

    def prepare_database(self) -> None:
        import psycopg

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
        self.flush_redis()
        self.flush_redis(self.cache_url)

    def flush_redis(self, url: str | None = None) -> None:
        """Empty a Redis db of the bench's: the broker's unless `url` names another."""
        import redis

        redis.Redis.from_url(url or self.redis_url).flushdb()

    def setup_django(self) -> dict:
        """Django in this process, on the services' settings; returns the settings the report states:
        every *RATE_LIMIT* setting (as "rate_limits") and WEB_THREADS."""
        os.environ.update(self.env(DB_POOL_MAX_SIZE="16"))
        if str(ROOT) not in sys.path:
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
        return {
            "rate_limits": {n: getattr(settings, n) for n in dir(settings) if "RATE_LIMIT" in n},
            "WEB_THREADS": settings.WEB_THREADS,
        }

    @staticmethod
    def pg_version() -> str:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return cursor.fetchone()[0]

    # The services -------------------------------------------------------------------------------

    def start_model(self, latency: float) -> Process:
        """bench/fake_model.py: the tests' fake OpenAI server, answering after `latency` seconds."""
        argv = [str(BIN / "python"), str(BENCH / "fake_model.py"), "--port", str(self.model_port)]
        proc = self.start("fake-model", [*argv, "--latency", str(latency)])
        proc.wait_http(self.model_port, "/_bench/answered", timeout=20)
        return proc

    def model_answered(self) -> dict:
        """The fake model's clock: {session id: when its answer was written} and `_max_in_flight`."""
        return json.loads(http_get(self.model_port, "/_bench/answered", timeout=10)[1])

    def start_uvicorn(self, workers: int) -> tuple[Process, int]:
        port = free_port()
        argv = procfile_command("web", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers))
        argv += ["--log-level", "warning", "--timeout-graceful-shutdown", "3"]
        proc = self.start(f"uvicorn-{workers}w-{port}", argv)
        proc.wait_http(port, "/healthz")
        self._warm_workers(port, workers)
        return proc, port

    def start_gunicorn(self, workers: int, threads: int) -> tuple[Process, int]:
        port = free_port()
        argv = [str(BIN / "gunicorn"), "config.wsgi", "-k", "gthread", "--workers", str(workers)]
        argv += ["--threads", str(threads), "--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
        proc = self.start(f"gunicorn-{workers}w{threads}t-{port}", argv)
        proc.wait_http(port, "/healthz")
        self._warm_workers(port, workers)
        return proc, port

    @staticmethod
    def _warm_workers(port: int, workers: int) -> None:
        # Every worker process imports lazily on its first requests; not part of any step.
        for _ in range(20 * workers):
            http_get(port, "/readyz", timeout=10)

    def start_workers(self, *, processes: int, concurrency: int, pool_size: int) -> list[Process]:
        """`processes` × `celery -A config worker` (threads pool, the app's one queue), returned once
        each answers a ping. The threads (`concurrency`) and the DB pool (`pool_size`) are totals,
        split evenly: one host of the machine's size, however many processes it runs."""
        from config.celery import app

        threads, pool = -(-concurrency // processes), -(-pool_size // processes)
        workers, nodes = [], []
        try:
            for i in range(processes):
                name = f"bench-w{i}"
                argv = procfile_command("worker", "--pool", "threads", "--concurrency", str(threads))
                argv += ["-Q", QUEUE, "-l", "WARNING", "-n", f"{name}@%h"]
                workers.append(self.start(f"worker-{i}", argv, self.env(DB_POOL_MAX_SIZE=str(pool))))
                nodes.append(f"{name}@{socket.gethostname()}")
            for worker, node in zip(workers, nodes, strict=True):
                worker.wait_until(
                    functools.partial(app.control.ping, destination=[node], timeout=0.5),
                    "answer to a ping",
                    60,
                    interval=0,
                )
        except BaseException:
            for worker in workers:
                worker.stop(timeout=30)
            raise
        return workers

    # The load generator -------------------------------------------------------------------------

    def start_load(self, label: str, spec: dict) -> Process:
        """bench/load.py on `spec` (one step), its stdout a pipe (its result is the last line)."""
        with tempfile.NamedTemporaryFile("w", suffix=".json", dir=self.log_dir, delete=False) as f:
            json.dump(spec, f)
        argv = [str(BIN / "python"), str(BENCH / "load.py"), f.name]
        return self.start(label, argv, stdout=subprocess.PIPE)

    def run_load(self, spec: dict, timeout: float) -> dict:
        """One step of the load generator, to its end: its result."""
        proc = self.start_load(f"load-{spec['mode']}-{time.monotonic_ns()}", spec)
        try:
            out, _ = proc.proc.communicate(timeout=timeout)
        finally:
            proc.stop()
        if proc.proc.returncode != 0:
            raise RuntimeError(f"load generator failed ({proc.proc.returncode}):\n{proc.output()[-3000:]}")
        return json.loads(out.decode().strip().splitlines()[-1])
