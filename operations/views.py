from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.authentication import BaseAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from accounts.requests import request_user
from common.authentication import JWTAuthentication
from common.exceptions import VALIDATION_ERROR, NotFoundError
from common.schema import problem_codes
from operations import registry, selectors, services, waiting
from operations.filters import OperationFilter
from operations.models import Operation
from operations.serializers import OperationSerializer, operation_data
from operations.services import OPERATION_ALREADY_FINISHED, OPERATION_NOT_FAILED, OPERATION_NOT_RETRYABLE
from operations.waiting import MAX_WAIT_SECONDS, RETRY_AFTER_SECONDS, STREAM_TICKET_SECONDS, parse_wait

__all__ = ["MAX_WAIT_SECONDS", "RETRY_AFTER_SECONDS", "OperationViewSet", "accepted", "accepted_schema"]

F = TypeVar("F", bound=Callable[..., Any])


class StreamTicketAuthentication(BaseAuthentication):
    """``?ticket=`` from ``POST /operations/{id}/stream-ticket``, on that operation's ``/events`` only
    (a browser's EventSource cannot send Authorization). Used by the ``events`` action alone.
    A ticket given decides, whatever else the request carries: an invalid one is a 401."""

    def authenticate(self, request: Request) -> tuple[User, None] | None:
        ticket = request.query_params.get("ticket")
        if ticket is None:
            return None  # the bearer token decides
        view = (request.parser_context or {}).get("view")
        operation_id = waiting._operation_id(str(getattr(view, "kwargs", {}).get("pk", ""))) or ""
        try:
            return waiting.user_from_ticket(ticket, operation_id), None
        except waiting.UnauthorizedError as exc:
            raise AuthenticationFailed(exc.detail) from None

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class StreamTicketSerializer(serializers.Serializer[dict[str, Any]]):
    ticket = serializers.CharField(help_text="Pass as `?ticket=` to this operation's `/events`; nowhere else.")
    expires_in = serializers.IntegerField(help_text="Seconds it stays valid (an EventSource may reconnect meanwhile).")


# One event of the stream (fields as the browser's EventSource sees them).
SSE_EVENT_SCHEMA = {
    "type": "object",
    "properties": {
        "event": {"type": "string", "enum": ["operation"]},
        "id": {"type": "string", "description": "The operation's status."},
        "retry": {"type": "integer", "description": "Reconnection delay in milliseconds."},
        "data": {"type": "string", "description": "The operation as JSON, as `GET /operations/{id}` returns it."},
    },
    "required": ["event", "data"],
}


class EventStreamRenderer(BaseRenderer):
    """One Server-Sent Event: the fallback of GET .../events when no ASGI server streams it."""

    media_type = "text/event-stream"
    format = "sse"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Mapping[str, Any] | None = None
    ) -> bytes:
        response = (renderer_context or {}).get("response")
        if response is not None and response.status_code >= 400:
            return json.dumps(data).encode()  # problem details (their content type is set)
        event: bytes = data  # the view renders the event itself
        return event


# The 202 answer of every endpoint that starts work (generate-feedback, generate-question, retry).
ACCEPTED_PARAMETERS = [
    OpenApiParameter(
        "Location",
        {"type": "string", "pattern": r"^/api/v1/operations/[0-9a-f-]{36}$"},
        OpenApiParameter.HEADER,
        response=[202],
        required=True,
        description="Where to poll the operation: `/api/v1/operations/{id}`.",
    ),
    OpenApiParameter(
        "Retry-After",
        OpenApiTypes.INT,
        OpenApiParameter.HEADER,
        response=[202],
        required=True,
        description=f"Seconds to wait before polling ({RETRY_AFTER_SECONDS}).",
    ),
]


def registry_request_codes() -> tuple[str, ...]:
    """Every registered type's own request codes: a retry can answer any of them (OpenAPI)."""
    return tuple(dict.fromkeys(code for t in registry.all_types() for code in t.request_codes))


def accepted_schema(description: str, *, request: Any = None) -> Callable[[F], F]:
    """``@extend_schema`` of an endpoint that answers 202 with an operation."""
    return extend_schema(
        request=request,
        responses={202: OpenApiResponse(OperationSerializer, description=description)},
        parameters=ACCEPTED_PARAMETERS,
    )


def accepted(operation: Operation) -> Response:
    """202 with the operation, where to poll it and when."""
    headers = {"Location": f"/api/v1/operations/{operation.id}", "Retry-After": str(RETRY_AFTER_SECONDS)}
    return Response(operation_data(operation), status=status.HTTP_202_ACCEPTED, headers=headers)


class OperationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Operation]):
    """The caller's operations, newest first; poll one by id until it is finished."""

    serializer_class = OperationSerializer
    filterset_class = OperationFilter

    def get_queryset(self) -> QuerySet[Operation]:
        return selectors.operation_list(user=request_user(self.request))

    @extend_schema(
        description="Poll one of your operations until `status` is `completed` (`result` holds the "
        "feedback) or `failed` (`error_code`, `error_message`). While it is `pending` or `processing` "
        "the answer carries `Retry-After`: the seconds to wait before polling again.\n\n"
        "With `?wait=N` (0-30) the request is held until the status differs from the one it had "
        "when the request arrived, or the operation is finished, else N seconds, then answers "
        "exactly as without it. Served by the ASGI web process (`uvicorn config.asgi:application`); "
        "under `gunicorn config.wsgi` it answers at once.",
        parameters=[
            OpenApiParameter(
                "wait",
                OpenApiTypes.INT,
                OpenApiParameter.QUERY,
                required=False,
                description="Long-poll: seconds (0-30) to wait for a status change before answering.",
            ),
            OpenApiParameter(
                "Retry-After",
                OpenApiTypes.INT,
                OpenApiParameter.HEADER,
                response=[200],
                required=False,
                description="Only while the operation is unfinished: seconds before polling again.",
            ),
        ],
    )
    @problem_codes(VALIDATION_ERROR)
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        parse_wait(request.query_params.get("wait"))  # validated here too; waiting needs ASGI
        # The poll, the request an SPA sends most: one query for the row, no filter set, no
        # serializer fields built per request.
        row = selectors.operation_row(user=request_user(request), operation_id=pk)
        if row is None:
            raise NotFoundError()
        headers = {} if row["status"] in Operation.FINISHED else {"Retry-After": str(RETRY_AFTER_SECONDS)}
        return Response(operation_data(row), headers=headers)

    @extend_schema(
        description="Server-Sent Events: an `event: operation` whose `data` is the operation (as "
        "`GET /operations/{id}` returns it) now and on every status change; the stream ends once "
        "the operation is finished, and after 5 minutes at most (`EventSource` reconnects). "
        "Served by the ASGI web process; under `gunicorn config.wsgi` it sends the current state "
        "once with `retry: 2000`, so an `EventSource` polls.\n\n"
        "A browser's `EventSource` cannot send `Authorization`: pass `?ticket=` from "
        "`POST /operations/{id}/stream-ticket` instead (valid for this operation's stream only). An "
        "`EventSource` reconnecting with `Last-Event-ID` set to a finished status gets 204, which "
        "tells it to stop.",
        parameters=[
            OpenApiParameter(
                "ticket",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                required=False,
                description="A stream ticket of this operation, instead of the `Authorization` header.",
            )
        ],
        responses={
            (200, "text/event-stream"): OpenApiResponse(
                response=SSE_EVENT_SCHEMA,
                description="`event: operation`, `id: <status>`, `data: <operation JSON>`, one per change.",
            )
        },
    )
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[EventStreamRenderer],
        filterset_class=None,
        authentication_classes=[StreamTicketAuthentication, JWTAuthentication],
    )
    def events(self, request: Request, pk: str | None = None) -> Response:
        return Response(waiting.event_bytes(self.get_object()))

    @extend_schema(request=None, responses={201: StreamTicketSerializer})
    @action(detail=True, methods=["post"], url_path="stream-ticket", filterset_class=None)
    def stream_ticket(self, request: Request, pk: str | None = None) -> Response:
        """A short-lived credential for this operation's `/events` (a browser's `EventSource` cannot send
        `Authorization`): `?ticket=`, valid for 60 s, on that path of this operation only."""
        ticket = waiting.stream_ticket_issue(operation=self.get_object())
        return Response(
            StreamTicketSerializer({"ticket": ticket, "expires_in": STREAM_TICKET_SECONDS}).data,
            status=status.HTTP_201_CREATED,
        )

    @accepted_schema(
        "Accepted: a new operation of the same type and subject (or the one already in flight for it). "
        "The failed operation itself never changes."
    )
    @problem_codes(OPERATION_NOT_FAILED, OPERATION_NOT_RETRYABLE, more=registry_request_codes)
    @action(detail=True, methods=["post"], filterset_class=None)
    def retry(self, request: Request, pk: str | None = None) -> Response:
        """Ask again for what a failed operation did not produce.

        Goes through the same checks as the endpoint that created it, so it answers that
        endpoint's own errors too (a feedback that exists meanwhile, a closed session, no
        model key). 409 `OPERATION_NOT_FAILED` unless it failed; 409 `OPERATION_NOT_RETRYABLE`
        when asking again cannot cure its failure.
        """
        operation, _created = services.operation_retry(operation=self.get_object())
        return accepted(operation)

    @extend_schema(request=None, responses={200: OperationSerializer})
    @problem_codes(OPERATION_ALREADY_FINISHED)
    @action(detail=True, methods=["post"], filterset_class=None)
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Cancel a pending or processing operation: it ends `cancelled` and stores nothing.

        A model call already under way is not interrupted; its answer is discarded. A
        cancelled operation no longer blocks a new request for the same session.
        """
        operation = services.operation_cancel(operation=self.get_object())
        return Response(OperationSerializer(operation).data)
