"""Studies, items, the assignment queue, immutable responses and the append-only event log."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q


class Study(models.Model):
    class Kind(models.TextChoices):
        APEL = "apel", "APEL (SQL by example)"
        RATING = "rating", "Pairwise rating"
        DIALOGUE = "dialogue", "Dialogue play"
        HYPOTHESIS = "hypothesis", "Hypothesis verification"
        # Plain labelling (choices or free text) through the generic interface and queue API.
        LABELS = "labels", "Labels"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_studies"
    )
    annotators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="annotating_studies", blank=True
    )
    annotations_per_item = models.PositiveSmallIntegerField(
        default=1, help_text="k: how many different annotators label each item."
    )
    max_items_per_annotator = models.PositiveIntegerField(
        null=True, blank=True, help_text="A cap per annotator; empty means no cap."
    )
    assignment_timeout_s = models.PositiveIntegerField(
        default=1800, help_text="An unsubmitted assignment is released to others after this long."
    )
    config = models.JSONField(
        default=dict, blank=True, help_text="Interface settings for this kind of study."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "studies"
        constraints = [
            models.CheckConstraint(condition=Q(annotations_per_item__gte=1), name="study_k_positive")
        ]

    def __str__(self) -> str:
        return self.name


class Item(models.Model):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="items")
    external_id = models.CharField(max_length=200)
    payload = models.JSONField(default=dict)
    is_gold = models.BooleanField(
        default=False, help_text="Gold items have a known answer, used for quality."
    )
    gold_answer = models.JSONField(null=True, blank=True)
    # Live assignments (active or done): kept in step by the queue so "least annotated first" is one index scan.
    n_assigned = models.PositiveIntegerField(default=0)
    n_done = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["study", "external_id"], name="item_external_id_unique")
        ]
        indexes = [models.Index(fields=["study", "n_assigned", "id"], name="item_queue_idx")]

    def __str__(self) -> str:
        return f"{self.study_id}:{self.external_id}"


class Assignment(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        DONE = "done", "Done"
        EXPIRED = "expired", "Expired"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="assignments")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="assignments")
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments"
    )
    # Slot i of k: the partial unique index on (item, slot) makes over-assignment impossible at the database
    # level, on SQLite as on PostgreSQL, whatever the locking does.
    slot = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    served_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    state = models.JSONField(
        default=dict, blank=True, help_text="Interface state between rounds (e.g. APEL)."
    )

    class Meta:
        ordering = ["-served_at"]
        constraints = [
            models.UniqueConstraint(fields=["item", "annotator"], name="assignment_once_per_annotator"),
            models.UniqueConstraint(
                fields=["item", "slot"], condition=~Q(status="expired"), name="assignment_slot_unique"
            ),
        ]
        indexes = [models.Index(fields=["annotator", "status"], name="assignment_annotator_idx")]

    def __str__(self) -> str:
        return f"{self.item} -> {self.annotator} ({self.status})"


class ImmutableError(ValidationError):
    pass


class Response(models.Model):
    """One submitted answer. Never updated or deleted; (assignment, round) is unique so a retried
    submission cannot be counted twice."""

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="responses")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="responses")
    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="responses")
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="responses"
    )
    round = models.PositiveSmallIntegerField(default=0)
    answer = models.JSONField()
    displayed_order = models.JSONField(default=list, blank=True)
    served_at = models.DateTimeField()
    submitted_at = models.DateTimeField(auto_now_add=True)
    active_time_ms = models.PositiveIntegerField(null=True, blank=True)
    client = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["submitted_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "round"], name="response_once_per_round")
        ]

    def __str__(self) -> str:
        return f"response {self.pk} to {self.item} by {self.annotator}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ImmutableError("Responses are immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableError("Responses are immutable.")


class Event(models.Model):
    """The append-only audit log."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    study = models.ForeignKey(Study, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    verb = models.CharField(max_length=60, db_index=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=60, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.verb} {self.object_type}#{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ImmutableError("Events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableError("Events are append-only.")


def log_event(verb: str, *, actor=None, study=None, obj=None, **data) -> Event:
    return Event.objects.create(
        verb=verb,
        actor=actor if actor is not None and actor.is_authenticated else None,
        study=study,
        object_type=obj._meta.model_name if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        data=data,
    )


from annotate.apel.models import ApelDatabase, ApelLabel  # noqa: E402,F401
from annotate.dialogue.models import Game  # noqa: E402,F401
