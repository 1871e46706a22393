"""Every way a model call can fail, classified once into a small set of stable codes.

Each code is transient (worth retrying later) or permanent, and carries a message written
for the end user. Provider messages, exception text, prompts and keys never leave this
module: callers log ``code``, the exception class and the provider's request id only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

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
}


class LLMError(Exception):
    """A classified model failure. ``str()`` is the user-facing message, never provider text."""

    def __init__(
        self,
        code: LLMErrorCode,
        *,
        cause: str = "",
        retry_after: float | None = None,
        provider_request_id: str | None = None,
    ) -> None:
        self.code = code
        self.transient = KINDS[code].transient
        self.user_message = KINDS[code].message
        # The exception class name only (e.g. "RateLimitError"): safe to log.
        self.cause = cause
        self.retry_after = retry_after
        self.provider_request_id = provider_request_id
        super().__init__(self.user_message)

    def __repr__(self) -> str:
        return f"LLMError({self.code}, cause={self.cause!r}, request_id={self.provider_request_id!r})"


def _retry_after(response) -> float | None:
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


def classify(exc: BaseException) -> LLMError:
    """Map any exception from a model call to an :class:`LLMError`. The single place that knows."""
    if isinstance(exc, LLMError):
        return exc
    cause = type(exc).__name__
    request_id = getattr(exc, "request_id", None)
    response = getattr(exc, "response", None)

    def make(code: LLMErrorCode, **kw) -> LLMError:
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
    if isinstance(exc, openai.InternalServerError):
        return make(LLMErrorCode.UNAVAILABLE, retry_after=_retry_after(response))
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
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
