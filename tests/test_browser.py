"""The web client in a real browser against the real stack: Chromium driven by Playwright (web/e2e/).

The test starts what `make run` runs - uvicorn on config.asgi (serving the built client at / and
the API), a Celery worker, celery beat - on the test database and broker, with the suite's fake
model server; then runs web/e2e/loop.spec.ts twice: once from the same origin (Django serves the
client) and once from another origin (a static server with the client pointed at the API), which
proves CORS and the exposed headers from a browser. Screenshots of each screen are written to
var/screenshots/<origin>/ (.ci/run lists them).

Needs Debian's Chromium (`apt-get install -y chromium`; Playwright's own browser download cannot
work here) and Node.js 20.19+ with web/'s dependencies (`npm ci` in web/): a missing one fails
the test, it is never skipped.
"""

import os
import shutil
import subprocess
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path

import pytest
import redis
from django.conf import settings

from tests.processes import ROOT, AsgiWeb, Beat, Worker, free_port, service_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

WEB = ROOT / "web"
DIST = WEB / "dist"
SCREENS = ROOT / "var" / "screenshots"  # outside web/test-results, which each Playwright run empties
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


def build_client() -> None:
    if shutil.which("npx") is None:
        pytest.fail("Node.js and npm are needed for the browser tests (see docs/development.md)")
    if not (WEB / "node_modules" / ".bin" / "playwright").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=WEB, check=True)
    subprocess.run(["python3", str(ROOT / "scripts" / "build_web.py")], check=True)
    assert (DIST / "index.html").is_file()


class SpaHandler(SimpleHTTPRequestHandler):
    """Static files of a built client from another origin; index.html (with the API's address) for its routes."""

    api_base = ""

    def log_message(self, *args) -> None:
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_file() and path.name != "index.html":
            return super().send_head()
        body = (
            (DIST / "index.html")
            .read_text()
            .replace("<head>", f"<head><script>window.__API_BASE__ = {self.api_base!r};</script>", 1)
        )
        payload = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        return BytesIO(payload)


@pytest.fixture(scope="module")
def stack(django_db_setup, django_db_blocker, fake_openai_server):
    """uvicorn + worker + beat on the test database, the fake model, and a second origin for the client."""
    if CHROMIUM is None:
        pytest.fail("Chromium is needed for the browser tests: apt-get install -y chromium")
    build_client()
    spa_port = free_port()
    spa_origin = f"http://127.0.0.1:{spa_port}"
    env = service_env(
        OPENAI_BASE_URL=fake_openai_server.base_url,
        OPENAI_TIMEOUT_SECONDS="10",
        CORS_ALLOWED_ORIGINS=spa_origin,
        WEB_CLIENT_DIR=str(DIST),
        # Every run registers users and logs in from one address.
        REGISTER_RATE_LIMIT_PER_ADDRESS="",
        LOGIN_RATE_LIMIT_PER_ADDRESS="",
        LOGIN_RATE_LIMIT_PER_EMAIL="",
        QUESTION_RATE_LIMIT="",
        FEEDBACK_RATE_LIMIT="",
    )
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    fake_openai_server.reset()
    with django_db_blocker.unblock():
        web = AsgiWeb(env=env)
        worker = Worker(env=env, concurrency=4)
        beat = Beat(env=env)
    SpaHandler.api_base = f"{web.url}/api/v1"
    spa = ThreadingHTTPServer(("127.0.0.1", spa_port), partial(SpaHandler, directory=str(DIST)))
    threading.Thread(target=spa.serve_forever, daemon=True).start()
    try:
        worker.wait_ready()
        yield {"web": web, "spa_origin": spa_origin, "worker": worker}
    finally:
        spa.shutdown()
        for process in (web, worker, beat):
            process.stop()


def playwright(base_url: str, screens: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None  # the test fails before this without it
    screens.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "E2E_BASE_URL": base_url,
        "E2E_REAL_STACK": "1",
        "E2E_SCREENSHOT_DIR": str(screens),
        "CHROMIUM_PATH": CHROMIUM,
    }
    return subprocess.run(
        ["npx", "playwright", "test", "--reporter=list"],
        cwd=WEB,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_the_practice_loop_in_chromium_served_by_django(stack):
    result = playwright(stack["web"].url, SCREENS / "same-origin")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:] + stack["web"].output()[-3000:]
    assert "passed" in result.stdout
    shots = sorted(p.name for p in (SCREENS / "same-origin").glob("*.png"))
    assert "04-feedback.png" in shots and "07-dashboard.png" in shots, shots


def test_the_practice_loop_from_another_origin(stack):
    """The client on its own origin calls the API across it: CORS, Location and Retry-After exposed."""
    result = playwright(stack["spa_origin"], SCREENS / "cross-origin")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:] + stack["web"].output()[-3000:]
    assert "passed" in result.stdout
