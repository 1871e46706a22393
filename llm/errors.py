"""Every way a model call can fail, classified once into a small set of stable codes.

Each code is transient (worth retrying later) or permanent, and carries a message written
for the end user. Provider messages, exception text, prompts and keys never leave this
module: callers log ``code``, the exception class and the provider's request id only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import httpx2
import openai
import pydantic


class LLMErrorCode(StrEnum):
    TIMEOUT = "AI_TIMEOUT"
    UNAVAILABLE = "AI_UNAVAILABLE"
    RATE_LIMITED = "AI_RATE_LIMITED"
    QUOTA_EXCEEDED = "AI_QUOTA_EXCEEDED"
    AUTH_FAILED = "AI_AUTH_FAILED"
    BAD_REQUEST = "AI_BAD_REQUEST"
    RESPONSE_INVALID = "AI_RESPONSE_INVALID"
    REFUSED = "AI_REFUSED"
    NOT_CONFIGURED = "AI_NOT_CONFIGURED"
    UNSUPPORTED_REQUEST = "AI_UNSUPPORTED_REQUEST"


@dataclass(frozen=True)
class _Kind:
    transient: bool
    message: str


KINDS: dict[LLMErrorCode, _Kind] = {
    LLMErrorCode.TIMEOUT: _Kind(True, "The AI service is not responding. Please try again in a few minutes."),
    LLMErrorCode.UNAVAILABLE: _Kind(
        True, "The AI service is temporarily unavailable. Please try again in a few minutes."
    ),
    LLMErrorCode.RATE_LIMITED: _Kind(True, "The AI service is busy right now. Please try again in a few minutes."),
    LLMErrorCode.QUOTA_EXCEEDED: _Kind(
        False, "The AI service's usage limit has been reached. Please contact support or try again later."
    ),
    LLMErrorCode.AUTH_FAILED: _Kind(
        False, "The AI service rejected our credentials. Please contact support; retrying will not help."
    ),
    LLMErrorCode.BAD_REQUEST: _Kind(
        False, "The AI service could not process this interview. Please contact support if it keeps happening."
    ),
    LLMErrorCode.RESPONSE_INVALID: _Kind(
        False, "The AI service returned an unusable answer. Please request feedback again."
    ),
    LLMErrorCode.REFUSED: _Kind(
        False, "The AI service declined to analyse this interview. Please review your answers and try again."
    ),
    LLMErrorCode.NOT_CONFIGURED: _Kind(
        False, "AI feedback is not available: the service has no AI model configured. Please contact support."
    ),
    LLMErrorCode.UNSUPPORTED_REQUEST: _Kind(
        False,
        "The AI server does not accept the kind of request this service sends. An administrator must change "
        "its structured-output setting (OPENAI_STRUCTURED_OUTPUT; `manage.py check_model` tells which works).",
    ),
}

# What a user whose own key failed reads instead: the fix is theirs, not support's.
USER_KEY_MESSAGES: dict[LLMErrorCode, str] = {
    LLMErrorCode.AUTH_FAILED: "The AI provider rejected your API key. Update it in your settings (or remove it to "
    "use the service's key), then try again.",
    LLMErrorCode.QUOTA_EXCEEDED: "Your API key has reached its usage limit with the AI provider. Check your account "
    "with them or update your key in your settings, then try again.",
}

# Request parameters whose rejection means "this server does not do structured output this way".
STRUCTURED_OUTPUT_PARAMETERS = re.compile(r"\b(response_format|json_schema|json_object|tool_choice|tools)\b")


class LLMError(Exception):
    """A classified model failure. ``str()`` is the user-facing message, never provider text."""

    def __init__(
        self,
        code: LLMErrorCode,
        *,
        cause: str = "",
        retry_after: float | None = None,
        provider_request_id: str | None = None,
        key_kind: str = "",
    ) -> None:
        self.code = code
        self.transient = KINDS[code].transient
        # "user" or "service": whose key the failed call used (the message differs for a user's own).
        self.key_kind = key_kind
        # The exception class name only (e.g. "RateLimitError"): safe to log.
        self.cause = cause
        self.retry_after = retry_after
        self.provider_request_id = provider_request_id
        super().__init__(KINDS[code].message)

    @property
    def user_message(self) -> str:
        if self.key_kind == "user" and self.code in USER_KEY_MESSAGES:
            return USER_KEY_MESSAGES[self.code]
        return KINDS[self.code].message

    def __repr__(self) -> str:
        return f"LLMError({self.code}, cause={self.cause!r}, request_id={self.provider_request_id!r})"


def _retry_after(response: httpx2.Response | None) -> float | None:
    if response is None:
        return None
    for header in ("retry-after-ms", "retry-after"):
        raw = response.headers.get(header)
        if not raw:
            continue
        try:
            seconds = float(raw) / (1000 if header.endswith("-ms") else 1)
        except ValueError:
            return None  # an HTTP date: rare for model APIs; fall back to our own backoff
        return max(0.0, seconds)
    return None


def _error_code_in_body(body: object) -> str | None:
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            code = inner.get("code") or inner.get("type")
            return str(code) if code else None
    return None


def _names_structured_output_parameter(exc: openai.APIStatusError) -> bool:
    """Does the provider's error name one of the structured-output parameters (response_format, tools...)?"""
    text = " ".join(str(part) for part in (exc.body, getattr(exc, "message", ""), getattr(exc, "param", "")))
    return STRUCTURED_OUTPUT_PARAMETERS.search(text) is not None


