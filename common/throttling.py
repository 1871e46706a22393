"""Rate limits (DRF throttles) on the endpoints that cost money or invite brute force.

The counters live in Django's default cache: Redis in production (``CACHE_URL``), so a
limit holds across every web process. A throttled request answers 429 ``RATE_LIMITED``
problem details with ``Retry-After`` (``common.exceptions``).

Each rate is a Django setting (docs/api.md), read
when the throttle is built, i.e. per request: tests and operators change it without a
restart of anything but the process. An empty rate turns that limit off.

The client address is ``REMOTE_ADDR``, or the ``X-Forwarded-For`` entry added by the
outermost of ``NUM_PROXIES`` trusted proxies (DRF's ``get_ident``). ``NUM_PROXIES``
defaults to 0 here, so a client cannot choose its own address by sending the header.
"""

from __future__ import annotations

import hashlib
import logging
import time

from django.conf import settings
from redis.exceptions import RedisError
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import normalize_email

logger = logging.getLogger(__name__)


class SettingRateThrottle(SimpleRateThrottle):
    """A throttle whose rate is the Django setting named by ``rate_setting``."""

    rate_setting: str = ""

    def get_rate(self) -> str | None:
        return getattr(settings, self.rate_setting, None) or None

    def timer(self) -> float:
        # Looked up at call time (DRF binds time.time once), so freezegun can move it.
        return time.time()

    def allow_request(self, request, view) -> bool:
        # Fail open: with the cache (Redis) down, requests are served unthrottled rather
        # than answered 500 - generate-feedback still answers 202 when Redis is down.
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError) as exc:
            logger.warning("throttle %s skipped, cache unavailable: %s", self.scope, type(exc).__name__)
            return True


class FeedbackRateThrottle(SettingRateThrottle):
    """Per user: every ``generate-feedback`` call may spend model money."""

    scope = "feedback"
    rate_setting = "FEEDBACK_RATE_LIMIT"

    def get_cache_key(self, request, view) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None  # authentication answers 401 first anyway
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class QuestionRateThrottle(FeedbackRateThrottle):
    """Per user: every ``generate-question`` call may spend model money too."""

    scope = "question"
    rate_setting = "QUESTION_RATE_LIMIT"


class LoginAddressRateThrottle(SettingRateThrottle):
    """Per client address: login attempts from one address, whatever account they try."""

    scope = "login_address"
    rate_setting = "LOGIN_RATE_LIMIT_PER_ADDRESS"

    def get_cache_key(self, request, view) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginEmailRateThrottle(SettingRateThrottle):
    """Per account: login attempts on one email address, from whatever address they come.

    The address is normalised as the login normalises it (trimmed, lower-cased) and hashed,
    so the cache holds no email address. A body without a usable email is not counted
    here (it fails validation; the per-address limit still counts it).
    """

    scope = "login_email"
    rate_setting = "LOGIN_RATE_LIMIT_PER_EMAIL"

    def get_cache_key(self, request, view) -> str | None:
        data = request.data if isinstance(request.data, dict) else {}
        email = data.get("email")
        if not isinstance(email, str) or not email.strip():
            return None
        # surrogatepass: a lone surrogate (valid JSON) must not make hashing the key fail.
        digest = hashlib.sha256(normalize_email(email).encode("utf-8", "surrogatepass")).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": digest}


class RefreshAddressRateThrottle(SettingRateThrottle):
    """Per client address: token refreshes and logouts (each checks a signature and hits the database)."""

    scope = "refresh_address"
    rate_setting = "REFRESH_RATE_LIMIT_PER_ADDRESS"

    def get_cache_key(self, request, view) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PasswordChangeRateThrottle(FeedbackRateThrottle):
    """Per user: password changes (each checks the current password: a guessing target)."""

    scope = "password_change"
    rate_setting = "PASSWORD_CHANGE_RATE_LIMIT"


class RegisterAddressRateThrottle(SettingRateThrottle):
    """Per client address: account creation."""

    scope = "register_address"
    rate_setting = "REGISTER_RATE_LIMIT_PER_ADDRESS"

    def get_cache_key(self, request, view) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
