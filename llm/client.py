"""OpenAI SDK clients from settings (any OpenAI-compatible server), one per key, bounded in number."""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import httpx2
import openai
from django.conf import settings

from llm.errors import LLMError, LLMErrorCode

_lock = threading.Lock()
# (key, base URL, read timeout, connect timeout, SDK retries) -> a client per shard
_cache: OrderedDict[tuple[str, str | None, float, float, int], list[openai.OpenAI | None]] = OrderedDict()

# Clients per key, each thread always on the same one. httpcore hands a request a connection by
# scanning every connection of the pool, twice per request: with a worker's 200 threads on one
# client that scan was a tenth of the worker's CPU; on 8 clients of ~25 connections it is noise.
SHARDS = 8
_thread = threading.local()
_next_shard = itertools.count()


def _shard() -> int:
    shard = getattr(_thread, "shard", None)
    if shard is None:
        shard = _thread.shard = next(_next_shard) % SHARDS
    return shard


@dataclass(frozen=True)
class Credentials:
    """The key a call runs on, and whose it is: ``"user"`` (their own, billed to them) or ``"service"``."""

    api_key: str = field(repr=False)
    kind: str

    def __post_init__(self) -> None:
        if self.kind not in ("user", "service"):
            raise ValueError(f"unknown key kind {self.kind!r}")


def service_credentials() -> Credentials | None:
    """The service's own key (OPENAI_API_KEY), or None when it has none."""
    return Credentials(settings.OPENAI_API_KEY, "service") if settings.OPENAI_API_KEY else None


def get_client(credentials: Credentials | None = None) -> openai.OpenAI:
    """A client (and its HTTP connection pool) for these credentials, shared by worker threads.

    One set (SHARDS) per key and configuration, the least recently used key dropped beyond
    OPENAI_CLIENT_CACHE_SIZE: users' keys do not grow the process without bound. The SDK's
    default read timeout is 600 s; ours is explicit, and the SDK's own retries are kept low
    because the Celery task retries too (the two multiply).
    """
    credentials = credentials or service_credentials()
    if credentials is None or not credentials.api_key:
        raise LLMError(LLMErrorCode.NOT_CONFIGURED, cause="no model key")
    key = (
        credentials.api_key,
        settings.OPENAI_BASE_URL,
        settings.OPENAI_TIMEOUT_SECONDS,
        settings.OPENAI_CONNECT_TIMEOUT_SECONDS,
        settings.OPENAI_MAX_RETRIES,
    )
    shard = _shard()
    with _lock:
        clients = _cache.get(key)
        if clients is None:
            clients = _cache[key] = [None] * SHARDS
            while len(_cache) > settings.OPENAI_CLIENT_CACHE_SIZE:
                _cache.popitem(last=False)  # in-flight calls keep their client; it is closed when collected
        else:
            _cache.move_to_end(key)
        client = clients[shard]
        if client is not None:
            return client
        client = clients[shard] = openai.OpenAI(
            api_key=credentials.api_key,
            base_url=settings.OPENAI_BASE_URL,
            timeout=httpx2.Timeout(settings.OPENAI_TIMEOUT_SECONDS, connect=settings.OPENAI_CONNECT_TIMEOUT_SECONDS),
            max_retries=settings.OPENAI_MAX_RETRIES,
        )
        return client


def cached_clients() -> int:
    return len(_cache)
