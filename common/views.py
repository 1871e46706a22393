"""Django-level error views: unknown URLs, 500s and CSRF failures as problem details too."""

from __future__ import annotations

import logging
import sys
from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, JsonResponse

from common.exceptions import (
    BAD_REQUEST,
    CSRF_FAILED,
    INTERNAL_ERROR,
    LOGIN_LOCKED_OUT,
    NOT_FOUND,
    PERMISSION_DENIED,
    PROBLEM_CONTENT_TYPE,
    REQUEST_TOO_LARGE,
    SERVICE_UNAVAILABLE,
    problem,
)

logger = logging.getLogger(__name__)


def _problem_response(status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> JsonResponse:
    return JsonResponse(
        problem(status, code, detail),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
        headers=headers,
    )


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _problem_response(404, NOT_FOUND, "Not found.")


def server_error(request: HttpRequest) -> JsonResponse:
    # Django calls this inside its `except` block, so the exception is still current.
    exc = sys.exc_info()[1]
    if isinstance(exc, (OperationalError, InterfaceError)):
        return _problem_response(
            503,
            SERVICE_UNAVAILABLE,
            "The service is temporarily unavailable. Please try again shortly.",
            headers={"Retry-After": "5"},
        )
    return _problem_response(500, INTERNAL_ERROR, "An unexpected error occurred. Please try again later.")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """Django's answer to bad input (SuspiciousOperation, BadRequest, ...): 400, or 413 for a body too large."""
    if isinstance(exception, (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)):
        return _problem_response(413, REQUEST_TOO_LARGE, "The request body is too large.")
    return _problem_response(400, BAD_REQUEST, "The request could not be understood.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _problem_response(403, PERMISSION_DENIED, "You do not have permission to perform this action.")


def csrf_failure(request: HttpRequest, reason: str = "") -> JsonResponse:
    return _problem_response(403, CSRF_FAILED, "CSRF verification failed.")


def admin_locked_out(
    request: HttpRequest, credentials: dict[str, Any] | None = None, *args: Any, **kwargs: Any
) -> JsonResponse:
    """django-axes: the admin login after too many failures (account or address) - a plain page."""
    return JsonResponse(
        problem(429, LOGIN_LOCKED_OUT, "Too many failed logins. Try again later, or ask an administrator."),
        status=429,
        content_type=PROBLEM_CONTENT_TYPE,
    )
