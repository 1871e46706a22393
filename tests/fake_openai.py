"""A fake OpenAI-compatible HTTP server on 127.0.0.1, for tests and the benchmark.

The real ``openai`` SDK talks to it over real HTTP (so timeouts, retries and parsing run
for real). Behaviour is scripted per call: tests push :class:`Reply` objects; when the
script is empty the server answers with ``default`` (a valid feedback object).

Run standalone for a local demo: ``python -m tests.fake_openai --port 8765 --latency 2``.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

VALID_FEEDBACK: dict[str, Any] = {
    "technical_accuracy_score": 80,
    "communication_clarity_score": 85,
    "problem_solving_score": 80,
    "relevance_score": 85,
    "technical_feedback": "Solid grasp of idempotency and transactions.",
    "communication_feedback": "Clear, structured answers.",
    "problem_solving_feedback": "Broke the problem down well; consider failure modes earlier.",
    "relevance_feedback": "Answers matched the posting's backend focus.",
    "overall_comments": "A strong interview with room to deepen distributed-systems answers.",
    "knowledge_gaps": ["Exactly-once delivery trade-offs"],
    "learning_recommendations": ["Read about the transactional outbox pattern"],
}


QUESTIONS = [
    "How would you make a payment endpoint safe to call twice with the same request?",
    "Tell me about a time you had to debug a production incident under pressure.",
    "Your Celery queue is backing up during a launch. What do you do first?",
    "How do PostgreSQL's isolation levels differ, and when would you pick each?",
    "Tell me about a disagreement with a colleague over a design and how it ended.",
    "A customer reports duplicated charges after a deploy. How do you investigate?",
    "How would you design a rate limiter shared by several web processes?",
    "Tell me about a project you are proud of and your part in it.",
    "Your team must ship a feature in half the planned time. How do you approach it?",
    "How would you find and fix an N+1 query problem in a Django view?",
    "What happens between typing a URL and seeing the page, for a Django app behind nginx?",
    "Describe how you would review a colleague's large pull request.",
]


def wanted_schema(request: dict[str, Any]) -> str | None:
    """Which object a request asks for (named after the Pydantic class), in any structured-output mode:
    the json_schema's name, the forced tool's name, or the schema's title in the prompt (json_object)."""
    response_format = request.get("response_format") or {}
    if response_format.get("json_schema"):
        return response_format["json_schema"].get("name")
    for tool in request.get("tools") or []:
        return tool["function"]["name"]
    text = json.dumps(request.get("messages", []), separators=(",", ":"))
    for name in ("ModelProbe", "GeneratedQuestion", "FeedbackAnalysis"):
        if f'\\"title\\":\\"{name}\\"' in text:
            return name
    return None


# How long a question takes when the posting says "[slow]" (tests/test_browser.py cancels one).
SLOW_SECONDS = 4.0

# The answer to manage.py check_model's probe.
PROBE_ANSWER = {"city": "Paris", "country": "France"}


