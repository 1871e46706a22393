"""The Redis cache keeps its connections for the whole process (common/cache.py)."""

import contextvars

import redis
from django.conf import settings
from django.core.cache import caches


def test_each_request_context_reuses_the_process_connection_to_redis():
    """Under uvicorn every API request runs in a fresh copy of the server's context (a2wsgi), where
    Django builds a new cache object: it must not mean a new connection to Redis per request."""
    assert settings.CACHES["default"]["BACKEND"] == "common.cache.RedisCache"
    probe = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    seen = set()

    def request() -> None:
        cache = caches["default"]
        seen.add(id(cache))
        cache.get("test-cache-probe")

    # Empty contexts, as the server's own never touched the cache.
    contextvars.Context().run(request)  # the process's first use may connect
    before = probe.info("stats")["total_connections_received"]
    for _ in range(20):
        contextvars.Context().run(request)
    after = probe.info("stats")["total_connections_received"]

    assert len(seen) > 1  # the situation under test: a new cache object per context
    assert after - before < 5  # counted server-wide: leave room for other clients; it was 20 per 20
