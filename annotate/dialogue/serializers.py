"""Request and response shapes of the dialogue API (documented through drf-spectacular)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from annotate.dialogue.models import Game


@extend_schema_field(OpenApiTypes.OBJECT)
class ObjectField(serializers.JSONField):
    pass


class PartnerSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["builtin", "scripted", "checkpoint"])
    checkpoint_id = serializers.IntegerField(required=False, min_value=1)


class GameStartSerializer(serializers.Serializer):
    task = serializers.CharField(max_length=60, help_text="A registered task, e.g. wordle, maze_fo.")
    env_options = ObjectField(required=False, default=dict, help_text="Options passed to the task.")
    human_role = serializers.ChoiceField(choices=Game.Role.choices, default=Game.Role.AGENT)
    partner = PartnerSerializer(
        required=False,
        help_text=(
            "builtin (or, for tasks with an oracle or buyer, checkpoint as that counterpart) when you "
            "play the game; scripted or checkpoint when you play the counterpart."
        ),
    )
    seed = serializers.IntegerField(required=False, min_value=0, max_value=2**63 - 1)
    turn_seconds = serializers.IntegerField(required=False, min_value=10, max_value=86400)


class TurnSerializer(serializers.Serializer):
    text = serializers.CharField()
    is_action = serializers.BooleanField()
    reward = serializers.FloatField()
    by = serializers.ChoiceField(choices=["human", "agent", "env"])


class GameStateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    task = serializers.CharField()
    human_role = serializers.CharField()
    partner = ObjectField()
    seed = serializers.IntegerField()
    # A plain string, not an enum: "status" enums of other APIs would collide in the schema's names.
    status = serializers.CharField(help_text="active, thinking, finished, abandoned or failed.")
    turn = serializers.IntegerField(help_text="The number of turns so far: send it with your next move.")
    turns = TurnSerializer(many=True)
    total_return = serializers.FloatField()
    normalised_score = serializers.FloatField(allow_null=True)
    error = serializers.CharField(allow_blank=True)
    deadline = serializers.DateTimeField(allow_null=True, help_text="When your turn times out.")
    legal_actions = serializers.ListField(child=serializers.CharField())
    state = ObjectField(help_text="The task's render(): grid, guesses, board, ...")
    study = serializers.IntegerField(allow_null=True)


class MoveSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=500, trim_whitespace=False, allow_blank=True)
    turn = serializers.IntegerField(min_value=0, help_text="The `turn` of the state the move was made in.")


class MoveResultSerializer(GameStateSerializer):
    applied = serializers.BooleanField(help_text="False when this turn had already been played (a retry).")


class TrajectorySerializer(serializers.Serializer):
    task = serializers.CharField()
    seed = serializers.IntegerField(allow_null=True)
    players = serializers.DictField(child=serializers.CharField())
    turns = serializers.ListField(child=ObjectField())
    done = serializers.BooleanField()
    truncated = serializers.BooleanField()
    # "return" is a Python keyword: declared through the field's source name below.


TrajectorySerializer._declared_fields["return"] = serializers.FloatField()
