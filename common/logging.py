"""Log filters and formatters: context on every line, secrets on none."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

from common import context

# OpenAI-style keys include "sk-proj-...", "sk-svcacct-..." and "sk-ant-..." forms, so
# the pattern allows '-' and '_' after the prefix; a pattern of sk-[A-Za-z0-9] misses them.
SECRET_PATTERN = re.compile(r"\bsk-[A-Za-z0-9_\-]{6,}|\bBearer\s+[A-Za-z0-9_\-\.=]{8,}", re.IGNORECASE)


def redact(text: str) -> str:
    """Remove anything that looks like an API key or bearer token (and the configured key)."""
    from django.conf import settings  # settings may not be ready when logging is configured

    configured = getattr(settings, "OPENAI_API_KEY", "") if settings.configured else ""
    if configured and len(configured) >= 6:
        text = text.replace(configured, "[REDACTED]")
    return SECRET_PATTERN.sub("[REDACTED]", text)


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id = context.request_id.get() or "-"
        record.op_id = op = context.operation_id.get()
        record.task_id = task_id = context.task_id.get()
        record.attempt = attempt = context.attempt.get()
        parts = [f"req={request_id}"] if request_id != "-" else []
        if op:
            parts.append(f"op={op}")
        if task_id:
            parts.append(f"task={task_id}")
        if attempt is not None:
            parts.append(f"attempt={attempt}")
        record.context = " ".join(parts) or "-"
        return True


class RedactSecretsFilter(logging.Filter):
    """Last line of defence: the code never logs keys, this catches mistakes."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if record.exc_info:
            formatted = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(formatted)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for production log pipelines."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "task_id", "attempt"):
            value = getattr(record, key, None)
            if value not in (None, "-"):
                data[key] = value
        if op_id := getattr(record, "op_id", None):
            data["operation_id"] = op_id
        if record.exc_info:
            data["exc"] = record.exc_text or redact(self.formatException(record.exc_info))
        return json.dumps(data, default=str)
