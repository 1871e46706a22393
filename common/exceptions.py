"""One error format for the whole API: RFC 9457 problem details with a stable ``code``.

Every error - DRF's validation, authentication, throttling, 404 and 405, our domain
errors and anything unhandled - leaves through :func:`problem_exception_handler` (or the
Django-level handlers in ``common.views``) as ``application/problem+json``.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import set_rollback
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"


class ApplicationError(Exception):
    """A domain rule was broken; the handler turns it into problem details.

    Services raise this (or a subclass) with a stable ``code`` and a plain message.
    """

    status_code: int = 400
    code: str = "BAD_REQUEST"
    default_detail: str = "The request could not be processed."

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        status_code: int | None = None,
        headers: dict[str, str] | None = None,
        errors: list[dict[str, str]] | None = None,
    ) -> None:
        self.detail = detail or self.default_detail
        self.errors = errors
        if code is not None:
            self.code = code
        if status_code is not None:
            self.status_code = status_code
        self.headers = headers or {}
        super().__init__(self.detail)


class NotFoundError(ApplicationError):
    status_code = 404
    code = "NOT_FOUND"
    default_detail = "Not found."


class ConflictError(ApplicationError):
    status_code = 409
    code = "CONFLICT"
    default_detail = "The request conflicts with the current state."


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    title: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors is not None:
        body["errors"] = errors
    return body


def problem_response(status: int, code: str, detail: str, **kwargs: Any) -> Response:
    headers = kwargs.pop("headers", None)
    return Response(
        problem(status, code, detail, **kwargs),
        status=status,
        headers=headers,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def _printable(text: str) -> str:
    """Messages can echo the input ("'x' is not a valid choice"): no lone surrogate or NUL may
    reach the UTF-8 response (encoding it would fail, a 500)."""
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")


def flatten_errors(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    """DRF's nested error structure -> ``[{"field": "a.b", "message": "..."}]``."""
    out: list[dict[str, str]] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            field = f"{prefix}.{key}" if prefix else str(key)
            out.extend(flatten_errors(value, field))
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, (dict, list)):
                out.extend(flatten_errors(value, f"{prefix}.{index}" if prefix else str(index)))
            else:
                out.append({"field": _printable(prefix or "non_field_errors"), "message": _printable(str(value))})
    else:
        out.append({"field": _printable(prefix or "non_field_errors"), "message": _printable(str(detail))})
    return out


_DRF_CODES: list[tuple[type[Exception], int, str]] = [
    (drf.ParseError, 400, "MALFORMED_REQUEST"),
    (drf.NotAuthenticated, 401, "NOT_AUTHENTICATED"),
    (InvalidToken, 401, "INVALID_TOKEN"),
    (drf.AuthenticationFailed, 401, "INVALID_TOKEN"),
    (drf.PermissionDenied, 403, "PERMISSION_DENIED"),
    (drf.NotFound, 404, "NOT_FOUND"),
    (drf.MethodNotAllowed, 405, "METHOD_NOT_ALLOWED"),
    (drf.NotAcceptable, 406, "NOT_ACCEPTABLE"),
    (drf.UnsupportedMediaType, 415, "UNSUPPORTED_MEDIA_TYPE"),
    (drf.Throttled, 429, "RATE_LIMITED"),
]

_PLAIN_DETAIL = {
    "NOT_AUTHENTICATED": "Authentication credentials were not provided.",
    "INVALID_TOKEN": "The access token is invalid or has expired.",
    "NOT_FOUND": "Not found.",
    "MALFORMED_REQUEST": "The request body is not valid JSON.",
}


def _auth_headers(exc: Exception) -> dict[str, str]:
    # APIView.handle_exception puts the authenticator's challenge on the exception.
    header = getattr(exc, "auth_header", None)
    return {"WWW-Authenticate": header} if header else {}


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: DRF's and our exceptions become problem details; None for the rest."""
    set_rollback()
    if isinstance(exc, ApplicationError):
        return problem_response(exc.status_code, exc.code, exc.detail, headers=exc.headers, errors=exc.errors)

    if isinstance(exc, (Http404, drf.NotFound)):
        return problem_response(404, "NOT_FOUND", _PLAIN_DETAIL["NOT_FOUND"])
    if isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    if isinstance(exc, TokenError):
        exc = InvalidToken()

    if isinstance(exc, drf.ValidationError):
        errors = flatten_errors(exc.detail)
        detail = errors[0]["message"] if len(errors) == 1 else "The request contains invalid fields."
        return problem_response(400, "VALIDATION_ERROR", detail, errors=errors)

    for klass, status, code in _DRF_CODES:
        if isinstance(exc, klass):
            headers: dict[str, str] = {}
            if status == 401:
                headers.update(_auth_headers(exc))
            if isinstance(exc, drf.Throttled):
                wait: float | None = exc.wait  # type: ignore[attr-defined]  # set by DRF's __init__, missing from the stub
                if wait is not None:
                    headers["Retry-After"] = str(max(1, int(wait + 0.999)))
            detail = _PLAIN_DETAIL.get(code) or str(getattr(exc, "detail", "")) or HTTPStatus(status).phrase
            return problem_response(status, code, detail, headers=headers)

    if isinstance(exc, drf.APIException):
        code = str(exc.default_code).upper()
        return problem_response(exc.status_code, code, str(exc.detail), headers=getattr(exc, "headers", None))

    if isinstance(exc, (OperationalError, InterfaceError)) or (
        isinstance(exc, DatabaseError) and _is_connection_failure(exc)
    ):
        logger.error("database unavailable: %s", type(exc).__name__)
        return problem_response(
            503,
            "SERVICE_UNAVAILABLE",
            "The service is temporarily unavailable. Please try again shortly.",
            headers={"Retry-After": "5"},
        )

    # Anything else is not ours to answer: Django's own handling runs (it answers bad input -
    # SuspiciousOperation, RequestDataTooBig, BadRequest... - with 400 through handler400, and
    # a bug with 500 through handler500, logging its traceback), and its handlers in
    # common/views.py write problem details.
    return None


def _is_connection_failure(exc: DatabaseError) -> bool:
    cause = exc.__cause__
    return cause is not None and type(cause).__name__ in {"OperationalError", "InterfaceError", "PoolTimeout"}
