"""Operators' admin. Responses and events are read-only here: responses are immutable research data and
events are the audit log, so neither may be added, changed or deleted, even by a superuser."""

import csv
from collections.abc import Callable, Sequence

from django.contrib import admin
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

from annotate.exporting import csv_cell
from annotate.models import Assignment, Event, Item, Response, Study


class _Echo:
    """A file-like object for csv.writer that hands back each line instead of storing it."""

    def write(self, value: str) -> str:
        return value


def _value(obj, field: str):
    """Follow `a__b` paths, call callables, so fields can name relations like "study__name"."""
    value = obj
    for part in field.split("__"):
        value = getattr(value, part, None) if value is not None else None
    return value() if callable(value) else value


def csv_export_action(fields: Sequence[str], *, description: str = "Export selected as CSV") -> Callable:
    """An admin action that streams the selected rows as CSV, one column per field (`a__b` follows relations)."""

    def export_csv(modeladmin, request, queryset) -> HttpResponse:
        writer = csv.writer(_Echo())

        def lines():
            yield writer.writerow(list(fields))
            for obj in queryset.iterator():
                yield writer.writerow([csv_cell(_value(obj, f)) for f in fields])

        name = f"{modeladmin.model._meta.model_name}-{timezone.now():%Y%m%d-%H%M%S}.csv"
        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    export_csv.short_description = description
    export_csv.allowed_permissions = ("view",)
    return export_csv


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Study)
class StudyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "owner",
        "annotations_per_item",
        "max_items_per_annotator",
        "is_active",
        "created_at",
    ]
    list_filter = ["kind", "is_active", "created_at"]
    search_fields = ["name", "description", "owner__username"]
    filter_horizontal = ["annotators"]
    raw_id_fields = ["owner"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    actions = [
        csv_export_action(
            [
                "id",
                "name",
                "kind",
                "owner__username",
                "annotations_per_item",
                "max_items_per_annotator",
                "assignment_timeout_s",
                "config",
                "is_active",
                "created_at",
            ]
        )
    ]


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ["external_id", "study", "is_gold", "n_assigned", "n_done", "created_at"]
    list_filter = ["is_gold", "study"]
    search_fields = ["external_id", "study__name"]
    raw_id_fields = ["study"]
    list_select_related = ["study"]
    readonly_fields = ["n_assigned", "n_done"]  # kept in step by the queue, never by hand
    actions = [
        csv_export_action(
            ["id", "study_id", "external_id", "is_gold", "gold_answer", "payload", "n_assigned", "n_done"]
        )
    ]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "study",
        "item",
        "annotator",
        "slot",
        "status",
        "served_at",
        "expires_at",
        "completed_at",
    ]
    list_filter = ["status", "study"]
    search_fields = ["item__external_id", "annotator__username", "study__name"]
    raw_id_fields = ["study", "item", "annotator"]
    list_select_related = ["study", "item", "annotator"]
    date_hierarchy = "served_at"
    actions = [
        csv_export_action(
            [
                "id",
                "study_id",
                "item__external_id",
                "annotator__username",
                "slot",
                "status",
                "served_at",
                "expires_at",
                "completed_at",
            ]
        )
    ]


@admin.register(Response)
class ResponseAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "study",
        "item",
        "annotator",
        "round",
        "served_at",
        "submitted_at",
        "active_time_ms",
    ]
    list_filter = ["study", "round"]
    search_fields = ["item__external_id", "annotator__username", "study__name"]
    list_select_related = ["study", "item", "annotator"]
    date_hierarchy = "submitted_at"
    actions = [
        csv_export_action(
            [
                "id",
                "study_id",
                "item__external_id",
                "assignment_id",
                "annotator__username",
                "round",
                "answer",
                "displayed_order",
                "served_at",
                "submitted_at",
                "active_time_ms",
                "client",
            ]
        )
    ]


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "verb", "actor", "study", "object_type", "object_id"]
    list_filter = ["verb", "object_type"]
    search_fields = ["verb", "object_id", "actor__username", "study__name"]
    list_select_related = ["actor", "study"]
    date_hierarchy = "created_at"
    actions = [
        csv_export_action(
            ["id", "created_at", "verb", "actor__username", "study_id", "object_type", "object_id", "data"]
        )
    ]
