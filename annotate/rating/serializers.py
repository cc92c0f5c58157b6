"""Request and response shapes of the rating API (documented through drf-spectacular)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from annotate.rating.services import CHOICES


@extend_schema_field(OpenApiTypes.ANY)
class AnyJSONField(serializers.JSONField):
    pass


class RatingStudyUploadSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    annotations_per_item = serializers.IntegerField(min_value=1, max_value=50, default=3)
    outputs = serializers.FileField(
        help_text='JSONL: {"prompt_id", "prompt", "model", "output"} per line; optional "gold": "broken" '
        '(a deliberately broken output) and "attention": true with "expected": "tie" | "both_bad".'
    )
    config = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="JSON object: reference (model name), min_seconds, likert, comment.",
    )


class RatingStudyCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    items = serializers.IntegerField(help_text="Pairs imported.")
    gold = serializers.IntegerField(help_text="Gold and attention pairs among them.")
    config = serializers.DictField(child=AnyJSONField())


class RatingPairSerializer(serializers.Serializer):
    """A blind pair: no model names, only what is shown on each side."""

    assignment = serializers.IntegerField()
    prompt = serializers.CharField()
    left = serializers.CharField(help_text="Answer A, shown on the left.")
    right = serializers.CharField(help_text="Answer B, shown on the right.")
    likert = serializers.BooleanField(help_text="Whether 1-5 ratings per answer are asked for.")
    comment = serializers.BooleanField(help_text="Whether a comment is asked for.")


class LikertSerializer(serializers.Serializer):
    left = serializers.IntegerField(min_value=1, max_value=5, allow_null=True, required=False)
    right = serializers.IntegerField(min_value=1, max_value=5, allow_null=True, required=False)


class RatingAnswerSerializer(serializers.Serializer):
    assignment = serializers.IntegerField(min_value=1)
    choice = serializers.ChoiceField(choices=CHOICES)
    likert = LikertSerializer(required=False)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    active_time_ms = serializers.IntegerField(required=False, min_value=0, max_value=2**31 - 1)


class RatingAnswerResultSerializer(serializers.Serializer):
    response = serializers.IntegerField()
    created = serializers.BooleanField(help_text="False when this repeats an answer already stored.")
    fast = serializers.BooleanField(help_text="Answered quicker than the study's min_seconds.")


class RatingStatsSerializer(serializers.Serializer):
    study = serializers.IntegerField()
    n_responses = serializers.IntegerField()
    n_rated = serializers.IntegerField()
    models = serializers.ListField(child=serializers.CharField())
    reference = serializers.CharField(allow_null=True)
    pairs = serializers.ListField(child=serializers.DictField(child=AnyJSONField()))
    vs_reference = serializers.ListField(child=serializers.DictField(child=AnyJSONField()))
    all_vs_reference = serializers.BooleanField()
    bradley_terry = serializers.DictField(child=AnyJSONField())
    agreement = serializers.DictField(child=AnyJSONField())
    position_bias = serializers.DictField(child=AnyJSONField(), allow_null=True)
    raters = serializers.ListField(child=serializers.DictField(child=AnyJSONField()))
    fast_answers = serializers.IntegerField()
