"""One call: messages in, a validated Pydantic object out, whatever structured output the server speaks.

Three ways to ask (``OPENAI_STRUCTURED_OUTPUT``), the same validation after each:

* ``json_schema``: ``response_format`` with the strict JSON schema (OpenAI, Azure, vLLM, Ollama,
  llama.cpp's ``llama-server``);
* ``json_object``: ``response_format: {"type": "json_object", "schema": ...}`` and the schema in
  the prompt (llama-cpp-python's server, older LM Studio and others without ``json_schema``);
* ``tools``: the schema as a function the model is forced to call.

Output that fails the schema or the caller's ``check`` (junk: llm/quality.py) is asked for
once more, then :class:`LLMError` ``AI_RESPONSE_INVALID``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Generic, TypeVar

import openai
import pydantic
from django.conf import settings
from openai.types.chat import ChatCompletionMessage

from llm import metrics
from llm.client import Credentials, get_client, service_credentials
from llm.errors import LLMError, LLMErrorCode, classify

logger = logging.getLogger(__name__)

T = TypeVar("T", bound=pydantic.BaseModel)

MODES = ("json_schema", "json_object", "tools")


@dataclass(frozen=True)
class StructuredResult(Generic[T]):
    parsed: T
    model: str
    input_tokens: int | None
    output_tokens: int | None
    latency_ms: int
    provider_request_id: str | None
    key_kind: str = "service"


@lru_cache(maxsize=32)
def strict_schema(schema: type[pydantic.BaseModel]) -> dict[str, Any]:
    """The strict JSON schema of ``schema`` as the SDK builds it, once per process and model class."""
    return openai.pydantic_function_tool(schema)["function"]["parameters"]


def storable(value: Any) -> Any:
    """The model's JSON with every string cleaned of what PostgreSQL's text cannot hold: NUL, and
    lone surrogates (valid JSON escapes both). Cleaned, not refused: the rest of the text stands."""
    if isinstance(value, str):
        return value.replace("\x00", "").encode("utf-8", "ignore").decode("utf-8")
    if isinstance(value, list):
        return [storable(v) for v in value]
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    return value


def request_arguments(*, messages: list[dict[str, Any]], schema: type[pydantic.BaseModel], mode: str) -> dict[str, Any]:
    """The chat-completions arguments that ask for ``schema`` in ``mode`` (pure; tested as such)."""
    name = schema.__name__
    if mode == "json_schema":
        return {
            "messages": messages,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": name, "schema": strict_schema(schema), "strict": True},
            },
        }
    if mode == "json_object":
        instruction = (
            "Reply with one JSON object only, no other text, that is valid against this JSON schema:\n"
            + json.dumps(strict_schema(schema), separators=(",", ":"))
        )
        first, *rest = messages
        if first["role"] == "system":
            messages = [{**first, "content": f"{first['content']}\n\n{instruction}"}, *rest]
        else:
            messages = [{"role": "system", "content": instruction}, *messages]
        # "schema" beside json_object is llama.cpp's extension (llama-server, llama-cpp-python): it
        # constrains the output to the schema there; other servers ignore it or need the prompt.
        return {"messages": messages, "response_format": {"type": "json_object", "schema": strict_schema(schema)}}
    if mode == "tools":
        return {
            "messages": messages,
            "tools": [
                {
                    "type": "function",
                    "function": {
                        "name": name,
                        "description": (schema.__doc__ or name).strip(),
                        "parameters": strict_schema(schema),
                        "strict": True,
                    },
                }
            ],
            "tool_choice": {"type": "function", "function": {"name": name}},
        }
    raise ValueError(f"unknown structured-output mode {mode!r}; one of: {', '.join(MODES)}")


def _answer_text(message: ChatCompletionMessage, mode: str) -> str | None:
    if mode == "tools" and message.tool_calls:
        call = message.tool_calls[0]
        # Only a function call answers the forced function call; a custom tool call is invalid output.
        return call.function.arguments if call.type == "function" else None
    return message.content


def _call_once(
    *, client: openai.OpenAI, model: str, messages: list[dict[str, Any]], schema: type[T], mode: str, key_kind: str
) -> StructuredResult[T]:
    started = time.monotonic()
    try:
        completion = client.chat.completions.create(
            model=model,
            # Room for reasoning tokens on reasoning models; no temperature: many reject it.
            max_completion_tokens=settings.OPENAI_MAX_OUTPUT_TOKENS,
            **request_arguments(messages=messages, schema=schema, mode=mode),
        )
    except (openai.OpenAIError, json.JSONDecodeError) as exc:  # a 200 whose body is not JSON: the latter
        error = classify(exc)
        error.key_kind = key_kind
        metrics.MODEL_LATENCY.labels(model, error.code).observe(time.monotonic() - started)
        logger.warning(
            "model call failed: code=%s class=%s provider_request_id=%s",
            error.code,
            error.cause,
            error.provider_request_id,
        )
        if error.code == LLMErrorCode.UNSUPPORTED_REQUEST:
            logger.error(
                "the model server rejected a %s structured-output request: set OPENAI_STRUCTURED_OUTPUT to a mode "
                "it supports (manage.py check_model lists them)",
                mode,
            )
        raise error from None
    latency_ms = int((time.monotonic() - started) * 1000)
    request_id = getattr(completion, "_request_id", None)

    def invalid(cause: str) -> LLMError:
        return LLMError(LLMErrorCode.RESPONSE_INVALID, cause=cause, provider_request_id=request_id, key_kind=key_kind)

    if not completion.choices:
        raise invalid("no choices")
    choice = completion.choices[0]
    if choice.finish_reason == "content_filter" or choice.message.refusal:
        logger.warning("model refused: provider_request_id=%s", request_id)
        raise LLMError(LLMErrorCode.REFUSED, cause="refusal", provider_request_id=request_id, key_kind=key_kind)
    if choice.finish_reason == "length":
        raise invalid("truncated")  # the JSON is incomplete
    text = _answer_text(choice.message, mode)
    if not text:
        raise invalid("empty content")
    try:
        parsed = schema.model_validate(storable(json.loads(text)))
    except (json.JSONDecodeError, RecursionError):
        raise invalid("not JSON") from None
    except pydantic.ValidationError:
        raise invalid("schema") from None

    usage = completion.usage
    metrics.MODEL_LATENCY.labels(model, "ok").observe(latency_ms / 1000)
    if usage:
        metrics.MODEL_TOKENS.labels(model, "input").inc(usage.prompt_tokens or 0)
        metrics.MODEL_TOKENS.labels(model, "output").inc(usage.completion_tokens or 0)
    return StructuredResult(
        parsed=parsed,
        model=completion.model or model,
        input_tokens=usage.prompt_tokens if usage else None,
        output_tokens=usage.completion_tokens if usage else None,
        latency_ms=latency_ms,
        provider_request_id=request_id,
        key_kind=key_kind,
    )


def complete_structured(
    *,
    messages: list[dict[str, Any]],
    schema: type[T],
    credentials: Credentials | None = None,
    check: Callable[[T], None] | None = None,
    invalid_output_retries: int = 1,
    model: str | None = None,
    mode: str | None = None,
) -> StructuredResult[T]:
    """Ask the model for one object of ``schema``; raise :class:`LLMError` on any failure.

    ``credentials`` default to the service's key. ``check`` raises :class:`LLMError`
    ``AI_RESPONSE_INVALID`` for output the schema accepts but no reader could use; such output,
    like output that fails the schema, is asked for ``invalid_output_retries`` more times.
    """
    credentials = credentials or service_credentials()
    if credentials is None:
        raise LLMError(LLMErrorCode.NOT_CONFIGURED, cause="no model key")
    client = get_client(credentials)
    model = model or settings.OPENAI_MODEL
    mode = mode or settings.OPENAI_STRUCTURED_OUTPUT
    for attempt in range(invalid_output_retries + 1):
        try:
            outcome = _call_once(
                client=client, model=model, messages=messages, schema=schema, mode=mode, key_kind=credentials.kind
            )
            if check is not None:
                check(outcome.parsed)
            return outcome
        except LLMError as exc:
            if exc.code != LLMErrorCode.RESPONSE_INVALID or attempt == invalid_output_retries:
                exc.key_kind = credentials.kind
                raise
            logger.info("model output invalid (%s); asking once more", exc.cause)
    raise AssertionError("unreachable")
