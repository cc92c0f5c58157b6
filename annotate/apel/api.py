"""APEL REST API: create a study by upload, work the queue one database at a time, read labels.

Permissions as elsewhere: a study you cannot see is a 404; annotating needs enrolment (or owning it,
or admin); reading posteriors, history and exports needs managing it (owner or admin).
"""

from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response as APIResponse

from annotate import queue
from annotate.apel import serializers as s
from annotate.apel import services
from annotate.interface_api import InterfaceStudyViewSet
from annotate.models import Item, Study, log_event
from annotate.serializers import UploadErrorSerializer

STUDY_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The APEL study's id.")
ITEM_ID = OpenApiParameter("item_pk", int, OpenApiParameter.PATH, description="The utterance (item) id.")
ERRORS = {
    400: UploadErrorSerializer,
    403: OpenApiResponse(description="Not allowed."),
    404: OpenApiResponse(description="No such study."),
}


def _service_error(exc: services.ApelServiceError | queue.QueueError) -> APIResponse:
    return APIResponse({"detail": str(exc)}, status=getattr(exc, "status", 409))


class ApelStudyViewSet(InterfaceStudyViewSet):
    kind = Study.Kind.APEL
    serializer_class = s.ApelQuestionSerializer  # for the schema generator; actions name their own

    @extend_schema(
        summary="Create an APEL study from a schema and a JSONL of utterances (all or nothing)",
        request={"multipart/form-data": s.ApelStudyUploadSerializer},
        responses={201: s.ApelStudyCreatedSerializer, **ERRORS},
    )
    def create(self, request):
        self._require_creator()
        form = s.ApelStudyUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        upload = data.get("schema")
        try:
            study = services.create_from_upload(
                request.user,
                data["name"],
                utterances=data["utterances"].read(),
                schema_file=(upload.read(), upload.name) if upload is not None else None,
                ddl=data.get("ddl") or "",
                config=data.get("config") or None,
                db_id=data.get("db_id", ""),
                description=data.get("description", ""),
                annotations_per_item=data["annotations_per_item"],
            )
        except services.ApelImportError as exc:
            return APIResponse(exc.as_dict(), status=status.HTTP_400_BAD_REQUEST)
        body = {
            "id": study.pk,
            "name": study.name,
            "items": study.items.count(),
            "databases": list(study.apel_databases.values_list("db_id", flat=True)),
            "rejected_candidates": sum(len(i.payload.get("rejected", [])) for i in study.items.all()),
            "config": study.config,
        }
        return APIResponse(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The current annotator's next database (claims an utterance if needed)",
        parameters=[STUDY_ID],
        responses={200: s.ApelQuestionSerializer, 204: None, 409: UploadErrorSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get"], url_path="next")
    def next(self, request, pk=None):
        study = self._annotatable(pk)
        if not study.is_active:
            return APIResponse({"detail": "This study is closed."}, status=409)
        try:
            step = services.next_step(study, request.user)
        except (services.ApelServiceError, queue.QueueError) as exc:
            return _service_error(exc)
        if step is None:
            return APIResponse(status=status.HTTP_204_NO_CONTENT)
        return APIResponse(_question(step))

    @extend_schema(
        summary="Answer the current database; returns the posterior and the next database or the label",
        parameters=[STUDY_ID],
        request=s.ApelAnswerSerializer,
        responses={
            201: s.ApelAnswerResultSerializer,
            200: s.ApelAnswerResultSerializer,
            409: UploadErrorSerializer,
            **ERRORS,
        },
    )
    @action(detail=True, methods=["post"], url_path="answer", parser_classes=[JSONParser, FormParser])
    def answer(self, request, pk=None):
        study = self._annotatable(pk)
        form = s.ApelAnswerSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        if not Item.objects.filter(study=study, assignments__pk=data["assignment"]).exists():
            return APIResponse({"detail": "No such assignment in this study."}, status=404)
        try:
            result = services.answer(
                data["assignment"],
                request.user,
                data["choice"],
                question_id=data.get("question"),
                active_time_ms=data.get("active_time_ms"),
                client={"interface": "apel-api"},
            )
        except (services.ApelServiceError, queue.QueueError) as exc:
            return _service_error(exc)
        session = result.step.session
        body = {
            "created": result.created,
            "posterior": [
                {"index": b["index"], "sql": b["sql"], "p": b["p"]} for b in services.posterior_bars(session)
            ],
            "done": result.step.done,
            "label": session.label if result.step.done else None,
            "confidence": session.confidence if result.step.done else None,
            "stop_reason": session.stop_reason,
            "next": None if result.step.done else _question(result.step),
        }
        return APIResponse(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)

    @extend_schema(
        summary="Every utterance with its label status (owner/admin)",
        parameters=[STUDY_ID],
        responses={200: s.ApelUtteranceSerializer(many=True), **ERRORS},
    )
    @action(detail=True, methods=["get"], url_path="utterances")
    def utterances(self, request, pk=None):
        study = self._managed(pk)
        return APIResponse([_utterance(r) for r in services.utterance_rows(study)])

    @extend_schema(
        summary="One utterance's posterior and full history (owner/admin)",
        parameters=[STUDY_ID, ITEM_ID],
        responses={200: s.ApelUtteranceDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get"], url_path=r"utterances/(?P<item_pk>\d+)")
    def utterance(self, request, pk=None, item_pk=None):
        study = self._managed(pk)
        item = get_object_or_404(Item, study=study, pk=item_pk)
        row = next(r for r in services.utterance_rows(study) if r["item"].pk == item.pk)
        history = services.item_history(item)
        label = history["label"]
        body = {
            **_utterance(row),
            "reference_sql": label.reference_sql if label else "",
            "candidates": item.payload.get("candidates", []),
            "posterior": label.posterior if label else [],
            "other_mass": label.other_mass if label else None,
            "stop_reasons": label.stop_reasons if label else [],
            "history": history["annotators"],
        }
        return APIResponse(body)

    @extend_schema(
        summary="Export every utterance's label with its evidence as JSONL (owner/admin)",
        parameters=[STUDY_ID],
        responses={(200, "application/x-ndjson"): OpenApiTypes.STR, **ERRORS},
    )
    @action(detail=True, methods=["get"], url_path="labels/export", renderer_classes=[JSONRenderer])
    def export_labels(self, request, pk=None):
        study = self._managed(pk)
        log_event("apel.labels.exported", actor=request.user, study=study, obj=study)
        response = StreamingHttpResponse(
            services.export_label_lines(study), content_type="application/x-ndjson"
        )
        response["Content-Disposition"] = f'attachment; filename="study-{study.pk}-apel-labels.jsonl"'
        return response


def _question(step: services.Step) -> dict:
    q = services.question_view(step)
    return {
        **{
            k: q[k]
            for k in (
                "assignment",
                "question",
                "round",
                "utterance",
                "tables",
                "info_gain",
                "rows_shown",
                "tie",
            )
        },
        "options": [
            {
                "position": o["position"],
                "columns": o["columns"],
                "rows": [[v for v, _ in r["cells"]] for r in o["rows"]],
            }
            for o in q["options"]
        ],
    }


def _utterance(row: dict) -> dict:
    item, label = row["item"], row["label"]
    return {
        "id": item.pk,
        "external_id": item.external_id,
        "question": row["question"],
        "db_id": row["db_id"],
        "is_gold": item.is_gold,
        "status": row["status"],
        "label_sql": label.label_sql if label else "",
        "confidence": label.confidence if label else None,
        "n_annotators": label.n_annotators if label else 0,
    }


def register(router) -> None:
    router.register("apel/studies", ApelStudyViewSet, basename="api-apel-study")
