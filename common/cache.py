"""Django's Redis cache, with its connection pools and redis-py clients kept for the whole process.

Django keeps a cache object per context (``caches`` is an asgiref ``Local``, contextvar-backed),
and its ``RedisCacheClient`` keeps the connection pools on that object. Under uvicorn each API
request runs in a fresh copy of the server's context (a2wsgi, like asgiref, copies it), so the
cache object, its pool and its TCP connection to Redis were all built again for every request:
a connect, and redis-py reading its own package metadata for each new connection - ~30 % of the
web CPU of a poll (py-spy). Here the pools (one per server URL and options) and a client per
pool live in this module: every cache object of the process shares them. redis-py's pools and
clients are thread-safe, and a pool re-opens its connections in a forked child.

Django's client also builds a ``redis.Redis`` object for every call; one per pool does the same work.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from django.core.cache.backends import redis as django_redis
from redis import ConnectionPool, Redis

_lock = threading.Lock()
_pools: dict[tuple[str, str, str], ConnectionPool] = {}
_clients: dict[int, Redis] = {}


class RedisCacheClient(django_redis.RedisCacheClient):
    if TYPE_CHECKING:  # Django's own private members, which django-stubs leaves out
        _client: type[Redis]
        _servers: list[str]
        _pool_class: type[ConnectionPool]
        _pool_options: dict[str, Any]
        _pools: dict[int, ConnectionPool]

        def _get_connection_pool_index(self, write: bool) -> int: ...

    def _get_connection_pool(self, write: bool) -> ConnectionPool:
        index = self._get_connection_pool_index(write)
        pool = self._pools.get(index)  # this cache object's, once looked up
        if pool is None:
            url = self._servers[index]
            pool_class = f"{self._pool_class.__module__}.{self._pool_class.__qualname__}"
            key = (url, repr(sorted(self._pool_options.items())), pool_class)
            with _lock:
                pool = _pools.get(key)
                if pool is None:
                    pool = _pools[key] = self._pool_class.from_url(url, **self._pool_options)
            self._pools[index] = pool
        return pool

    def get_client(self, key: str | bytes | memoryview | None = None, *, write: bool = False) -> Redis:
        pool = self._get_connection_pool(write)
        client = _clients.get(id(pool))
        if client is None:
            with _lock:
                client = _clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
