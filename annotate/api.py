"""REST API for studies, items, the queue and responses. Thin: parse, check permission, call one function.

Permission pattern: the queryset is scoped to what the user may see (so anything else is a 404), and an
action that needs more than seeing (editing, importing, exporting) is a 403 for those who only see.
"""

import django_filters
from django.db.models import ProtectedError
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response as APIResponse

from annotate import exporting, importing, queue
from annotate.interfaces import has_own_submit
from annotate.models import Item, Response, Study, log_event
from annotate.roles import ADMIN, RESEARCHER, can_manage, role_of, visible_studies
from annotate.serializers import (
    ItemImportErrorSerializer,
    ItemImportResultSerializer,
    ItemImportUploadSerializer,
    ItemSerializer,
    NextAssignmentSerializer,
    ResponseSerializer,
    StudySerializer,
    SubmitSerializer,
    next_assignment_data,
    response_data,
)
from annotate.services import annotatable_study, visible_responses

FORMAT_PARAM = OpenApiParameter(
    "format", str, OpenApiParameter.QUERY, enum=list(exporting.FORMATS), default="jsonl", required=False
)
EXPORT_RESPONSES = {
    (200, "application/x-ndjson"): OpenApiTypes.STR,
    (200, "text/csv"): OpenApiTypes.STR,
    400: OpenApiResponse(description="Unknown format."),
}
STUDY_PK = OpenApiParameter("study_pk", int, OpenApiParameter.PATH, description="The study's id.")


class _IgnoreFormatParam(DefaultContentNegotiation):
    """Exports use ?format=jsonl|csv for the file format, not for DRF's renderer choice."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _export(request, study: Study, what: str, produce) -> StreamingHttpResponse:
    fmt = request.query_params.get("format", "jsonl")
    if fmt not in exporting.FORMATS:
        raise ValidationError({"format": [f"Choose one of: {', '.join(exporting.FORMATS)}."]})
    response = StreamingHttpResponse(produce(study, fmt), content_type=exporting.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{exporting.filename(study, what, fmt)}"'
    log_event(f"{what}.exported", actor=request.user, study=study, obj=study, format=fmt)
    return response


def _require_manager(user, study: Study) -> None:
    if not can_manage(user, study):
        raise PermissionDenied("Only the study's owner or an admin may do this.")


class CanManageStudy(BasePermission):
    """Anyone who sees a study may read it; changing or deleting it is for its owner or an admin.
    Checked on the object before the body is validated, so a non-manager gets 403, not field errors."""

    message = "Only the study's owner or an admin may do this."

    def has_object_permission(self, request, view, obj) -> bool:
        return view.action not in ("update", "partial_update", "destroy") or can_manage(request.user, obj)


class StudyFilter(django_filters.FilterSet):
    class Meta:
        model = Study
        fields = ["kind", "is_active"]


@extend_schema_view(
    list=extend_schema(summary="Studies you may see"),
    create=extend_schema(summary="Create a study you own (researchers and admins)"),
)
class StudyViewSet(viewsets.ModelViewSet):
    serializer_class = StudySerializer
    lookup_value_regex = r"\d+"
    permission_classes = [IsAuthenticated, CanManageStudy]
    filterset_class = StudyFilter
    ordering_fields = ["created_at", "name", "id"]
    ordering = ["-created_at"]

    def get_queryset(self):
        return visible_studies(self.request.user).select_related("owner").prefetch_related("annotators")

    def perform_create(self, serializer):
        if role_of(self.request.user) not in (ADMIN, RESEARCHER):
            raise PermissionDenied("Only researchers and admins create studies.")
        study = serializer.save(owner=self.request.user)
        log_event("study.created", actor=self.request.user, study=study, obj=study)

    def perform_update(self, serializer):
        study = serializer.save()
        log_event(
            "study.updated", actor=self.request.user, study=study, obj=study, fields=sorted(self.request.data)
        )

    def perform_destroy(self, instance):
        log_event("study.deleted", actor=self.request.user, obj=instance, name=instance.name)
        instance.delete()

    @extend_schema(responses={204: None, 409: OpenApiResponse(description="The study has responses.")})
    def destroy(self, request, *args, **kwargs):
        try:
            return super().destroy(request, *args, **kwargs)
        except ProtectedError:
            # Responses are immutable research data; a study that has them is closed, not deleted.
            return APIResponse(
                {"detail": "This study has responses and cannot be deleted; set is_active to false instead."},
                status=status.HTTP_409_CONFLICT,
            )

    @extend_schema(
        summary="The current user's next assignment",
        description="Resumes the user's open assignment or claims a new one. 204 when nothing is left.",
        request=None,
        responses={200: NextAssignmentSerializer, 204: None},
    )
    @action(detail=True, methods=["get", "post"], url_path="next")
    def next(self, request, pk=None, **kwargs):
        study = annotatable_study(request.user, pk)
        if study is None:
            # Tell an annotator who can see the study why; hide studies they cannot see at all.
            get_object_or_404(self.get_queryset(), pk=pk)
            raise PermissionDenied("You are not enrolled in this study.")
        if has_own_submit(study.kind):
            # Such items carry what the annotator must not see (APEL's candidate programs).
            raise queue.QueueError(f"{study.kind} studies are served through that interface's own API.")
        if not study.is_active:
            raise queue.QueueError("This study is closed.", status=409)
        assignment = queue.next_assignment(study, request.user)
        if assignment is None:
            return APIResponse(status=status.HTTP_204_NO_CONTENT)
        return APIResponse(next_assignment_data(assignment))

    @extend_schema(
        summary="Export the study's responses (owner/admin)",
        parameters=[FORMAT_PARAM],
        responses=EXPORT_RESPONSES,
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="responses/export",
        renderer_classes=[JSONRenderer],
        content_negotiation_class=_IgnoreFormatParam,
    )
    def export_responses(self, request, pk=None, **kwargs):
        study = self.get_object()
        _require_manager(request.user, study)
        return _export(request, study, "responses", exporting.export_responses)


class ItemFilter(django_filters.FilterSet):
    class Meta:
        model = Item
        fields = ["is_gold", "external_id"]


@extend_schema(parameters=[STUDY_PK])
class ItemViewSet(viewsets.ReadOnlyModelViewSet):
    """A study's items (owner/admin: items carry gold answers, so annotators get them only via /next/)."""

    serializer_class = ItemSerializer
    lookup_value_regex = r"\d+"
    filterset_class = ItemFilter
    ordering_fields = ["id", "n_assigned", "n_done", "external_id"]
    ordering = ["id"]

    def get_study(self) -> Study:
        if not hasattr(self, "_study"):
            self._study = get_object_or_404(visible_studies(self.request.user), pk=self.kwargs["study_pk"])
            _require_manager(self.request.user, self._study)
        return self._study

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Item.objects.none()
        return Item.objects.filter(study=self.get_study())

    @extend_schema(
        summary="Import items from JSONL/CSV (multipart `file`) or a JSON list; all or nothing",
        request={
            "multipart/form-data": ItemImportUploadSerializer,
            "application/json": {"type": "array", "items": {"type": "object", "additionalProperties": True}},
        },
        responses={201: ItemImportResultSerializer, 400: ItemImportErrorSerializer},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser, JSONParser],
    )
    def import_items(self, request, study_pk=None, **kwargs):
        study = self.get_study()
        try:
            if isinstance(request.data, list):
                records = importing.parse_records(request.data)
            elif "file" in request.FILES:
                upload = request.FILES["file"]
                records = importing.parse_file(upload.read(), upload.name)
            else:
                raise ValidationError(
                    {"file": ["Upload a .jsonl or .csv file, or post a JSON list of items."]}
                )
            count = importing.import_items(study, records, actor=request.user)
        except importing.ImportFailed as exc:
            return APIResponse(exc.as_dict(), status=status.HTTP_400_BAD_REQUEST)
        return APIResponse({"imported": count}, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Export the study's items (owner/admin)",
        parameters=[FORMAT_PARAM],
        responses=EXPORT_RESPONSES,
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="export",
        renderer_classes=[JSONRenderer],
        content_negotiation_class=_IgnoreFormatParam,
        pagination_class=None,
        filter_backends=[],
    )
    def export(self, request, study_pk=None, **kwargs):
        return _export(request, self.get_study(), "items", exporting.export_items)


