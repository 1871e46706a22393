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


class ProblemCode(str):
    """A stable error ``code``, declared once, in the module whose exception (or handler) answers it.

    It is the code itself - a string that compares, renders and is stored as one - and carries
    what the OpenAPI schema (``common.schema``) documents of it: its usual HTTP ``status``,
    ``when`` it is answered and an ``example`` detail::

        SESSION_NOT_PAUSED = ProblemCode(
            "SESSION_NOT_PAUSED", 400, when="the session is not paused", example="Only a paused session..."
        )
        raise SessionStateError("Only a paused session can be resumed...", code=SESSION_NOT_PAUSED)

    Declaring registers it: ``@problem_codes`` (a view's codes) accepts only declared codes. The
    same code declared again identically is the same object; differently, a ``ValueError``.
    """

    status: int
    when: str
    example: str

    def __new__(cls, code: str, status: int, *, when: str, example: str) -> ProblemCode:
        code = str(code)
        existing = _declared.get(code)
        if existing is not None:
            if (existing.status, existing.when, existing.example) != (status, when, example):
                raise ValueError(f"problem code {code!r} is already declared differently")
            return existing
        self = super().__new__(cls, code)
        self.status, self.when, self.example = status, when, example
        _declared[code] = self
        return self

    def __getnewargs_ex__(self) -> tuple[tuple[Any, ...], dict[str, Any]]:  # copy and pickle: the declared one
        return (str(self), self.status), {"when": self.when, "example": self.example}


_declared: dict[str, ProblemCode] = {}


def problem_code(code: str) -> ProblemCode:
    """The declared code of this name; a ``LookupError`` for one nobody declared."""
    try:
        return _declared[str(code)]
    except KeyError:
        raise LookupError(
            f"undeclared problem code {str(code)!r}: declare it with ProblemCode(...) beside the exception that "
            "raises it"
        ) from None


def declared_problem_codes() -> dict[str, ProblemCode]:
    """Every declared code by name (those of apps not imported yet excepted)."""
    return dict(_declared)


# The codes any endpoint can answer: DRF's errors, our handler's and Django's (common/views.py).
VALIDATION_ERROR = ProblemCode(
    "VALIDATION_ERROR",
    400,
    when="a field (or query parameter) is missing or invalid; `errors` lists each one",
    example="This field is required.",
)
MALFORMED_REQUEST = ProblemCode(
    "MALFORMED_REQUEST", 400, when="the body is not valid JSON", example="The request body is not valid JSON."
)
BAD_REQUEST = ProblemCode(
    "BAD_REQUEST",
    400,
    when="the request breaks a rule or cannot be understood",
    example="The request could not be processed.",
)
REQUEST_TOO_LARGE = ProblemCode(
    "REQUEST_TOO_LARGE", 413, when="the body is over 2.5 MB", example="The request body is too large."
)
NOT_AUTHENTICATED = ProblemCode(
    "NOT_AUTHENTICATED",
    401,
    when="no `Authorization: Bearer <access_token>` header",
    example="Authentication credentials were not provided.",
)
INVALID_TOKEN = ProblemCode(
    "INVALID_TOKEN",
    401,
    when="the token is malformed or expired, or its user is no longer active",
    example="The access token is invalid or has expired.",
)
PERMISSION_DENIED = ProblemCode(
    "PERMISSION_DENIED",
    403,
    when="the request is not allowed for this user",
    example="You do not have permission to perform this action.",
)
CSRF_FAILED = ProblemCode(
    "CSRF_FAILED",
    403,
    when="a cookie-authenticated form came without its CSRF token",
    example="CSRF verification failed.",
)
NOT_FOUND = ProblemCode(
    "NOT_FOUND",
    404,
    when="no such resource, or it belongs to another user (also a malformed id or page number)",
    example="Not found.",
)
METHOD_NOT_ALLOWED = ProblemCode(
    "METHOD_NOT_ALLOWED", 405, when="the path does not take this method", example='Method "OPTIONS" not allowed.'
)
NOT_ACCEPTABLE = ProblemCode(
    "NOT_ACCEPTABLE",
    406,
    when="no representation matches the `Accept` header",
    example="Could not satisfy the request Accept header.",
)
CONFLICT = ProblemCode(
    "CONFLICT",
    409,
    when="the request conflicts with the current state",
    example="The request conflicts with the current state.",
)
UNSUPPORTED_MEDIA_TYPE = ProblemCode(
    "UNSUPPORTED_MEDIA_TYPE",
    415,
    when="the body is not `application/json`",
    example='Unsupported media type "text/plain" in request.',
)
RATE_LIMITED = ProblemCode(
    "RATE_LIMITED",
    429,
    when="too many requests; try again after `Retry-After` seconds",
    example="Request was throttled. Expected available in 42 seconds.",
)
LOGIN_LOCKED_OUT = ProblemCode(
    "LOGIN_LOCKED_OUT",
    429,
    when="too many failed admin logins for this account or address",
    example="Too many failed logins. Try again later, or ask an administrator.",
)
INTERNAL_ERROR = ProblemCode(
    "INTERNAL_ERROR",
    500,
    when="a bug; the response carries no detail of it",
    example="An unexpected error occurred. Please try again later.",
)
SERVICE_UNAVAILABLE = ProblemCode(
    "SERVICE_UNAVAILABLE",
    503,
    when="a dependency (the database, or the cache a limit counts in) is unreachable; try again after `Retry-After`",
    example="The service is temporarily unavailable. Please try again shortly.",
)


