"""The endpoints the benchmark drives, by key: the HTTP steps (phases/api.py), their raw limits
(phases/raw_limit.py) and the report name them the same way."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # `{id}`: the request's item (a session or an operation)
    status: int  # the answer every request must get, else it counts as an error
    # The kind of fresh session each request consumes (`Data.take_sessions`), or None: the
    # items are read, not used up, and cycled.
    sessions: str | None = None

    @property
    def label(self) -> str:
        return f"{self.method} {self.path.removeprefix('/api/v1')}"


ENDPOINTS = {
    "feedback": Endpoint("POST", "/api/v1/sessions/{id}/generate-feedback", 202, sessions="feedback"),
    "question": Endpoint("POST", "/api/v1/sessions/{id}/generate-question", 202, sessions="question"),
    "operation": Endpoint("GET", "/api/v1/operations/{id}", 200),
    "dashboard": Endpoint("GET", "/api/v1/users/me/dashboard", 200),
}

# The dashboard's client counts: 8, where issue 15 judges its p99 (users with 2,000 sessions), and
# 32, where it judges every GET's share of the raw limit.
DASHBOARD_CLIENTS = (8, 32)
