"""Real processes for the tests and the benchmark: one helper, `Process`, and the service's processes on it.

`Process` runs a command in a process group of its own (the command's children with it), its output
in a log file; the group is stopped or killed as a whole, and the command gets SIGTERM if this
process dies without stopping it (Linux's parent-death signal; celery, gunicorn and uvicorn then
stop their own children), so nothing outlives a killed test run or bench.
The tests' processes are built on it: `Worker` (`celery worker`), `Beat`, `Web` (gunicorn),
`AsgiWeb` (uvicorn), `PrivateRedis`; `PrivatePostgres` is a cluster `pg_ctl` runs. The benchmark
starts its own on the same helper (bench/stack.py).
"""

from __future__ import annotations

import contextlib
import ctypes
import http.client
import os
import resource
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
PROCFILE = Path(__file__).resolve().parent.parent / "Procfile"


def procfile_command(name: str, *extra: str) -> list[str]:
    """The Procfile's `name` line as an argv, its program from this virtualenv, then `extra` options.

    The tests and the benchmark run the service's processes as declared, adding only what a run
    of their own needs (a port, a log level, a node name)."""
    from honcho.environ import parse_procfile

    argv = shlex.split(parse_procfile(PROCFILE.read_text()).processes[name])
    return [str(Path(sys.executable).with_name(argv[0])), *argv[1:], *extra]


PR_SET_PDEATHSIG = 1
# Looked up here, not in the child between fork and exec (no dynamic loading there).
_PRCTL = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return False
    return True


def http_get(port: int, path: str, timeout: float = 2.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _in_the_child(parent: int) -> Callable[[], None]:
    """What the child runs before the command (Popen's preexec_fn)."""

    def setup() -> None:
        if _PRCTL is not None:
            # SIGTERM when the thread that started us ends: start processes from the main thread.
            _PRCTL(PR_SET_PDEATHSIG, signal.SIGTERM)
            if os.getppid() != parent:  # the parent died before prctl: nobody would signal us
                os._exit(1)
        # The open-files limit to its hard maximum (the bench's 1,000 waiters are 1,000 sockets).
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    return setup


class Process:
    """A command in its own process group, stdout and stderr appended to a log file (a temporary one
    unless `log` is given); the command gets SIGTERM if this process dies first.

    `stop()`: SIGTERM to the group, SIGKILL after `timeout` seconds, then SIGKILL to whatever the
    group left behind. `kill()`: SIGKILL to the group at once (no graceful shutdown). `output()`: the
    log so far. `wait_port`, `wait_http`, `wait_log`, `wait_until`: until it is ready; they raise
    with the end of the log if the command exits first or the time runs out.
    """

    def __init__(
        self,
        argv: list[str],
        *,
        env: dict[str, str] | None = None,
        label: str | None = None,
        log: Path | str | None = None,
        cwd: Path | str = ROOT,
        **popen,
    ) -> None:
        self.label = label or Path(argv[0]).name
        if log is None:
            handle, log = tempfile.mkstemp(prefix=f"{self.label}-", suffix=".log")
            os.close(handle)
        self.log = Path(log)
        self.stopped = False
        with self.log.open("ab") as out:  # the child has its own copy
            popen.setdefault("stdout", out)
            popen.setdefault("stderr", out)
            self.proc = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=_in_the_child(os.getpid()),
                **popen,
            )

    @property
    def pid(self) -> int:
        """The command's pid, also its process group's id."""
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def _signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signum)

    def kill(self) -> None:
        """SIGKILL the whole group (no graceful shutdown: a worker acks nothing)."""
        if self.alive():
            self._signal_group(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self, timeout: float = 15.0) -> None:
        if self.stopped:
            return
        self.stopped = True
        if self.alive():
            self._signal_group(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.proc.wait(10)
        # What the group left behind (gunicorn's or uvicorn's worker processes) goes with it.
        self._signal_group(signal.SIGKILL)

    def wait_until(self, ready: Callable[[], object], what: str, timeout: float, interval: float = 0.1) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if not self.alive():
                raise RuntimeError(
                    f"{self.label} exited with {self.proc.returncode} before {what}:\n{self.output()[-6000:]}"
                )
            if ready():
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.label}: no {what} after {timeout}s:\n{self.output()[-6000:]}")
            time.sleep(interval)

    def wait_port(self, port: int, timeout: float = 30) -> None:
        self.wait_until(lambda: port_open(port), f"connection on port {port}", timeout)

    def wait_http(self, port: int, path: str, timeout: float = 60) -> None:
        def answers() -> bool:
            with contextlib.suppress(OSError, http.client.HTTPException):
                return http_get(port, path)[0] == 200
            return False

        self.wait_until(answers, f"200 on {path} (port {port})", timeout, interval=0.2)

    def wait_log(self, text: str, timeout: float = 60) -> None:
        self.wait_until(lambda: text in self.output(), f"{text!r} in its log", timeout, interval=0.2)