def classify(exc: BaseException) -> LLMError:
    """Map any exception from a model call to an :class:`LLMError`. The single place that knows."""
    if isinstance(exc, LLMError):
        return exc
    cause = type(exc).__name__
    request_id = getattr(exc, "request_id", None)
    response = getattr(exc, "response", None)

    def make(code: LLMErrorCode, **kw: Any) -> LLMError:
        return LLMError(code, cause=cause, provider_request_id=request_id, **kw)

    # Order matters: APITimeoutError is a subclass of APIConnectionError.
    if isinstance(exc, openai.APITimeoutError):
        return make(LLMErrorCode.TIMEOUT)
    if isinstance(exc, openai.APIConnectionError):
        return make(LLMErrorCode.UNAVAILABLE)
    if isinstance(exc, openai.RateLimitError):
        if _error_code_in_body(exc.body) == "insufficient_quota":
            return make(LLMErrorCode.QUOTA_EXCEEDED)
        return make(LLMErrorCode.RATE_LIMITED, retry_after=_retry_after(response))
    if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
        return make(LLMErrorCode.AUTH_FAILED)
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        # The server refused the request's shape - some servers answer that with a 500 (llama-cpp-python's
        # does for a json_schema response_format): a configuration mismatch, never worth a retry.
        if status in (400, 422) or status >= 500:
            if _names_structured_output_parameter(exc):
                return make(LLMErrorCode.UNSUPPORTED_REQUEST)
        if status in (408, 409) or status >= 500:
            return make(LLMErrorCode.UNAVAILABLE, retry_after=_retry_after(response))
        # 400 (bad request), 404 (unknown model), 422: our request is wrong; retrying won't help.
        return make(LLMErrorCode.BAD_REQUEST)
    if isinstance(exc, openai.ContentFilterFinishReasonError):
        return make(LLMErrorCode.REFUSED)
    if isinstance(exc, openai.LengthFinishReasonError):
        # Truncated output: the JSON is incomplete.
        return make(LLMErrorCode.RESPONSE_INVALID)
    if isinstance(exc, (openai.APIResponseValidationError, pydantic.ValidationError, json.JSONDecodeError)):
        return make(LLMErrorCode.RESPONSE_INVALID)
    if isinstance(exc, openai.OpenAIError):
        # e.g. "missing api_key" raised while building the client.
        return make(LLMErrorCode.NOT_CONFIGURED if "api_key" in str(exc) else LLMErrorCode.UNAVAILABLE)
    raise TypeError(f"not a model-call failure: {cause}") from exc
