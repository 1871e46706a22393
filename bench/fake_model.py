"""The fake OpenAI-compatible server of the test suite (tests/fake_openai.py), plus a clock.

``python bench/fake_model.py --port P --latency L`` serves exactly what
``python -m tests.fake_openai`` serves (a valid feedback after ``L`` seconds) and also
records, per analysed session, when the answer was written to the socket (``time.time()``,
the clock the worker stamps ``started_at``/``finished_at`` with). The session is found in
the prompt: the benchmark seeds every answer as ``... [bench:<session uuid>]``.
``GET /_bench/answered`` returns ``{session_id: unix_time}``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fake_openai import FakeOpenAI, Reply

MARK = re.compile(r"\[bench:([0-9a-f-]{36})\]")


class TimedFakeOpenAI(FakeOpenAI):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.answered: dict[str, float] = {}
        self._current = threading.local()

    def _next(self, request, headers):
        match = MARK.search(json.dumps(request))
        self._current.session = match[1] if match else None
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            # Unlike the test server, keep no list of calls: the benchmark makes thousands.
            return self.script.popleft() if self.script else self.default

    def _done(self) -> None:
        now = time.time()  # the answer has been written (unbuffered socket writer)
        session = getattr(self._current, "session", None)
        with self._lock:
            self.in_flight -= 1
            if session:
                self.answered[session] = now

    def _handler(self):
        base = super()._handler()
        fake = self

        class Handler(base):  # type: ignore[valid-type,misc]  # the test server's handler class, made at run time
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                with fake._lock:
                    body = json.dumps({**fake.answered, "_max_in_flight": fake.max_in_flight}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--latency", type=float, default=1.0, help="seconds before each answer")
    args = parser.parse_args()
    server = TimedFakeOpenAI(port=args.port, default=Reply.feedback(delay=args.latency)).start()
    print(f"fake model at {server.base_url} (latency {args.latency}s)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
