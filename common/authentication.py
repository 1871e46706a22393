"""Bearer JWT authentication: simplejwt's, with a cached user and the token version checked.

Every API request authenticates, so the user lookup is on the hottest path there is: the user
is read from the shared cache (Redis in production) and from the database only on a miss, then
kept for USER_CACHE_SECONDS. Whatever must take effect at once drops the entry
(:func:`forget_user`): a password change (which also bumps the token version every token
carries), an account deletion, a deactivation in the admin. A dead cache is skipped.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from redis.exceptions import RedisError
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token

logger = logging.getLogger(__name__)

# The user's token version the token carries (accounts.services issues it): a password change
# bumps the user's, and every token issued before stops working at once.
TOKEN_VERSION_CLAIM = "ver"


def token_user_id(payload: Token | dict[str, Any]) -> str:
    """The token's user id as a UUID string; InvalidToken if missing or not a UUID."""
    try:
        return str(uuid.UUID(str(payload[api_settings.USER_ID_CLAIM])))
    except (KeyError, ValueError, TypeError):
        raise InvalidToken("Token contained no recognizable user identification") from None


def _key(user_id: object) -> str:
    return f"auth-user:{user_id}"


def forget_user(user_id: object) -> None:
    """Drop the cached user: the next request reads it from the database."""
    try:
        cache.delete(_key(user_id))
    except (RedisError, OSError) as exc:  # the entry lapses within USER_CACHE_SECONDS anyway
        logger.warning("could not drop cached user %s: %s", user_id, type(exc).__name__)


def cached_user(user_id: str) -> AbstractBaseUser | None:
    """The active user with this id (cache, else database), or None."""
    try:
        cached: AbstractBaseUser | None = cache.get(_key(user_id))
    except (RedisError, OSError):
        cached = None
    if cached is not None:
        return cached
    # Without the password hash: it stays out of the cache (read from the database when needed).
    fields = ("id", "email", "is_active", "is_staff", "is_superuser", "token_version", "created_at", "last_login")
    user = get_user_model().objects.filter(pk=user_id, is_active=True).only(*fields).first()
    if user is not None and settings.USER_CACHE_SECONDS:
        try:
            cache.set(_key(user_id), user, settings.USER_CACHE_SECONDS)
        except (RedisError, OSError):
            pass
    return user


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt's authentication, answering 401 (not 500) for a signed token whose user id is not a
    UUID, and for a token older than its user's last password change; the user from the cache."""

    # simplejwt annotates get_user with a TypeVar it binds nowhere (AuthUser), which no override can match.
    def get_user(self, validated_token: Token) -> AbstractBaseUser:  # type: ignore[override]
        user = cached_user(token_user_id(validated_token))
        if user is None:
            raise AuthenticationFailed("User not found", code="user_not_found")
        if validated_token.get(TOKEN_VERSION_CLAIM, 0) != getattr(user, "token_version", 0):
            raise InvalidToken("Token was revoked")
        return user
