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

Each code is a :class:`common.exceptions.ProblemCode`, declared once beside the exception (or
handler) that answers it - the generic ones in ``common.exceptions``, an app's in its own
modules - and its status, description and example here come from that declaration.

Schemathesis (``tests/test_schemathesis.py``) checks every response against this, so an
undocumented status or code fails the build.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ComponentRegistry, is_basic_type, is_list_serializer
from rest_framework import serializers
from rest_framework.mixins import ListModelMixin

from common.exceptions import (
    INVALID_TOKEN,
    MALFORMED_REQUEST,
    NOT_AUTHENTICATED,
    NOT_FOUND,
    PROBLEM_CONTENT_TYPE,
    RATE_LIMITED,
    REQUEST_TOO_LARGE,
    UNSUPPORTED_MEDIA_TYPE,
    VALIDATION_ERROR,
    ProblemCode,
    problem,
    problem_code,
)

F = TypeVar("F", bound=Callable[..., Any])


def problem_codes(
    *codes: str, more: Callable[[], tuple[str, ...]] | None = None, status: dict[str, int] | None = None
) -> Callable[[F], F]:
    """Declare the domain error codes a handler can answer, beside the generic ones.

    Each is a declared :class:`~common.exceptions.ProblemCode` (its name alone must have been
    declared: an undeclared one fails here, at import). Use on a view method or ``@action``, in
    any order with ``@extend_schema``. ``more`` is called when the schema is built, for codes known
    only then (the registered operation types' own codes, which a retry can answer). ``status``
    gives a code another HTTP status than its usual one on this handler (``INVALID_CREDENTIALS`` is
    400 on a password change).
    """
    declared = tuple(problem_code(c) for c in codes)

    def decorator(func: F) -> F:
        func._problem_codes = (*getattr(func, "_problem_codes", ()), *declared)  # type: ignore[attr-defined]
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
    """drf-spectacular's AutoSchema plus the problem-details responses of each operation.

    Public hooks only: ``get_operation`` is extended (its result completed), and the view is read
    through DRF's and drf-spectacular's public API - no private method is overridden or called.
    """

    def get_operation(
        self, path: str, path_regex: str, path_prefix: str, method: str, registry: ComponentRegistry
    ) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:  # excluded
            return None
        body = self._delete_body()
        if body is not None:
            ref = self.resolve_serializer(body, "request").ref
            operation["requestBody"] = {"content": {"application/json": {"schema": ref}}, "required": True}
        operation["responses"].update(self.problem_responses())
        return operation

    def problem_responses(self) -> dict[str, dict[str, Any]]:
        """One problem-details response per HTTP status this operation's codes answer, by status."""
        codes = self.problem_codes()
        overrides = getattr(self._handler(), "_problem_status", {})
        status_of = {code: overrides.get(code, code.status) for code in codes}
        return {
            str(status): self._problem_response(status, [c for c in codes if status_of[c] == status])
            for status in sorted(set(status_of.values()))
        }

    def problem_codes(self) -> list[ProblemCode]:
        """Every code this operation can answer, generic ones first, without duplicates."""
        codes: list[ProblemCode] = []
        auth = self.get_auth()
        if auth and {} not in auth:
            codes += [NOT_AUTHENTICATED, INVALID_TOKEN]
        takes_body = self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None
        if takes_body or self._delete_body():
            codes += [VALIDATION_ERROR, MALFORMED_REQUEST, UNSUPPORTED_MEDIA_TYPE, REQUEST_TOO_LARGE]
        if "{" in self.path:
            codes.append(NOT_FOUND)
        if self.method == "GET" and self._answers_a_list():
            if getattr(self.view, "filterset_class", None) is not None:
                codes.append(VALIDATION_ERROR)
            if getattr(self.view, "paginator", None) is not None:  # GenericAPIView's, from pagination_class
                codes += [VALIDATION_ERROR, NOT_FOUND]  # ?page_size= out of range; ?page= past the end
        handler = self._handler()
        codes += list(getattr(handler, "_problem_codes", ()))
        more = getattr(handler, "_problem_codes_more", None)
        if more is not None:
            codes += [problem_code(c) for c in more()]
        throttled_methods = [getattr(t, "methods", None) for t in self.view.get_throttles()]  # None: all of them
        if any(methods is None or self.method in methods for methods in throttled_methods):
            codes.append(RATE_LIMITED)
        return list(dict.fromkeys(codes))

    def _answers_a_list(self) -> bool:
        """Does the operation answer a list (so filters and pagination apply)?

        drf-spectacular's own reading of the view, from its public pieces: a list serializer in the
        response; else a viewset's ``list`` action; else a GET on a ``ListModelMixin`` view.
        """
        serializer = self.get_response_serializers()
        if isinstance(serializer, dict) and serializer:  # @extend_schema(responses={...}): the lowest status's
            serializer = {str(status): s for status, s in serializer.items()}
            serializer = serializer[min(serializer)]
        if is_list_serializer(serializer):
            return True
        if is_basic_type(serializer):
            return False
        if hasattr(self.view, "action"):
            return bool(self.view.action == "list")
        return self.method == "GET" and isinstance(self.view, ListModelMixin)

    def _delete_body(self) -> type[serializers.Serializer[Any]] | None:
        return getattr(self._handler(), "_delete_body", None) if self.method == "DELETE" else None

    def _handler(self) -> Any:  # the view's method for this operation, or None
        action = getattr(self.view, "action", None)
        return getattr(self.view, action or self.method.lower(), None)

    def _problem_response(self, status: int, codes: list[ProblemCode]) -> dict[str, Any]:
        ref = self.resolve_serializer(ProblemDetailsSerializer, "response").ref
        schema = {
            "allOf": [
                ref,
                {
                    "type": "object",
                    "properties": {
                        "status": {"type": "integer", "enum": [status]},
                        "code": {"type": "string", "enum": [str(c) for c in codes]},
                    },
                },
            ]
        }
        examples: dict[str, Any] = {}
        for code in codes:
            errors = [{"field": "title", "message": code.example}] if code == VALIDATION_ERROR else None
            examples[str(code)] = {
                "summary": code.when[:1].upper() + code.when[1:],
                "value": problem(status, code, code.example, errors=errors),
            }
        response: dict[str, Any] = {
            "description": "Problem details; `code` is one of: " + "; ".join(f"`{c}`: {c.when}" for c in codes) + ".",
            "content": {PROBLEM_CONTENT_TYPE: {"schema": schema, "examples": examples}},
        }
        if status in (429, 503):
            response["headers"] = {"Retry-After": RETRY_AFTER_HEADER}
        elif status == 401 and {NOT_AUTHENTICATED, INVALID_TOKEN} & set(codes):
            response["headers"] = {"WWW-Authenticate": WWW_AUTHENTICATE_HEADER}
        return response
