"""OpenAPI (drf-spectacular) for the fields whose shape is the registered types' business."""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension

from operations import registry


class OperationTypeFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "operations.serializers.OperationTypeField"

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "enum": registry.names()}


class OperationResultFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "operations.serializers.OperationResultField"

    def map_serializer_field(self, auto_schema, direction):
        refs = [auto_schema.resolve_serializer(t.result_serializer, direction).ref for t in registry.all_types()]
        return {"oneOf": refs, "nullable": True}
