from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError


class ListFilterBackend(DjangoFilterBackend):
    """Query filters narrow lists only: ``GET /sessions/{id}?status=paused`` still finds the session."""

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "action", None) != "list":
            return queryset
        # django-filter ignores `?status=`; the schema says a value is a status, so say so (400).
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            blank = [name for name in filterset_class.base_filters if request.query_params.get(name, None) == ""]
            if blank:
                raise ValidationError({name: ["This field may not be blank."] for name in blank})
        return super().filter_queryset(request, queryset, view)
