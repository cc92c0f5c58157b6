from datetime import timedelta

from django.conf import settings
from django.contrib import admin
from django.utils import timezone

from annotate.admin import csv_export_action
from workers.models import WorkerHeartbeat


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["hostname", "queues", "pid", "started_at", "last_seen", "alive", "current_run"]
    list_filter = ["queues"]
    search_fields = ["hostname", "queues"]
    readonly_fields = ["hostname", "queues", "pid", "started_at", "last_seen", "current_run"]
    actions = [csv_export_action(["hostname", "queues", "pid", "started_at", "last_seen", "current_run"])]

    @admin.display(boolean=True)
    def alive(self, obj: WorkerHeartbeat) -> bool:
        # Same threshold as the dashboard: a few missed beats means the worker is gone.
        return obj.last_seen >= timezone.now() - timedelta(seconds=max(3 * settings.ASSAY_HEARTBEAT_S, 15))
