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
from typing import TYPE_CHECKING, Any

from django.conf import settings
from redis.exceptions import RedisError
from rest_framework.exceptions import APIException
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from common.emails import normalize_email

if TYPE_CHECKING:  # rest_framework.views imports this module (DEFAULT_THROTTLE_CLASSES)
    from django.http import HttpRequest
    from rest_framework.request import Request
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)


class LimitUnavailableError(APIException):
    """503 SERVICE_UNAVAILABLE: a limit guarding credentials cannot count (its cache is down).

    A DRF exception, not common.exceptions' (DRF imports this module while common.exceptions
    imports DRF); the exception handler answers it as problem details with its headers.
    """

    status_code = 503
    default_detail = "The service is temporarily unavailable. Please try again shortly."
    default_code = "service_unavailable"
    headers = {"Retry-After": "5"}


def admin_login_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """django-axes: the account an admin login attempt names, normalised as the login normalises it."""
    username = (credentials or {}).get("username") or request.POST.get("username")
    return normalize_email(username) if isinstance(username, str) and username.strip() else None


def client_address(request: HttpRequest) -> str:
    """The client's address as every limit sees it (DRF's rule: NUM_PROXIES); django-axes uses it too."""
    # django-axes passes Django's HttpRequest; get_ident reads only its headers and META.
    return BaseThrottle().get_ident(request)  # type: ignore[arg-type]  # stub wants DRF's Request


class SettingRateThrottle(SimpleRateThrottle):
    """A throttle whose rate is the Django setting named by ``rate_setting``.

    With the cache (Redis) down, a throttle on money-spending endpoints fails open (the request
    is served unthrottled, as generate-feedback must still answer 202), and one guarding
    credentials fails closed (503): a brute-force limit is never silently dropped.
    """

    rate_setting: str = ""
    fail_closed: bool = False
    # The methods it counts (None: all). The OpenAPI schema documents 429 for those only.
    methods: frozenset[str] | None = None

    def get_rate(self) -> str | None:
        return getattr(settings, self.rate_setting, None) or None

    def timer(self) -> float:
        # Looked up at call time (DRF binds time.time once), so freezegun can move it.
        return time.time()

    def allow_request(self, request: Request, view: APIView) -> bool:
        if self.methods is not None and request.method not in self.methods:
            return True
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError) as exc:
            if self.fail_closed:
                logger.error("throttle %s cannot count (%s): request refused", self.scope, type(exc).__name__)
                raise LimitUnavailableError() from None
            logger.warning("throttle %s skipped, cache unavailable: %s", self.scope, type(exc).__name__)
            return True


class FeedbackRateThrottle(SettingRateThrottle):
    """Per user: every ``generate-feedback`` call may spend model money."""

    scope = "feedback"
    rate_setting = "FEEDBACK_RATE_LIMIT"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
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
    fail_closed = True

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginEmailRateThrottle(SettingRateThrottle):
    """Per account: login attempts on one email address, from whatever address they come.

    The address is normalised as the login normalises it (trimmed, lower-cased) and hashed,
    so the cache holds no email address. A body without a usable email is not counted
    here (it fails validation; the per-address limit still counts it).
    """

    scope = "login_email"
    rate_setting = "LOGIN_RATE_LIMIT_PER_EMAIL"
    fail_closed = True

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
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
    fail_closed = True

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PasswordChangeRateThrottle(FeedbackRateThrottle):
    """Per user: password changes (each checks the current password: a guessing target)."""

    scope = "password_change"
    rate_setting = "PASSWORD_CHANGE_RATE_LIMIT"
    fail_closed = True


class WriteRateThrottle(SettingRateThrottle):
    """Per user, the default on every endpoint (REST_FRAMEWORK's DEFAULT_THROTTLE_CLASSES): writes
    (POST, PUT, PATCH, DELETE) by one account, whatever the endpoint. Endpoints with a limit of
    their own (login, generate-feedback, ...) set theirs instead."""

    scope = "write"
    rate_setting = "WRITE_RATE_LIMIT"
    methods = frozenset({"POST", "PUT", "PATCH", "DELETE"})

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class RegisterAddressRateThrottle(SettingRateThrottle):
    """Per client address: account creation."""

    scope = "register_address"
    rate_setting = "REGISTER_RATE_LIMIT_PER_ADDRESS"
    fail_closed = True

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
