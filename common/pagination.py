from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """``{count, next, previous, results}`` pages; ``?page=`` and ``?page_size=`` (max 100)."""

    page_size_query_param = "page_size"
    max_page_size = 100


class ListFilterBackend(DjangoFilterBackend):
    """Query filters narrow lists only: ``GET /sessions/{id}?status=paused`` still finds the session."""

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "action", None) != "list":
            return queryset
        return super().filter_queryset(request, queryset, view)