class ApplicationError(Exception):
    """A domain rule was broken; the handler turns it into problem details.

    Services raise this (or a subclass) with a stable ``code`` and a plain message.
    """

    status_code: int = 400
    code: ProblemCode = BAD_REQUEST
    default_detail: str = "The request could not be processed."

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: ProblemCode | None = None,
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
    code = NOT_FOUND
    default_detail = "Not found."


class ConflictError(ApplicationError):
    status_code = 409
    code = CONFLICT
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
        "code": str(code),
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


# DRF's exceptions answered with our codes (each code's declared status is the one sent).
_DRF_CODES: list[tuple[type[Exception], ProblemCode]] = [
    (drf.ParseError, MALFORMED_REQUEST),
    (drf.NotAuthenticated, NOT_AUTHENTICATED),
    (InvalidToken, INVALID_TOKEN),
    (drf.AuthenticationFailed, INVALID_TOKEN),
    (drf.PermissionDenied, PERMISSION_DENIED),
    (drf.NotFound, NOT_FOUND),
    (drf.MethodNotAllowed, METHOD_NOT_ALLOWED),
    (drf.NotAcceptable, NOT_ACCEPTABLE),
    (drf.UnsupportedMediaType, UNSUPPORTED_MEDIA_TYPE),
    (drf.Throttled, RATE_LIMITED),
]

_PLAIN_DETAIL = {
    NOT_AUTHENTICATED: "Authentication credentials were not provided.",
    INVALID_TOKEN: "The access token is invalid or has expired.",
    NOT_FOUND: "Not found.",
    MALFORMED_REQUEST: "The request body is not valid JSON.",
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
        return problem_response(404, NOT_FOUND, _PLAIN_DETAIL[NOT_FOUND])
    if isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    if isinstance(exc, TokenError):
        exc = InvalidToken()

    if isinstance(exc, drf.ValidationError):
        errors = flatten_errors(exc.detail)
        detail = errors[0]["message"] if len(errors) == 1 else "The request contains invalid fields."
        return problem_response(400, VALIDATION_ERROR, detail, errors=errors)

    for klass, code in _DRF_CODES:
        if isinstance(exc, klass):
            status = code.status
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
        api_code = str(exc.default_code).upper()
        return problem_response(exc.status_code, api_code, str(exc.detail), headers=getattr(exc, "headers", None))

    if isinstance(exc, (OperationalError, InterfaceError)) or (
        isinstance(exc, DatabaseError) and _is_connection_failure(exc)
    ):
        logger.error("database unavailable: %s", type(exc).__name__)
        return problem_response(
            503,
            SERVICE_UNAVAILABLE,
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
