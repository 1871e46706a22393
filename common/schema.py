"""The OpenAPI schema (drf-spectacular): problem-details errors documented on every operation.

``ProblemAutoSchema`` (``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``) adds to each operation the
error responses it can give, as ``application/problem+json`` with the ``ProblemDetails``
component and the exact list of ``code`` values (an enum, a description and one example
each):

- the ones every operation of a kind can give, derived from the view: 401 where a token is
  required, 400 ``VALIDATION_ERROR`` / ``MALFORMED_REQUEST`` and 415 where there is a body,
  404 where the path has an id, 400 and 404 on filtered, paginated lists, 429 where a
  throttle applies;
- the domain codes of one handler, declared next to it with :func:`problem_codes`.

Schemathesis (``tests/test_schemathesis.py``) checks every response against this, so an
undocumented status or code fails the build.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ComponentRegistry
from drf_spectacular.utils import Direction
from rest_framework import serializers

from common.exceptions import PROBLEM_CONTENT_TYPE, problem

F = TypeVar("F", bound=Callable[..., Any])

# code -> (HTTP status, when it happens, an example `detail`)
PROBLEM_CODES: dict[str, tuple[int, str, str]] = {
    # Any operation of a kind (added by ProblemAutoSchema).
    "VALIDATION_ERROR": (
        400,
        "a field (or query parameter) is missing or invalid; `errors` lists each one",
        "This field is required.",
    ),
    "MALFORMED_REQUEST": (400, "the body is not valid JSON", "The request body is not valid JSON."),
    "REQUEST_TOO_LARGE": (413, "the body is over 2.5 MB", "The request body is too large."),
    "NOT_AUTHENTICATED": (
        401,
        "no `Authorization: Bearer <access_token>` header",
        "Authentication credentials were not provided.",
    ),
    "INVALID_TOKEN": (
        401,
        "the token is malformed or expired, or its user is no longer active",
        "The access token is invalid or has expired.",
    ),
    "NOT_FOUND": (
        404,
        "no such resource, or it belongs to another user (also a malformed id or page number)",
        "Not found.",
    ),
    "UNSUPPORTED_MEDIA_TYPE": (
        415,
        "the body is not `application/json`",
        'Unsupported media type "text/plain" in request.',
    ),
    "SERVICE_UNAVAILABLE": (
        503,
        "a dependency (the database, or the cache a limit counts in) is unreachable; try again after `Retry-After`",
        "The service is temporarily unavailable. Please try again shortly.",
    ),
    "RATE_LIMITED": (
        429,
        "too many requests; try again after `Retry-After` seconds",
        "Request was throttled. Expected available in 42 seconds.",
    ),
    # Accounts.
    "EMAIL_ALREADY_REGISTERED": (
        409,
        "an account with this email address (in any letter case) exists",
        "An account with this email address already exists.",
    ),
    "INVALID_CREDENTIALS": (
        401,
        "unknown email address or wrong password (the same answer for both); 400 on a password change",
        "The email address or password is incorrect.",
    ),
    # Own model keys.
    "AI_KEY_REJECTED": (
        400,
        "the model provider refused the key (401/403); nothing was stored",
        "The AI provider rejected this key. Check that it is complete and still active.",
    ),
    "AI_UNAVAILABLE": (
        503,
        "the model provider could not be reached to check the key; nothing was stored",
        "The AI provider cannot be reached to check this key. Nothing was stored; please try again later.",
    ),
    # Résumés.
    "RESUME_ALREADY_EXISTS": (
        409,
        "you already have a résumé; update it with `PUT /resumes/me`",
        "You already have a résumé. Update it with PUT /resumes/me.",
    ),
    # Sessions.
    "SESSION_NOT_ACTIVE": (
        400,
        "the session is paused or completed",
        "The session is paused; questions and answers need an active session.",
    ),
    "SESSION_NOT_PAUSED": (
        400,
        "the session is not paused",
        "Only a paused session can be resumed; this one is active.",
    ),
    "SESSION_ALREADY_COMPLETED": (400, "the session is already completed", "The session is already completed."),
    # Feedback.
    "SESSION_NOT_COMPLETED": (
        400,
        "the session is not completed yet",
        "Complete the session before asking for feedback.",
    ),
    "NO_ANSWERS_TO_ANALYZE": (400, "the session has no answer", "The session has no answers to analyse."),
    "AI_NOT_CONFIGURED": (
        400,
        "no model key is configured, neither the service's nor yours; nothing was created",
        "AI feedback is not available: the service has no AI model configured. Please contact support.",
    ),
    "FEEDBACK_ALREADY_EXISTS": (
        409,
        "feedback for this session exists; read it with `GET /sessions/{id}/feedback`",
        "Feedback already exists for this session",
    ),
    "FEEDBACK_NOT_FOUND": (
        404,
        "the session is yours but has no feedback yet",
        "No feedback has been generated for this session yet.",
    ),
    # Questions.
    "QUESTION_ALREADY_OPEN": (
        409,
        "the session's last question is not answered yet; answer it first",
        "The session's last question has not been answered yet.",
    ),
    "QUESTION_LIMIT_REACHED": (
        400,
        "the session has as many questions as it may have (`SESSION_MAX_QUESTIONS`)",
        "This session already has 10 questions, the most it may have.",
    ),
    "TRANSCRIPT_TOO_LONG": (
        400,
        "the session's questions and answers would exceed `SESSION_MAX_TRANSCRIPT_CHARS` together",
        "This session's questions and answers would exceed 60,000 characters together; shorten this text or "
        "complete the session.",
    ),
    "OPERATION_IN_PROGRESS": (
        409,
        "one of its operations is pending or processing; cancel it first",
        "An AI request is still running here. Cancel it first, or wait for it to finish.",
    ),
    "RETAKE_CONFLICT": (409, "too many retakes of one chain at the same moment", "Too many retakes at once."),
    # Operations.
    "OPERATION_NOT_FAILED": (
        409,
        "only a failed operation can be retried",
        "Only a failed operation can be retried; this one is completed.",
    ),
    "OPERATION_NOT_RETRYABLE": (
        409,
        "the operation failed in a way that asking again cannot fix",
        "This operation failed in a way that asking again cannot fix.",
    ),
    "OPERATION_ALREADY_FINISHED": (
        409,
        "the operation is already completed, failed or cancelled",
        "The operation is already completed; only a pending or processing one can be cancelled.",
    ),
}


def _check_known(codes: Iterable[str]) -> None:
    unknown = [c for c in codes if c not in PROBLEM_CODES]
    if unknown:
        raise ValueError(f"undocumented problem codes: {unknown}; add them to PROBLEM_CODES")


def problem_codes(
    *codes: str, more: Callable[[], tuple[str, ...]] | None = None, status: dict[str, int] | None = None
) -> Callable[[F], F]:
    """Declare the domain error codes a handler can answer, beside the generic ones.

    Use on a view method or ``@action``, in any order with ``@extend_schema``. ``more`` is
    called when the schema is built, for codes known only then (the registered operation
    types' own codes, which a retry can answer). ``status`` gives a code another HTTP status than
    its usual one on this handler (``INVALID_CREDENTIALS`` is 400 on a password change).
    """
    _check_known(codes)

    def decorator(func: F) -> F:
        func._problem_codes = (*getattr(func, "_problem_codes", ()), *codes)  # type: ignore[attr-defined]
        if more is not None:
            func._problem_codes_more = more  # type: ignore[attr-defined]
        if status:
            func._problem_status = {**getattr(func, "_problem_status", {}), **status}  # type: ignore[attr-defined]
        return func

    return decorator


def delete_body(serializer: type[serializers.Serializer[Any]]) -> Callable[[F], F]:
    """Document the body a DELETE takes (DELETE /users/me {password}): drf-spectacular documents
    request bodies of POST, PUT and PATCH only."""

    def decorator(func: F) -> F:
        func._delete_body = serializer  # type: ignore[attr-defined]
        return func

    return decorator


class JWTScheme(SimpleJWTScheme):  # type: ignore[no-untyped-call]  # drf-spectacular's __init_subclass__
    """Our simplejwt subclass (common.authentication) is the same bearer scheme, ``jwtAuth``."""

    target_class = "common.authentication.JWTAuthentication"


class ProblemFieldErrorSerializer(serializers.Serializer[dict[str, Any]]):
    field = serializers.CharField(help_text="The field, dotted for nested ones (`tech_stack.0`).")
    message = serializers.CharField()


class ProblemDetailsSerializer(serializers.Serializer[dict[str, Any]]):
    """RFC 9457 problem details, the body of every error response."""

    type = serializers.CharField(help_text="Always `about:blank`: `code` is the machine-readable part.")
    title = serializers.CharField(help_text="The HTTP status phrase.")
    status = serializers.IntegerField(help_text="The HTTP status code.")
    detail = serializers.CharField(help_text="A message written for the end user.")
    code = serializers.CharField(help_text="Stable, machine-readable error code; the operation lists its codes.")
    # A declared field: DRF's metaclass takes it off the class, so Serializer.errors stays as it is.
    errors = ProblemFieldErrorSerializer(  # type: ignore[assignment]
        many=True, required=False, help_text="Only on `VALIDATION_ERROR`: one entry per invalid field."
    )


RETRY_AFTER_HEADER = {
    "schema": {"type": "integer", "minimum": 1},
    "description": "Seconds to wait before trying again.",
    "required": True,
}
WWW_AUTHENTICATE_HEADER = {
    "schema": {"type": "string"},
    "description": 'The expected scheme: `Bearer realm="api"`.',
}


class ProblemAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema plus the problem-details responses of each operation."""

    def get_operation(
        self, path: str, path_regex: str, path_prefix: str, method: str, registry: ComponentRegistry
    ) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        body = self._delete_body()
        if operation is not None and body is not None:
            ref = self.resolve_serializer(body, "request").ref
            operation["requestBody"] = {"content": {"application/json": {"schema": ref}}, "required": True}
        return operation

    def _delete_body(self) -> type[serializers.Serializer[Any]] | None:
        return getattr(self._handler(), "_delete_body", None) if self.method == "DELETE" else None

    def _get_response_bodies(self, direction: Direction = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        codes = self.problem_codes()
        overrides = getattr(self._handler(), "_problem_status", {})
        status_of = {code: overrides.get(code, PROBLEM_CODES[code][0]) for code in codes}
        for status in sorted(set(status_of.values())):
            responses[str(status)] = self._problem_response(status, [c for c in codes if status_of[c] == status])
        return responses

    def problem_codes(self) -> list[str]:
        """Every code this operation can answer, generic ones first, without duplicates."""
        codes: list[str] = []
        auth = self.get_auth()
        if auth and {} not in auth:
            codes += ["NOT_AUTHENTICATED", "INVALID_TOKEN"]
        takes_body = self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None
        if takes_body or self._delete_body():
            codes += ["VALIDATION_ERROR", "MALFORMED_REQUEST", "UNSUPPORTED_MEDIA_TYPE", "REQUEST_TOO_LARGE"]
        if "{" in self.path:
            codes.append("NOT_FOUND")
        if self.method == "GET" and self._is_list_view():
            if getattr(self.view, "filterset_class", None) is not None:
                codes.append("VALIDATION_ERROR")
            if self._get_paginator() is not None:  # type: ignore[no-untyped-call]  # unannotated upstream
                codes += ["VALIDATION_ERROR", "NOT_FOUND"]  # ?page_size= out of range; ?page= past the end
        handler = self._handler()
        codes += list(getattr(handler, "_problem_codes", ()))
        more = getattr(handler, "_problem_codes_more", None)
        if more is not None:
            extra = more()
            _check_known(extra)
            codes += list(extra)
        throttled_methods = [getattr(t, "methods", None) for t in self.view.get_throttles()]  # None: all of them
        if any(methods is None or self.method in methods for methods in throttled_methods):
            codes.append("RATE_LIMITED")
        return list(dict.fromkeys(codes))

    def _handler(self) -> Any:  # the view's method for this operation, or None
        action = getattr(self.view, "action", None)
        return getattr(self.view, action or self.method.lower(), None)

    def _problem_response(self, status: int, codes: list[str]) -> dict[str, Any]:
        ref = self.resolve_serializer(ProblemDetailsSerializer, "response").ref
        schema = {
            "allOf": [
                ref,
                {
                    "type": "object",
                    "properties": {
                        "status": {"type": "integer", "enum": [status]},
                        "code": {"type": "string", "enum": codes},
                    },
                },
            ]
        }
        examples: dict[str, Any] = {}
        for code in codes:
            _status, when, detail = PROBLEM_CODES[code]
            errors = [{"field": "title", "message": detail}] if code == "VALIDATION_ERROR" else None
            examples[code] = {
                "summary": when[:1].upper() + when[1:],
                "value": problem(status, code, detail, errors=errors),
            }
        response: dict[str, Any] = {
            "description": "Problem details; `code` is one of: "
            + "; ".join(f"`{c}`: {PROBLEM_CODES[c][1]}" for c in codes)
            + ".",
            "content": {PROBLEM_CONTENT_TYPE: {"schema": schema, "examples": examples}},
        }
        if status in (429, 503):
            response["headers"] = {"Retry-After": RETRY_AFTER_HEADER}
        elif status == 401 and {"NOT_AUTHENTICATED", "INVALID_TOKEN"} & set(codes):
            response["headers"] = {"WWW-Authenticate": WWW_AUTHENTICATE_HEADER}
        return response
