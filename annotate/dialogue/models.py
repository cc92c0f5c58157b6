"""A game of one text task played in the browser; the env is rebuilt from (task, options, seed, turns)."""

from django.conf import settings
from django.db import models

from annotate.models import Assignment, Study


class Game(models.Model):
    class Role(models.TextChoices):
        AGENT = "agent", "Plays the game"
        COUNTERPART = "counterpart", "Plays the counterpart (oracle, buyer)"

    class Status(models.TextChoices):
        ACTIVE = "active", "Waiting for the player"
        THINKING = "thinking", "Waiting for the model"
        FINISHED = "finished", "Finished"
        ABANDONED = "abandoned", "Abandoned"
        FAILED = "failed", "Failed"

    study = models.ForeignKey(Study, null=True, blank=True, on_delete=models.SET_NULL, related_name="games")
    assignment = models.OneToOneField(
        Assignment, null=True, blank=True, on_delete=models.SET_NULL, related_name="game"
    )
    player = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="games")
    task = models.CharField(max_length=60)
    env_options = models.JSONField(default=dict, blank=True)
    human_role = models.CharField(max_length=12, choices=Role.choices, default=Role.AGENT)
    partner = models.JSONField(
        default=dict, blank=True, help_text='{"kind": builtin|scripted|checkpoint, ...}'
    )
    seed = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    turns = models.JSONField(default=list, blank=True, help_text='[{"text", "is_action", "reward", "by"}]')
    total_return = models.FloatField(default=0.0)
    error = models.TextField(blank=True)
    turn_seconds = models.PositiveIntegerField(
        default=120, help_text="Time allowed for each of the player's turns."
    )
    last_move_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "annotate"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["player", "status"], name="game_player_idx")]

    def __str__(self) -> str:
        return f"game {self.pk}: {self.task} ({self.status})"

    @property
    def is_over(self) -> bool:
        return self.status in (self.Status.FINISHED, self.Status.ABANDONED, self.Status.FAILED)