@dataclass
class Reply:
    """What the server does for one call."""

    status: int = 200
    content: str | None = None  # assistant message content (JSON text for structured output)
    body: bytes | None = None  # raw HTTP body, overrides everything else
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (a hang, if above the client's timeout)
    finish_reason: str = "stop"
    refusal: str | None = None
    drop: bool = False  # close the connection without answering
    kind: str | None = None  # "feedback" / "question": a valid answer of that request type

    @classmethod
    def feedback(cls, delay: float = 0.0, **overrides: Any) -> Reply:
        return cls(content=json.dumps({**VALID_FEEDBACK, **overrides}), delay=delay, kind="feedback")

    @classmethod
    def question(
        cls, question: str = QUESTIONS[0], question_type: str = "technical", delay: float = 0.0, **extra: Any
    ) -> Reply:
        return cls(content=json.dumps({"question": question, "question_type": question_type, **extra}), delay=delay)

    @classmethod
    def error(cls, status: int, code: str, message: str = "provider error", **kw: Any) -> Reply:
        body = json.dumps({"error": {"message": message, "type": code, "code": code}}).encode()
        return cls(status=status, body=body, **kw)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        pass  # a client that gave up (timeout, killed worker) leaves a broken pipe: expected


class FakeOpenAI:
    """Scripted replies first, then ``default``. A feedback default (the initial one) answers
    feedback requests only: a question request then gets the next of QUESTIONS not yet in its
    prompt (so a session never gets a repeated question), after ``question_delay``."""

    # What kind of server it plays (structured output): "openai" accepts every mode;
    # "llama-cpp-python" answers a json_schema response_format with HTTP 500 naming it, as
    # llama-cpp-python's server does, and takes json_object; "tools-only" refuses any
    # response_format (400) and answers through a forced function call.
    PERSONAS = ("openai", "llama-cpp-python", "tools-only")

    def __init__(self, host: str = "127.0.0.1", port: int = 0, default: Reply | None = None) -> None:
        self.script: deque[Reply] = deque()
        self.default = default or Reply.feedback()
        self.question_delay = 0.0
        self.persona = "openai"
        # Keys answered 401 (whatever the endpoint), and whether GET /models answers at all.
        self.rejected_keys: set[str] = set()
        self.models_status = 200
        self.calls: list[dict[str, Any]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._server = _QuietServer((host, port), self._handler())
        self._server.daemon_threads = True
        self._server.request_queue_size = 1024
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def push(self, *replies: Reply) -> None:
        with self._lock:
            self.script.extend(replies)

    def reset(self) -> None:
        with self._lock:
            self.script.clear()
            self.calls.clear()
            self.default = Reply.feedback()
            self.question_delay = 0.0
            self.persona = "openai"
            self.rejected_keys = set()
            self.models_status = 200
            self.max_in_flight = 0

    def start(self) -> FakeOpenAI:
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-openai", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _refusal(self, request: dict[str, Any], headers: dict[str, str]) -> Reply | None:
        """The answer this server gives before any script: a rejected key, a request shape it refuses."""
        if headers.get("authorization", "").removeprefix("Bearer ") in self.rejected_keys:
            return Reply.error(401, "invalid_api_key", "Incorrect API key provided")
        response_format = (request.get("response_format") or {}).get("type")
        if self.persona == "llama-cpp-python" and response_format == "json_schema":
            # llama-cpp-python 0.3: a pydantic validation error of the request, answered as a 500.
            message = (
                "1 validation error for CreateChatCompletionRequest\nresponse_format.type\n  Input should be "
                "'text' or 'json_object' [type=literal_error, input_value='json_schema', input_type=str]"
            )
            return Reply(
                status=500, body=json.dumps({"error": {"message": message, "type": "internal_server_error"}}).encode()
            )
        if self.persona == "tools-only" and response_format is not None:
            return Reply.error(400, "invalid_request_error", "response_format is not supported by this server")
        return None

    def _next(self, request: dict[str, Any], headers: dict[str, str]) -> Reply:
        with self._lock:
            self.calls.append({"body": request, "headers": headers})
            refusal = self._refusal(request, headers)
            if refusal is not None:
                self.in_flight += 1
                return refusal
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            if self.script:
                return self.script.popleft()
            wanted = wanted_schema(request)
            if self.default.kind == "feedback":  # a feedback default answers feedback requests only
                if wanted == "GeneratedQuestion":
                    reply = self._fresh_question(request)
                    if "[slow]" in json.dumps(request.get("messages", [])):  # the browser tests' slow model
                        reply.delay = max(reply.delay, SLOW_SECONDS)
                    return reply
                if wanted == "ModelProbe":
                    return Reply(content=json.dumps(PROBE_ANSWER))
            return self.default

    def _fresh_question(self, request: dict[str, Any]) -> Reply:
        prompt = json.dumps(request.get("messages", []))
        for n, question in enumerate(QUESTIONS):
            if json.dumps(question)[1:-1] not in prompt:
                return Reply.question(question, ("technical", "behavioral", "situational")[n % 3], self.question_delay)
        return Reply.question(f"Question {uuid.uuid4().hex[:8]}: what else would you like to tell us?")

    def _done(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in two writes: with Nagle's algorithm the second waits for
            # the client's delayed ACK (40 ms), which no real provider adds to every call.
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                """GET /v1/models: what a key check calls."""
                headers = {k.lower(): v for k, v in self.headers.items()}
                with fake._lock:
                    fake.calls.append({"path": self.path, "headers": headers, "body": None})
                    rejected = headers.get("authorization", "").removeprefix("Bearer ") in fake.rejected_keys
                    status = 401 if rejected else fake.models_status
                body: dict[str, Any]
                if status == 200:
                    body = {"object": "list", "data": [{"id": "fake-model", "object": "model", "owned_by": "fake"}]}
                else:
                    body = {"error": {"message": "no", "type": "error", "code": str(status)}}
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                try:
                    request = json.loads(raw or b"{}")
                except ValueError:
                    request = {"_raw": raw.decode(errors="replace")}
                reply = fake._next(request, {k.lower(): v for k, v in self.headers.items()})
                try:
                    self._answer(request, reply)
                finally:
                    fake._done()

            def _answer(self, request: dict[str, Any], reply: Reply) -> None:
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.drop:
                    self.close_connection = True
                    self.connection.close()
                    return
                body = reply.body
                if body is None:
                    body = json.dumps(self._completion(request, reply)).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("x-request-id", f"req_{uuid.uuid4().hex[:16]}")
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            @staticmethod
            def _completion(request: dict[str, Any], reply: Reply) -> dict[str, Any]:
                message: dict[str, Any] = {"role": "assistant", "content": reply.content, "refusal": reply.refusal}
                if request.get("tools") and reply.content is not None and reply.status == 200:
                    # A forced function call: the object arrives as the call's arguments.
                    name = request["tools"][0]["function"]["name"]
                    message = {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "id": f"call_{uuid.uuid4().hex[:12]}",
                                "type": "function",
                                "function": {"name": name, "arguments": reply.content},
                            }
                        ],
                    }
                return {
                    "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": request.get("model", "fake-model"),
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": reply.finish_reason,
                            "message": message,
                        }
                    ],
                    "usage": {"prompt_tokens": 1200, "completion_tokens": 350, "total_tokens": 1550},
                }

        return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--latency", type=float, default=1.0, help="seconds before each answer")
    args = parser.parse_args()
    server = FakeOpenAI(port=args.port, default=Reply.feedback(delay=args.latency)).start()
    print(f"fake OpenAI-compatible server at {server.base_url} (latency {args.latency}s); Ctrl-C stops it")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
