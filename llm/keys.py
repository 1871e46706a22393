"""Checking a key with the provider before it is stored: one cheap call (list the models)."""

from __future__ import annotations

import logging

import httpx2
import openai
from django.conf import settings

from llm.errors import LLMError, LLMErrorCode

logger = logging.getLogger(__name__)

# A key check is interactive (a user waits on PUT /users/me/api-key): a short bound.
VALIDATION_TIMEOUT_SECONDS = 10.0


def validate_key(api_key: str) -> None:
    """Return if the provider accepts ``api_key``; raise :class:`LLMError` otherwise.

    ``AI_AUTH_FAILED`` when it answers 401/403; ``AI_UNAVAILABLE`` / ``AI_TIMEOUT`` when it
    cannot be reached or fails (5xx). Any other answer - a server without a model list (404),
    a rate limit on a key that authenticated - means the key itself was accepted.
    """
    client = openai.OpenAI(
        api_key=api_key,
        base_url=settings.OPENAI_BASE_URL,
        timeout=httpx2.Timeout(VALIDATION_TIMEOUT_SECONDS, connect=settings.OPENAI_CONNECT_TIMEOUT_SECONDS),
        max_retries=0,
    )
    try:
        client.models.list()
    except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
        raise LLMError(LLMErrorCode.AUTH_FAILED, cause=type(exc).__name__) from None
    except openai.APITimeoutError as exc:  # before its base class, APIConnectionError
        raise LLMError(LLMErrorCode.TIMEOUT, cause=type(exc).__name__) from None
    except openai.APIConnectionError as exc:
        raise LLMError(LLMErrorCode.UNAVAILABLE, cause=type(exc).__name__) from None
    except openai.APIStatusError as exc:
        if exc.status_code >= 500:
            raise LLMError(LLMErrorCode.UNAVAILABLE, cause=type(exc).__name__) from None
        logger.info("key check answered %s; the key itself was accepted", exc.status_code)
    finally:
        client.close()
