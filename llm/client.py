"""Building the OpenAI SDK client from settings (works with any OpenAI-compatible server)."""

from __future__ import annotations

import threading

import httpx2
import openai
from django.conf import settings

from llm.errors import LLMError, LLMErrorCode

_lock = threading.Lock()
_cache: dict[tuple, openai.OpenAI] = {}


def _config() -> tuple:
    return (
        settings.OPENAI_API_KEY,
        settings.OPENAI_BASE_URL,
        settings.OPENAI_TIMEOUT_SECONDS,
        settings.OPENAI_CONNECT_TIMEOUT_SECONDS,
        settings.OPENAI_MAX_RETRIES,
    )


def get_client() -> openai.OpenAI:
    """One client (and its HTTP connection pool) per configuration, shared by worker threads.

    The SDK's default read timeout is 600 s; ours is explicit and short, and the SDK's own
    retries are kept low because the Celery task retries too (the two multiply).
    """
    key = _config()
    api_key, base_url, timeout, connect_timeout, max_retries = key
    if not api_key:
        raise LLMError(LLMErrorCode.NOT_CONFIGURED, cause="no OPENAI_API_KEY")
    with _lock:
        client = _cache.get(key)
        if client is None:
            client = openai.OpenAI(
                api_key=api_key,
                base_url=base_url,
                timeout=httpx2.Timeout(timeout, connect=connect_timeout),
                max_retries=max_retries,
            )
            _cache.clear()  # settings changed (tests): drop the old client
            _cache[key] = client
        return client
