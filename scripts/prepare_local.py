"""`make run`, before honcho starts the Procfile: the embedded defaults made ready, then where to look.

Checks that the web address (HOST/PORT, default 127.0.0.1:8000) is free, then migrates the local
database (SQLite in var/ unless DATABASE_URL says otherwise), collects the static files and seeds
the demo user, on config.settings.local whatever DJANGO_SETTINGS_MODULE says.
"""

import os
import signal
import socket
import sys
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = "config.settings.local"  # the Makefile's `run` starts the processes on it too


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def describe_backends(settings) -> str:
    """Where the database and the broker are, as the settings resolve them (.env included)."""
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


def main() -> int:
    host = os.environ.get("HOST") or "127.0.0.1"
    try:
        port = int(os.environ.get("PORT") or 8000)
    except ValueError:
        print(f"PORT must be a number, not {os.environ['PORT']!r}", file=sys.stderr)
        return 2
    if not port_is_free(host, port):
        print(f"{host}:{port} is already in use. Stop what uses it, or run e.g. `PORT=8001 make run`.", file=sys.stderr)
        return 1

    current = os.environ.get("DJANGO_SETTINGS_MODULE")
    if current and current != SETTINGS:
        print(f"note: ignoring DJANGO_SETTINGS_MODULE={current}; `make run` uses {SETTINGS}", file=sys.stderr)
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)

    import django
    from django.conf import settings
    from django.core.management import CommandError, call_command

    django.setup()
    for command, *args in (["migrate", "--noinput"], ["collectstatic", "--noinput", "-v", "1"], ["seed_demo"]):
        print(f"manage.py {command} {' '.join(args)}".rstrip(), flush=True)
        try:
            call_command(command, *args)
        except CommandError as exc:
            print(f"manage.py {command} failed: {exc}", file=sys.stderr)
            return 1

    # What a browser on this machine uses when the server listens on every interface.
    url_host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104
    base_url = f"http://[{url_host}]:{port}" if ":" in url_host else f"http://{url_host}:{port}"
    print(f"\nWeb:   {base_url}/   (once uvicorn says it is running)")
    print(f"API:   {base_url}/api/v1/   (log in: POST {base_url}/api/v1/auth/login)")
    print(f"Admin: {base_url}/admin/")
    print(describe_backends(settings))
    print("Starting web, worker and beat (Procfile) with honcho; Ctrl-C stops everything.\n", flush=True)
    return 0


if __name__ == "__main__":
    # SIGTERM (e.g. from make) interrupts the preparation like Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
