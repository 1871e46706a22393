import django_filters

from operations import registry
from operations.models import Operation


class OperationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Operation.Status.choices)
    operation_type = django_filters.ChoiceFilter(choices=registry.choices)

    class Meta:
        model = Operation
        fields = ["status", "operation_type"]
