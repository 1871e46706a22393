"""`make run`: the whole service on one machine, with no configuration and no servers.

Prepares the embedded defaults (SQLite in var/db.sqlite3, kombu's filesystem broker in
var/broker), then runs the three processes of the service side by side:

    web     uvicorn config.asgi:application (HOST/PORT, default 127.0.0.1:8000)
    worker  celery -A config worker -l INFO
    beat    celery -A config beat -l INFO

Their output is streamed with a name prefix. Ctrl-C or SIGTERM stops all of them (a second
Ctrl-C kills them at once); if any of them exits on its own, the others are stopped and this
script exits non-zero. Every executable comes from the virtualenv this script runs in.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
# Not resolved: a virtualenv's bin/python is a symlink to the base interpreter.
BIN = Path(sys.executable).parent
SETTINGS = "config.settings.local"
# The web server's graceful timeout is 30 s; a warm Celery shutdown waits for running tasks.
STOP_TIMEOUT_SECONDS = 35
READY_TIMEOUT_SECONDS = 60

_print_lock = threading.Lock()


def say(line: str, name: str = "run") -> None:
    with _print_lock:
        sys.stdout.write(f"{name:<6} | {line}\n")
        sys.stdout.flush()


def _die_with_parent() -> None:
    """Linux only: the child gets SIGTERM if this script dies without cleaning up (e.g. SIGKILL)."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class Child:
    def __init__(self, name: str, argv: list[str], env: dict[str, str]):
        self.name = name
        self.argv = argv
        self.env = env
        self.proc: subprocess.Popen | None = None
        self.reader: threading.Thread | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(  # noqa: S603 - fixed argv from the virtualenv
            self.argv,
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            # Own process group: the terminal's Ctrl-C reaches only this script, which then
            # stops every child in order (no double signals, no half-stopped children).
            start_new_session=True,
            preexec_fn=_die_with_parent,  # safe: no other thread exists yet (see Supervisor.run)
        )

    def start_reader(self) -> None:
        self.reader = threading.Thread(target=self._pump, name=f"pump-{self.name}", daemon=True)
        self.reader.start()

    def _pump(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for raw in iter(self.proc.stdout.readline, b""):
            say(raw.decode(errors="replace").rstrip("\n"), self.name)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def returncode(self) -> int | None:
        return self.proc.poll() if self.proc else None

    def signal(self, signum: int, *, group: bool = False) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            if group:
                os.killpg(self.proc.pid, signum)
            else:
                self.proc.send_signal(signum)
        except ProcessLookupError:
            pass


class Supervisor:
    def __init__(self, children: list[Child]):
        self.children = children
        self.stop_requested = threading.Event()
        self.force = threading.Event()

    def _on_signal(self, signum, _frame) -> None:
        if self.stop_requested.is_set():
            self.force.set()
        else:
            self.stop_requested.set()

    def run(self, on_ready) -> int:
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        # Start every child before any reader thread exists (preexec_fn must not race threads).
        try:
            for child in self.children:
                child.start()
        except OSError as exc:
            say(f"cannot start {child.name}: {exc}")
            self.stop_all()
            return 1
        for child in self.children:
            child.start_reader()

        ready_announced = False
        dead: Child | None = None
        while not self.stop_requested.is_set():
            dead = next((c for c in self.children if not c.running()), None)
            if dead is not None:
                break
            if not ready_announced:
                ready_announced = on_ready()
            self.stop_requested.wait(0.25)

        if dead is not None:
            say(f"{dead.name} exited with code {dead.returncode}; stopping the others")
        else:
            say("stopping (press Ctrl-C again to kill at once)")
        self.stop_all()
        return 1 if dead is not None else 0

    def stop_all(self) -> None:
        for child in self.children:
            child.signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        while any(c.running() for c in self.children):
            if self.force.is_set() or time.monotonic() > deadline:
                for child in self.children:
                    if child.running():
                        say(f"killing {child.name}")
                        child.signal(signal.SIGKILL, group=True)
            time.sleep(0.1)
        for child in self.children:
            if child.reader is not None:
                child.reader.join(timeout=2)
            if child.proc is not None:
                say(f"{child.name} stopped (exit code {child.returncode})")


def describe_backends() -> str:
    """Where the database and the broker are, as the settings resolve them (.env included)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    # Imported here: only after DJANGO_SETTINGS_MODULE is set, and only once the children run.
    from django.conf import settings

    db = settings.DATABASES["default"]
    engine = db["ENGINE"].rsplit(".", 1)[-1]
    if engine == "sqlite3":
        database = f"sqlite3 {db['NAME']}"
    else:
        database = f"{engine} {db.get('HOST') or 'localhost'}:{db.get('PORT') or ''}/{db['NAME']}"
    broker = urlsplit(settings.CELERY_BROKER_URL)
    if broker.scheme == "filesystem":
        broker_text = f"filesystem {Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS['data_folder_in']).parent}"
    else:
        broker_text = f"{broker.scheme}://{broker.hostname}:{broker.port or ''}{broker.path}"
    return f"database: {database}; broker: {broker_text}"


def _interrupt(_signum, _frame) -> None:
    raise KeyboardInterrupt


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def accepts_connections(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def main() -> int:
    host = os.environ.get("HOST") or "127.0.0.1"
    try:
        port = int(os.environ.get("PORT") or 8000)
    except ValueError:
        print(f"PORT must be a number, not {os.environ['PORT']!r}", file=sys.stderr)
        return 2
    # What a browser on this machine uses when the server listens on every interface.
    url_host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104
    base_url = f"http://[{url_host}]:{port}" if ":" in url_host else f"http://{url_host}:{port}"

    current = os.environ.get("DJANGO_SETTINGS_MODULE")
    if current and current != SETTINGS:
        print(f"note: ignoring DJANGO_SETTINGS_MODULE={current}; `make run` uses {SETTINGS}", file=sys.stderr)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": SETTINGS, "PYTHONUNBUFFERED": "1", "PORT": str(port)}
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS  # for describe_backends()

    if not port_is_free(host, port):
        print(f"{host}:{port} is already in use. Stop what uses it, or run e.g. `PORT=8001 make run`.", file=sys.stderr)
        return 1

    # Until the supervisor takes over, SIGTERM interrupts the setup step like Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        for args in (["migrate", "--noinput"], ["collectstatic", "--noinput", "-v", "1"], ["seed_demo"]):
            say(f"manage.py {' '.join(args)}")
            code = subprocess.call([sys.executable, "manage.py", *args], cwd=ROOT, env=env)  # noqa: S603
            if code != 0:
                say(f"manage.py {args[0]} failed with exit code {code}")
                return code
    except KeyboardInterrupt:
        return 130

    # ASGI for all: the waiting endpoints (?wait=, /events) hold no thread while they wait.
    web = [str(BIN / "uvicorn"), "config.asgi:application", "--host", host, "--port", str(port)]
    web += ["--timeout-graceful-shutdown", "30"]
    children = [
        Child("web", web, env),
        Child("worker", [str(BIN / "celery"), "-A", "config", "worker", "-l", "INFO"], env),
        Child("beat", [str(BIN / "celery"), "-A", "config", "beat", "-l", "INFO"], env),
    ]
    started = time.monotonic()

    def on_ready() -> bool:
        if accepts_connections(url_host, port):
            say(f"API:   {base_url}/api/v1/   (log in: POST {base_url}/api/v1/auth/login)")
            say(f"Admin: {base_url}/admin/")
            try:
                say(describe_backends())
            except Exception as exc:  # informational only: never take the service down for it
                say(f"(could not read the settings: {exc})")
            say("Ctrl-C stops everything.")
            return True
        if time.monotonic() - started > READY_TIMEOUT_SECONDS:
            say(f"web is not accepting connections on {host}:{port} after {READY_TIMEOUT_SECONDS} s")
            return True
        return False

    return Supervisor(children).run(on_ready)


if __name__ == "__main__":
    sys.exit(main())
