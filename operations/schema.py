"""OpenAPI (drf-spectacular) for the fields whose shape is the registered types' business."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import Direction

from operations import registry


class OperationTypeFieldExtension(OpenApiSerializerFieldExtension):  # type: ignore[no-untyped-call]  # drf-spectacular's __init_subclass__
    target_class = "operations.serializers.OperationTypeField"

    def map_serializer_field(self, auto_schema: AutoSchema, direction: Direction) -> dict[str, Any]:
        return {"type": "string", "enum": registry.names()}


class OperationResultFieldExtension(OpenApiSerializerFieldExtension):  # type: ignore[no-untyped-call]  # drf-spectacular's __init_subclass__
    target_class = "operations.serializers.OperationResultField"

    def map_serializer_field(self, auto_schema: AutoSchema, direction: Direction) -> dict[str, Any]:
        refs = [auto_schema.resolve_serializer(t.result_serializer, direction).ref for t in registry.all_types()]
        return {"oneOf": refs, "nullable": True}


class StreamTicketScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]  # drf-spectacular's __init_subclass__
    """``?ticket=`` on an operation's ``/events`` (from ``POST /operations/{id}/stream-ticket``)."""

    target_class = "operations.views.StreamTicketAuthentication"
    name = "streamTicket"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "query",
            "name": "ticket",
            "description": "A stream ticket of this operation: valid on its `/events` only, for 60 seconds.",
        }
