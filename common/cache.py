"""Django's Redis cache, with one redis-py client per connection pool instead of one per call.

Django's RedisCacheClient builds a ``redis.Redis`` object for every cache call (a few dozen
microseconds, on every authenticated request and every throttle check). A client is a thin,
thread-safe wrapper of its pool, so one per pool does the same work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.cache.backends import redis as django_redis
from redis import ConnectionPool, Redis


class RedisCacheClient(django_redis.RedisCacheClient):
    if TYPE_CHECKING:  # Django's own private members, which django-stubs leaves out
        _client: type[Redis]

        def _get_connection_pool(self, write: bool) -> ConnectionPool: ...

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Redis] = {}

    def get_client(self, key: str | bytes | memoryview | None = None, *, write: bool = False) -> Redis:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
