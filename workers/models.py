from django.db import models


class WorkerHeartbeat(models.Model):
    """Each worker process writes here every few seconds; works with any broker, unlike remote control."""

    hostname = models.CharField(max_length=200, unique=True)
    queues = models.CharField(max_length=200, blank=True)
    pid = models.PositiveIntegerField(null=True)
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)
    current_run = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["hostname"]

    def __str__(self) -> str:
        return self.hostname
