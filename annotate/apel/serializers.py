"""Request and response shapes of the APEL API (documented through drf-spectacular)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


@extend_schema_field(OpenApiTypes.ANY)
class AnyJSONField(serializers.JSONField):
    pass


class ApelStudyUploadSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    annotations_per_item = serializers.IntegerField(min_value=1, max_value=50, default=1)
    schema = serializers.FileField(
        required=False, help_text="A SQLite database file, a .sql DDL file, or a Spider tables.json."
    )
    ddl = serializers.CharField(required=False, allow_blank=True, help_text="CREATE TABLE text.")
    db_id = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    utterances = serializers.FileField(
        help_text='JSONL: {"id", "question", "db_id"?, "candidates": [{"sql", "weight"}] or '
        '[[sql, weight]], "gold_sql"?, "is_gold"?} per line.'
    )
    config = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="JSON object: tau, delta, max_rounds, row_budget, eps_prior, mode, neighbour_mass.",
    )


class ApelStudyCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    items = serializers.IntegerField()
    databases = serializers.ListField(child=serializers.CharField())
    rejected_candidates = serializers.IntegerField(
        help_text="Candidates dropped at import, with reasons in each item."
    )
    config = serializers.DictField(child=AnyJSONField())


class ApelTableSerializer(serializers.Serializer):
    name = serializers.CharField()
    columns = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(child=serializers.ListField(child=AnyJSONField()))


class ApelOptionSerializer(serializers.Serializer):
    position = serializers.IntegerField(help_text="0-based position as shown; submit this as `choice`.")
    columns = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(child=serializers.ListField(child=AnyJSONField()))


class ApelQuestionSerializer(serializers.Serializer):
    assignment = serializers.IntegerField()
    question = serializers.CharField()
    round = serializers.IntegerField()
    utterance = serializers.CharField()
    tables = ApelTableSerializer(many=True)
    options = ApelOptionSerializer(many=True)
    info_gain = serializers.FloatField()
    rows_shown = serializers.IntegerField()
    tie = serializers.BooleanField()


class ApelAnswerSerializer(serializers.Serializer):
    assignment = serializers.IntegerField(min_value=1)
    question = serializers.CharField(
        required=False, help_text="The question id answered (guards against stale answers)."
    )
    choice = AnyJSONField(help_text='The 0-based option position as shown, "none" or "unsure".')
    active_time_ms = serializers.IntegerField(
        min_value=0, max_value=2**31 - 1, required=False, allow_null=True
    )

    def validate_choice(self, value):
        if value in ("none", "unsure"):
            return value
        if isinstance(value, str) and value.isdigit():
            value = int(value)  # form posts
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        raise serializers.ValidationError('Use a 0-based option position, "none" or "unsure".')


class ApelPosteriorBarSerializer(serializers.Serializer):
    index = serializers.IntegerField(allow_null=True)
    sql = serializers.CharField()
    p = serializers.FloatField()


class ApelAnswerResultSerializer(serializers.Serializer):
    created = serializers.BooleanField(help_text="False when this round was already recorded (a retry).")
    posterior = ApelPosteriorBarSerializer(many=True)
    done = serializers.BooleanField()
    label = serializers.CharField(allow_null=True)
    confidence = serializers.FloatField(allow_null=True)
    stop_reason = serializers.CharField(allow_null=True)
    next = ApelQuestionSerializer(allow_null=True)


class ApelUtteranceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    question = serializers.CharField()
    db_id = serializers.CharField()
    is_gold = serializers.BooleanField()
    status = serializers.CharField()
    label_sql = serializers.CharField(allow_blank=True)
    confidence = serializers.FloatField(allow_null=True)
    n_annotators = serializers.IntegerField()


class ApelUtteranceDetailSerializer(ApelUtteranceSerializer):
    reference_sql = serializers.CharField(allow_blank=True)
    candidates = serializers.ListField(child=serializers.DictField(child=AnyJSONField()))
    posterior = serializers.ListField(child=serializers.FloatField())
    other_mass = serializers.FloatField(allow_null=True)
    stop_reasons = serializers.ListField(child=AnyJSONField())
    history = serializers.ListField(child=serializers.DictField(child=AnyJSONField()))
