"""One call: messages in, a validated Pydantic object out (structured output, strict JSON schema)."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Generic, TypeVar

import openai
import pydantic
from django.conf import settings

from llm import metrics
from llm.client import get_client
from llm.errors import LLMError, LLMErrorCode, classify

logger = logging.getLogger(__name__)

T = TypeVar("T", bound=pydantic.BaseModel)


@dataclass(frozen=True)
class StructuredResult(Generic[T]):
    parsed: T
    model: str
    input_tokens: int | None
    output_tokens: int | None
    latency_ms: int
    provider_request_id: str | None


def is_configured() -> bool:
    """Whether the service has a model key at all (contract: AI_NOT_CONFIGURED otherwise)."""
    return bool(settings.OPENAI_API_KEY)


def complete_structured(*, messages: list[dict], schema: type[T], model: str | None = None) -> StructuredResult[T]:
    """Ask the model for one object of ``schema``; raise :class:`LLMError` on any failure.

    ``chat.completions.parse`` is used rather than the Responses API because more
    OpenAI-compatible servers (vLLM, Ollama, Azure) implement chat completions.
    """
    model = model or settings.OPENAI_MODEL
    client = get_client()
    started = time.monotonic()
    try:
        completion = client.chat.completions.parse(
            model=model,
            messages=messages,
            response_format=schema,
            # Room for reasoning tokens on reasoning models; no temperature: many reject it.
            max_completion_tokens=settings.OPENAI_MAX_OUTPUT_TOKENS,
        )
    except (openai.OpenAIError, pydantic.ValidationError, json.JSONDecodeError) as exc:
        error = classify(exc)
        metrics.MODEL_LATENCY.labels(model, error.code).observe(time.monotonic() - started)
        logger.warning(
            "model call failed: code=%s class=%s provider_request_id=%s",
            error.code,
            error.cause,
            error.provider_request_id,
        )
        raise error from None
    latency_ms = int((time.monotonic() - started) * 1000)
    request_id = getattr(completion, "_request_id", None)

    if not completion.choices:
        raise LLMError(LLMErrorCode.RESPONSE_INVALID, cause="no choices", provider_request_id=request_id)
    message = completion.choices[0].message
    if message.refusal:
        logger.warning("model refused: provider_request_id=%s", request_id)
        raise LLMError(LLMErrorCode.REFUSED, cause="refusal", provider_request_id=request_id)
    if message.parsed is None:
        raise LLMError(LLMErrorCode.RESPONSE_INVALID, cause="empty content", provider_request_id=request_id)

    usage = completion.usage
    metrics.MODEL_LATENCY.labels(model, "ok").observe(latency_ms / 1000)
    if usage:
        metrics.MODEL_TOKENS.labels(model, "input").inc(usage.prompt_tokens or 0)
        metrics.MODEL_TOKENS.labels(model, "output").inc(usage.completion_tokens or 0)
    return StructuredResult(
        parsed=message.parsed,
        model=completion.model or model,
        input_tokens=usage.prompt_tokens if usage else None,
        output_tokens=usage.completion_tokens if usage else None,
        latency_ms=latency_ms,
        provider_request_id=request_id,
    )