def database_url() -> str:
    """The URL of the database the tests run on (pytest-django's test_<name>)."""
    db = settings.DATABASES["default"]
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"


def service_env(**extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "OPENAI_BASE_URL": settings.OPENAI_BASE_URL or "",
        "OPENAI_API_KEY": settings.OPENAI_API_KEY,
        "OPENAI_TIMEOUT_SECONDS": str(settings.OPENAI_TIMEOUT_SECONDS),
        "OPENAI_MAX_RETRIES": "0",
        "PYTHONUNBUFFERED": "1",
    }
    env.update(extra)
    return env


class Worker(Process):
    """A `celery -A config worker` subprocess (threads pool), its output in a log file."""

    def __init__(self, *, concurrency: int = 4, env: dict[str, str] | None = None, name: str | None = None):
        self.name = name or f"test-{os.getpid()}-{time.monotonic_ns()}"
        argv = procfile_command("worker", "-l", "INFO", "-c", str(concurrency), "-n", f"{self.name}@%h")
        super().__init__([*argv, "--without-mingle", "--without-gossip"], env=env or service_env(), label="worker")

    def wait_ready(self, timeout: float = 60) -> None:
        self.wait_log(" ready.", timeout)

    def stop(self, timeout: float = 20) -> None:
        super().stop(timeout)


@contextmanager
def running_worker(**kwargs):
    worker = Worker(**kwargs)
    try:
        worker.wait_ready()
        yield worker
    finally:
        worker.stop()


class PrivateRedis:
    """A redis-server of the test's own on a free port, to stop (SIGKILL: its data is gone) and start at will."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        argv = [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"]
        self.proc = Process(argv, label="redis")
        self.proc.wait_port(self.port, timeout=10)

    def stop(self) -> None:
        if self.proc:
            self.proc.kill()


class Beat(Process):
    """A `celery -A config beat` subprocess with its schedule file in a temp folder."""

    def __init__(self, *, env: dict[str, str]):
        self.dir = tempfile.mkdtemp(prefix="beat-")
        env = {**env, "CELERY_BEAT_SCHEDULE_FILENAME": str(Path(self.dir) / "schedule")}
        argv = procfile_command("beat", "-l", "INFO")
        super().__init__(argv, env=env, label="beat", log=Path(self.dir) / "beat.log")

    def stop(self, timeout: float = 10) -> None:
        super().stop(timeout)
        shutil.rmtree(self.dir, ignore_errors=True)


class Web(Process):
    """A web process on gunicorn (config.wsgi), a WSGI server's view of the API; AsgiWeb is the
    Procfile's web process (uvicorn on config.asgi), as `make run` and compose run it."""

    def command(self) -> list[str]:
        return [
            str(Path(sys.executable).with_name("gunicorn")),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--workers",
            "1",
        ]

    def __init__(self, *, env: dict[str, str]):
        self.port = free_port()
        super().__init__(self.command(), env=env, label="web")
        try:
            self.wait_port(self.port, timeout=30)
        except BaseException:
            self.stop()
            raise

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _pg_bin(name: str) -> str:
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if candidates:
        return str(candidates[-1])
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} not found: PostgreSQL server binaries are needed for this test")
    return found


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own (initdb in a temp folder, a free port).

    `pg_ctl` starts the server detached (it is not a `Process`): `destroy()` stops it."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="pg-")
        self.data = Path(self.dir) / "data"
        self._as_postgres = os.geteuid() == 0  # the server refuses to run as root
        if self._as_postgres:
            shutil.chown(self.dir, "postgres")
        self._run(_pg_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")

    def _run(self, *cmd: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self._as_postgres else []
        subprocess.run([*prefix, *cmd], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-o", options, "-l", f"{self.dir}/log", "-w", "start")

    def stop(self) -> None:
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def destroy(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


class AsgiWeb(Web):
    """The Procfile's web process: uvicorn on config.asgi (serves the waiting endpoints too)."""

    def command(self) -> list[str]:
        return procfile_command(
            "web",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--no-access-log",
            "--timeout-graceful-shutdown",
            "3",
        )
