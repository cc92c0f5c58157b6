"""API shapes for runs, artifacts, the experiment registry and model checkpoints."""

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from evalhub.models import Artifact, ModelCheckpoint, Run
from ml import experiments
from ml.experiments import Experiment, Param, ParamError


class ArtifactSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Artifact
        fields = ["id", "run", "kind", "name", "path", "size_bytes", "created_at", "download_url"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, obj: Artifact) -> str:
        url = reverse("api-artifact-download", args=[obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class RunSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.get_username", read_only=True)
    is_finished = serializers.BooleanField(read_only=True)
    duration_s = serializers.FloatField(read_only=True, allow_null=True)
    artifacts = ArtifactSerializer(many=True, read_only=True)

    class Meta:
        model = Run
        fields = [
            "id",
            "kind",
            "params",
            "owner",
            "queue",
            "status",
            "is_finished",
            "progress",
            "message",
            "log_tail",
            "metrics",
            "error",
            "attempts",
            "cancel_requested",
            "created_at",
            "started_at",
            "finished_at",
            "duration_s",
            "artifacts",
        ]
        read_only_fields = fields


class RunCreateSerializer(serializers.Serializer):
    """{kind, params}: validated by the registry, so a bad value is a 400 naming its field."""

    kind = serializers.CharField(help_text="An experiment name from /api/experiments/.")
    params = serializers.DictField(
        child=serializers.JSONField(), required=False, default=dict, help_text="Overrides of the defaults."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            experiment = experiments.get(attrs["kind"])
        except ParamError as exc:
            raise serializers.ValidationError({"kind": [exc.message]}) from None
        try:
            attrs["params"] = experiment.validate(attrs.get("params"))
        except ParamError as exc:
            raise serializers.ValidationError({"params": {exc.field: [exc.message]}}) from None
        return attrs


class ParamSerializer(serializers.Serializer):
    name = serializers.CharField()
    type = serializers.ChoiceField(choices=["int", "float", "str", "bool"])
    default = serializers.JSONField(allow_null=True)
    help = serializers.CharField()
    min = serializers.FloatField(allow_null=True)
    max = serializers.FloatField(allow_null=True)
    choices = serializers.ListField(child=serializers.JSONField(), allow_null=True)

    def to_representation(self, param: Param) -> dict[str, Any]:
        return {
            "name": param.name,
            "type": param.type.__name__,
            "default": param.default,
            "help": param.help,
            "min": param.min,
            "max": param.max,
            "choices": list(param.choices) if param.choices is not None else None,
        }


class ExperimentSerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    queue = serializers.CharField()
    params = ParamSerializer(many=True)

    def to_representation(self, experiment: Experiment) -> dict[str, Any]:
        return {
            "name": experiment.name,
            "title": experiment.title,
            "description": experiment.description,
            "queue": experiment.queue,
            "params": [ParamSerializer().to_representation(p) for p in experiment.params],
        }


class ModelCheckpointSerializer(serializers.ModelSerializer):
    exists = serializers.BooleanField(read_only=True)
    metadata = serializers.JSONField(required=False, default=dict)

    def validate_metadata(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("Must be a JSON object.")
        return value

    class Meta:
        model = ModelCheckpoint
        fields = [
            "id",
            "name",
            "kind",
            "path",
            "source",
            "run",
            "n_params",
            "metadata",
            "created_at",
            "exists",
        ]
        read_only_fields = ["id", "run", "created_at", "exists"]

    def validate_path(self, value: str) -> str:
        # Models load only from local paths; a hub id or URL would make the interfaces reach out.
        if "://" in value:
            raise serializers.ValidationError("Give a local directory or file, not a URL.")
        return value
