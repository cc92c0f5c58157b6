"""APEL storage: the schemas a study's utterances run on, and the combined label per item."""

from django.db import models

from annotate.models import Item, Study


class ApelDatabase(models.Model):
    """One schema of a study (Spider's db_id), with the original SQLite file when one was uploaded:
    its values seed the synthesized databases' literals, and it is the "original database"."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="apel_databases")
    db_id = models.CharField(max_length=200)
    schema = models.JSONField(help_text="ml.apel Schema.to_dict()")
    sqlite = models.BinaryField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "annotate"
        ordering = ["db_id"]
        constraints = [models.UniqueConstraint(fields=["study", "db_id"], name="apel_db_unique")]

    def __str__(self) -> str:
        return f"{self.study_id}:{self.db_id}"


class ApelLabel(models.Model):
    """The item's label from every finished annotator's answers combined in one posterior."""

    item = models.OneToOneField(Item, on_delete=models.CASCADE, related_name="apel_label")
    # The reference program for evaluation (never shown to annotators; gold items also keep it in
    # Item.gold_answer). Kept here rather than in Item.payload because the generic /next/ API
    # hands the payload to annotators.
    reference_sql = models.TextField(blank=True)
    label_sql = models.TextField(blank=True)
    confidence = models.FloatField(null=True, blank=True)
    posterior = models.JSONField(default=list, blank=True, help_text="Aligned with candidates.")
    other_mass = models.FloatField(null=True, blank=True)
    candidates = models.JSONField(default=list, blank=True)
    n_annotators = models.PositiveSmallIntegerField(default=0)
    stop_reasons = models.JSONField(default=list, blank=True)
    evidence = models.JSONField(
        default=list, blank=True, help_text="Per annotator: every database and answer."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "annotate"

    def __str__(self) -> str:
        return f"label of {self.item}"