class ResponseFilter(django_filters.FilterSet):
    # Plain numbers, not model choices: a filter must not reveal whether a hidden id exists.
    study = django_filters.NumberFilter(field_name="study_id")
    item = django_filters.NumberFilter(field_name="item_id")
    annotator = django_filters.NumberFilter(field_name="annotator_id")

    class Meta:
        model = Response
        fields = ["study", "item", "annotator", "round"]


@extend_schema_view(
    list=extend_schema(summary="Responses you may see (annotators: your own)"),
    create=extend_schema(
        summary="Submit an answer; a retry of the same (assignment, round) returns the stored response",
        request=SubmitSerializer,
        responses={201: ResponseSerializer, 200: ResponseSerializer},
    ),
)
class ResponseViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ResponseSerializer
    lookup_value_regex = r"\d+"
    filterset_class = ResponseFilter
    ordering_fields = ["submitted_at", "id"]
    ordering = ["submitted_at", "id"]

    def get_queryset(self):
        return visible_responses(self.request.user)

    def create(self, request, *args, **kwargs):
        form = SubmitSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        submission = queue.submit(
            data["assignment"],
            request.user,
            data["answer"],
            round=data["round"],
            displayed_order=data["displayed_order"],
            active_time_ms=data.get("active_time_ms"),
            client=data["client"],
            generic=True,
        )
        return APIResponse(
            response_data(submission.response),
            status=status.HTTP_201_CREATED if submission.created else status.HTTP_200_OK,
        )
