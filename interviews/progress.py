"""A user's practice history changed: what is derived from it and cached (the dashboard) is outdated.

Each user has a *progress version* in the shared cache; whatever caches a view of the history
keys it by that version, and every write that changes the history (an answer, a completion,
stored feedback, a session or posting changed or deleted) calls :func:`progress_changed`, which
replaces the version once the write commits. A reader that computed from the old history stores
its result under the old version, never read again: no stale entry outlives the write, however
the two interleave.

Only with a shared cache (Redis): the worker stores feedback, so a per-process cache (the local
default) could not hear of it; ``DASHBOARD_CACHE_SECONDS`` is 0 there and nothing is cached.
A dead cache is skipped: readers compute, writers' bumps are lost (entries lapse on their own).
"""

from __future__ import annotations

import logging
import uuid

from django.core.cache import cache
from django.db import transaction
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

VERSION_SECONDS = 7 * 24 * 3600  # a user idle longer than this starts afresh (a miss, nothing stale)
CACHE_ERRORS = (RedisError, OSError)


def _key(user_id) -> str:
    return f"progress-version:{user_id}"


def progress_version(user_id) -> str | None:
    """The user's current progress version (created if none), or None if the cache is down."""
    try:
        version = cache.get(_key(user_id))
        if version is None:
            cache.add(_key(user_id), uuid.uuid4().hex, VERSION_SECONDS)
            version = cache.get(_key(user_id))
        return version
    except CACHE_ERRORS as exc:
        logger.warning("progress version unavailable for user %s: %s", user_id, type(exc).__name__)
        return None


def progress_changed(user_id) -> None:
    """The user's history changes in the current transaction: a new version once it commits."""

    def bump() -> None:
        try:
            cache.set(_key(user_id), uuid.uuid4().hex, VERSION_SECONDS)
        except CACHE_ERRORS as exc:
            logger.warning("progress version of user %s not replaced: %s", user_id, type(exc).__name__)

    transaction.on_commit(bump)
