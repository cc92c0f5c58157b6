"""API serializers. Annotators never see gold answers or the other annotators of a study."""

from django.contrib.auth import get_user_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from annotate.models import Assignment, Item, Response, Study
from annotate.roles import managed_studies


class StudySerializer(serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(read_only=True)
    annotators = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=get_user_model().objects.all(),
        help_text="User ids of the enrolled annotators. Non-managers see only themselves.",
    )

    class Meta:
        model = Study
        fields = [
            "id",
            "name",
            "kind",
            "description",
            "owner",
            "annotators",
            "annotations_per_item",
            "max_items_per_annotator",
            "assignment_timeout_s",
            "config",
            "is_active",
            "created_at",
        ]
        read_only_fields = ["owner", "created_at"]
        extra_kwargs = {"annotations_per_item": {"min_value": 1}, "assignment_timeout_s": {"min_value": 1}}

    def validate_config(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("Must be a JSON object.")
        choices = value.get("choices")
        if choices is not None and not isinstance(choices, list):
            raise serializers.ValidationError("choices must be a list.")
        return value

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None:
            return data
        if "_managed_ids" not in self.context:
            # Once per request, not per study: a list would otherwise ask for the user's role per row.
            self.context["_managed_ids"] = set(managed_studies(request.user).values_list("pk", flat=True))
        if instance.pk not in self.context["_managed_ids"]:
            # Annotators need not know who else is enrolled.
            data["annotators"] = [pk for pk in data["annotators"] if pk == request.user.pk]
        return data


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = [
            "id",
            "study",
            "external_id",
            "payload",
            "is_gold",
            "gold_answer",
            "n_assigned",
            "n_done",
            "created_at",
        ]
        read_only_fields = fields


class ItemImportProblemSerializer(serializers.Serializer):
    line = serializers.IntegerField(allow_null=True, help_text="1-based line (or record) number.")
    message = serializers.CharField()


class ItemImportErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = ItemImportProblemSerializer(many=True)


class ItemImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A .jsonl or .csv file, UTF-8.")


class ItemImportResultSerializer(serializers.Serializer):
    imported = serializers.IntegerField()


class AnnotatorItemSerializer(serializers.ModelSerializer):
    """What an annotator is shown of an item: no gold flag, no gold answer."""

    class Meta:
        model = Item
        fields = ["id", "external_id", "payload"]
        read_only_fields = fields


def next_assignment_data(assignment: Assignment) -> dict:
    """NextAssignmentSerializer's output, built directly: this answers every annotator's every item, and
    a ModelSerializer rebuilds its fields on each call."""
    item = assignment.item
    return {
        "assignment": assignment.pk,
        "study": assignment.study_id,
        "item": {"id": item.pk, "external_id": item.external_id, "payload": item.payload},
        "status": assignment.status,
        "served_at": _iso(assignment.served_at),
        "expires_at": _iso(assignment.expires_at),
    }


def response_data(response: Response) -> dict:
    """ResponseSerializer's output, built directly for the submit hot path (see next_assignment_data)."""
    return {
        "id": response.pk,
        "study": response.study_id,
        "item": response.item_id,
        "assignment": response.assignment_id,
        "annotator": response.annotator_id,
        "round": response.round,
        "answer": response.answer,
        "displayed_order": response.displayed_order,
        "served_at": _iso(response.served_at),
        "submitted_at": _iso(response.submitted_at),
        "active_time_ms": response.active_time_ms,
        "client": response.client,
    }


_DATETIME = serializers.DateTimeField()


def _iso(value) -> str | None:
    # The same text the serializers' DateTimeField writes.
    return _DATETIME.to_representation(value) if value is not None else None


class NextAssignmentSerializer(serializers.ModelSerializer):
    assignment = serializers.IntegerField(source="pk", read_only=True)
    item = AnnotatorItemSerializer(read_only=True)

    class Meta:
        model = Assignment
        # `state` stays on the server: for some interfaces it holds what the annotator must not see.
        fields = ["assignment", "study", "item", "status", "served_at", "expires_at"]
        read_only_fields = fields


class ResponseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Response
        fields = [
            "id",
            "study",
            "item",
            "assignment",
            "annotator",
            "round",
            "answer",
            "displayed_order",
            "served_at",
            "submitted_at",
            "active_time_ms",
            "client",
        ]
        read_only_fields = fields


@extend_schema_field(OpenApiTypes.ANY)
class AnyJSONField(serializers.JSONField):
    pass


class SubmitSerializer(serializers.Serializer):
    assignment = serializers.IntegerField(min_value=1)
    answer = AnyJSONField(help_text="The answer, any JSON value but null.")
    round = serializers.IntegerField(min_value=0, max_value=32767, default=0)
    displayed_order = serializers.ListField(child=AnyJSONField(), required=False, default=list)
    active_time_ms = serializers.IntegerField(
        min_value=0, max_value=2**31 - 1, required=False, allow_null=True
    )
    client = serializers.DictField(child=AnyJSONField(), required=False, default=dict)


class UploadProblemSerializer(serializers.Serializer):
    field = serializers.CharField()
    line = serializers.IntegerField(allow_null=True)
    message = serializers.CharField()


class UploadErrorSerializer(serializers.Serializer):
    """What an interface's refused import or request answers (annotate.uploads.UploadRefused.as_dict)."""

    detail = serializers.CharField()
    errors = UploadProblemSerializer(many=True, required=False)
