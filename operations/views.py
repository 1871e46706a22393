from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.response import Response

from operations import selectors
from operations.filters import OperationFilter
from operations.serializers import OperationSerializer

# How long the SPA should wait before polling an unfinished operation again.
RETRY_AFTER_SECONDS = 2


class OperationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's operations, newest first; poll one by id until it is finished."""

    serializer_class = OperationSerializer
    filterset_class = OperationFilter

    def get_queryset(self):
        return selectors.operation_list(user=self.request.user)

    @extend_schema(
        description="Poll one of your operations until `status` is `completed` (`result` holds the "
        "feedback) or `failed` (`error_code`, `error_message`). While it is `pending` or `processing` "
        "the answer carries `Retry-After`: the seconds to wait before polling again.",
        parameters=[
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
    def retrieve(self, request, pk=None):
        operation = self.get_object()
        headers = {} if operation.is_finished else {"Retry-After": str(RETRY_AFTER_SECONDS)}
        return Response(OperationSerializer(operation).data, headers=headers)
