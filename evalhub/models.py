"""Experiment runs, their artifacts, and the registry of model checkpoints the interfaces can select."""

from pathlib import Path

from django.conf import settings
from django.db import models


class Run(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    kind = models.CharField(max_length=100, db_index=True, help_text="Experiment name from the registry.")
    params = models.JSONField(default=dict, help_text="Validated parameters, defaults filled in.")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="runs")
    queue = models.CharField(max_length=20, default="cpu")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED, db_index=True)
    progress = models.FloatField(default=0.0)
    message = models.CharField(max_length=500, blank=True)
    log_tail = models.TextField(blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    celery_id = models.CharField(max_length=64, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Run {self.pk} {self.kind} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def workdir(self) -> Path:
        return Path(settings.ARTIFACT_ROOT) / "runs" / str(self.pk)

    @property
    def duration_s(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class Artifact(models.Model):
    class Kind(models.TextChoices):
        CHECKPOINT = "checkpoint", "Checkpoint"
        DATASET = "dataset", "Dataset"
        PLOT = "plot", "Plot"
        METRICS = "metrics", "Metrics"
        OTHER = "other", "Other"

    run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.CASCADE, related_name="artifacts")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    name = models.CharField(max_length=200)
    path = models.CharField(max_length=500, help_text="Relative to ASSAY_ARTIFACT_ROOT.")
    size_bytes = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run_id", "kind", "name"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.name}"

    @property
    def abspath(self) -> Path:
        return Path(settings.ARTIFACT_ROOT) / self.path

    @property
    def is_image(self) -> bool:
        return self.path.lower().endswith((".png", ".svg"))


class ModelCheckpoint(models.Model):
    """A model the interfaces can select: pretrained ones from `make models`, or ones trained by runs."""

    class Kind(models.TextChoices):
        CAUSAL_LM = "causal-lm", "Causal LM"
        EMBEDDING = "sentence-embedding", "Sentence embedding"
        AGENT = "agent", "Dialogue agent"
        VERIFIER = "verifier", "Verifier / reward model"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    path = models.CharField(max_length=500, help_text="A local directory or file.")
    source = models.CharField(max_length=200, blank=True)
    run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="checkpoints")
    n_params = models.BigIntegerField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def exists(self) -> bool:
        return Path(self.path).exists()
