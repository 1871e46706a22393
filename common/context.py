"""Per-request / per-task context carried into every log line (common.logging)."""

from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
operation_id: ContextVar[str | None] = ContextVar("operation_id", default=None)
task_id: ContextVar[str | None] = ContextVar("task_id", default=None)
attempt: ContextVar[int | None] = ContextVar("attempt", default=None)
