"""Operators' view of runs, artifacts and model checkpoints, with CSV export and bulk cancel."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from annotate.admin import csv_export_action
from evalhub.models import Artifact, ModelCheckpoint, Run
from workers.lifecycle import request_cancel

# The admin index links to the operators' dashboard (/admin/dashboard/).
admin.site.index_template = "admin/assay_index.html"


RUN_CSV_FIELDS = [
    "id",
    "kind",
    "owner__username",
    "queue",
    "status",
    "progress",
    "attempts",
    "worker",
    "params",
    "metrics",
    "error",
    "created_at",
    "started_at",
    "finished_at",
]


@admin.action(description="Cancel selected runs")
def cancel_runs(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    pending = queryset.exclude(status__in=Run.FINISHED)
    for run in pending:
        request_cancel(run)
    modeladmin.message_user(
        request,
        f"Asked {len(pending)} run(s) to cancel; running ones stop at their next report.",
        messages.INFO,
    )


class ArtifactInline(admin.TabularInline):
    model = Artifact
    extra = 0
    fields = ["kind", "name", "path", "size_bytes", "created_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "kind",
        "owner",
        "status",
        "progress",
        "attempts",
        "worker",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "kind", "queue", "cancel_requested"]
    search_fields = ["kind", "owner__username", "celery_id", "worker", "message", "error"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    actions = [cancel_runs, csv_export_action(RUN_CSV_FIELDS)]
    inlines = [ArtifactInline]
    # State changes go through the lifecycle (claim/finish/cancel), never a hand edit.
    readonly_fields = [f.name for f in Run._meta.concrete_fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # runs are submitted through the form, API or CLI so their params are validated


@admin.register(Artifact)
class ArtifactAdmin(admin.ModelAdmin):
    list_display = ["id", "run", "kind", "name", "path", "size_bytes", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name", "path", "run__kind"]
    raw_id_fields = ["run"]
    actions = [csv_export_action(["id", "run_id", "kind", "name", "path", "size_bytes", "created_at"])]


@admin.register(ModelCheckpoint)
class ModelCheckpointAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "path", "source", "n_params", "run", "created_at"]
    list_filter = ["kind", "source"]
    search_fields = ["name", "path", "source"]
    raw_id_fields = ["run"]
    actions = [
        csv_export_action(
            ["id", "name", "kind", "path", "source", "run_id", "n_params", "metadata", "created_at"]
        )
    ]
