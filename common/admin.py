"""Helpers shared by the project's admin classes (read-only views, UUID search, links)."""

import uuid

from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html


class UUIDSearchMixin:
    """Search that matches a pasted UUID exactly against ``uuid_search_fields``.

    A UUID is looked up with ``=`` on the indexed columns; anything else goes to the usual
    ``search_fields`` (emails, titles). A non-UUID term never reaches a UUID column, so it
    cannot fail to parse, and a UUID is never matched by casting every row's id to text.
    """

    uuid_search_fields: tuple[str, ...] = ("pk",)

    def get_search_results(self, request, queryset, search_term):
        try:
            value = uuid.UUID(search_term.strip())
        except ValueError:
            return super().get_search_results(request, queryset, search_term)
        matches = Q.create([(field, value) for field in self.uuid_search_fields], connector=Q.OR)
        return queryset.filter(matches), False


class ReadOnlyAdminMixin:
    """View-only: no add, no delete, and the change page renders without a form or Save."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def admin_link(obj, label: str | None = None) -> str:
    """A link to ``obj``'s admin change page ("-" for None)."""
    if obj is None:
        return "-"
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, label if label is not None else str(obj))


def short_id(value) -> str:
    """The first 8 characters of a UUID: enough to tell rows apart in a list."""
    return str(value)[:8] if value else "-"
