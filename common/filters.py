from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView


class ListFilterBackend(DjangoFilterBackend):
    """Query filters narrow lists only: ``GET /sessions/{id}?status=paused`` still finds the session."""

    # DRF hands its filter backends a DRF Request; django-filter's stub says Django's HttpRequest.
    def filter_queryset(  # type: ignore[override]
        self, request: Request, queryset: QuerySet[Any], view: APIView
    ) -> QuerySet[Any]:
        if getattr(view, "action", None) != "list":
            return queryset
        # django-filter ignores `?status=`; the schema says a value is a status, so say so (400).
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            blank = [name for name in filterset_class.base_filters if request.query_params.get(name, None) == ""]
            if blank:
                raise ValidationError({name: ["This field may not be blank."] for name in blank})
        return super().filter_queryset(request, queryset, view)
