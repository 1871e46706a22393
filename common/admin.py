"""Helpers shared by the project's admin classes (read-only views, UUID search, links)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

if TYPE_CHECKING:
    from django.contrib import admin
    from django.contrib.admin.options import _FieldGroups, _FieldsetSpec

    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = object  # a mixin: the admin class it is mixed into brings ModelAdmin


class UUIDSearchMixin(_ModelAdmin):
    """Search that matches a pasted UUID exactly against ``uuid_search_fields``.

    A UUID is looked up with ``=`` on the indexed columns; anything else goes to the usual
    ``search_fields`` (emails, titles). A non-UUID term never reaches a UUID column, so it
    cannot fail to parse, and a UUID is never matched by casting every row's id to text.
    """

    uuid_search_fields: tuple[str, ...] = ("pk",)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        try:
            value = uuid.UUID(search_term.strip())
        except ValueError:
            return super().get_search_results(request, queryset, search_term)
        matches = Q.create([(field, value) for field in self.uuid_search_fields], connector=Q.OR)
        return queryset.filter(matches), False


class ReadOnlyAdminMixin:
    """View-only: no add, no delete, and the change page renders without a form or Save."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


def field_names(fields: _FieldGroups) -> list[str]:
    """The names in an admin's ``fields`` (a name, or a row of names), in order: e.g. the
    ``readonly_fields`` of a read-only admin."""
    names: list[str] = []
    for field in fields:
        names.extend([field] if isinstance(field, str) else field)
    return names


def fieldset_fields(fieldsets: _FieldsetSpec) -> list[str]:
    """Every field the fieldsets show, in order."""
    return [name for _title, options in fieldsets for name in field_names(options["fields"])]


def admin_link(obj: Model | None, label: str | None = None) -> str:
    """A link to ``obj``'s admin change page ("-" for None)."""
    if obj is None:
        return "-"
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, label if label is not None else str(obj))


def short_id(value: object) -> str:
    """The first 8 characters of a UUID: enough to tell rows apart in a list."""
    return str(value)[:8] if value else "-"
