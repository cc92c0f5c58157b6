"""Rating REST API: create a study from a JSONL of outputs, rate blind pairs, read statistics and exports.

Permissions as elsewhere: a study you cannot see is a 404; rating needs enrolment (or owning it, or
admin); statistics and exports need managing it (owner or admin). Raters never receive model names.
"""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response as APIResponse

from annotate import queue
from annotate.interface_api import InterfaceStudyViewSet
from annotate.models import Study, log_event
from annotate.rating import serializers as s
from annotate.rating import services, stats
from annotate.serializers import UploadErrorSerializer

STUDY_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The rating study's id.")
ERRORS = {
    400: UploadErrorSerializer,
    403: OpenApiResponse(description="Not allowed."),
    404: OpenApiResponse(description="No such study."),
}


class RatingStudyViewSet(InterfaceStudyViewSet):
    kind = Study.Kind.RATING
    serializer_class = s.RatingPairSerializer  # for the schema generator; actions name their own

    @extend_schema(
        summary="Create a rating study from a JSONL of model outputs (all or nothing)",
        request={"multipart/form-data": s.RatingStudyUploadSerializer},
        responses={201: s.RatingStudyCreatedSerializer, **ERRORS},
    )
    def create(self, request):
        self._require_creator()
        form = s.RatingStudyUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        try:
            study = services.create_rating_study(
                request.user,
                data["name"],
                data["outputs"].read(),
                config=data.get("config") or None,
                description=data.get("description", ""),
                annotations_per_item=data["annotations_per_item"],
            )
        except services.RatingImportError as exc:
            return APIResponse(exc.as_dict(), status=status.HTTP_400_BAD_REQUEST)
        body = {
            "id": study.pk,
            "name": study.name,
            "items": study.items.count(),
            "gold": study.items.filter(is_gold=True).count(),
            "config": study.config,
        }
        return APIResponse(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The current rater's next blind pair (claims one if needed)",
        parameters=[STUDY_ID],
        responses={200: s.RatingPairSerializer, 204: None, 409: UploadErrorSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get"], url_path="next")
    def next(self, request, pk=None):
        study = self._annotatable(pk)
        if not study.is_active:
            return APIResponse({"detail": "This study is closed."}, status=409)
        try:
            pair = services.next_pair(study, request.user)
        except queue.QueueError as exc:
            return APIResponse({"detail": str(exc)}, status=exc.status)
        if pair is None:
            return APIResponse(status=status.HTTP_204_NO_CONTENT)
        cfg = services.study_config(study)
        body = {**pair.__dict__, "likert": cfg["likert"], "comment": cfg["comment"]}
        return APIResponse(body)

    @extend_schema(
        summary="Answer a pair: left, right, tie or both_bad (the winning model is resolved server-side)",
        parameters=[STUDY_ID],
        request=s.RatingAnswerSerializer,
        responses={
            201: s.RatingAnswerResultSerializer,
            200: s.RatingAnswerResultSerializer,
            409: UploadErrorSerializer,
            **ERRORS,
        },
    )
    @action(detail=True, methods=["post"], url_path="answer", parser_classes=[JSONParser, FormParser])
    def answer(self, request, pk=None):
        study = self._annotatable(pk)
        form = s.RatingAnswerSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        likert = data.get("likert") or {}
        try:
            rated = services.rate(
                study,
                data["assignment"],
                request.user,
                data["choice"],
                likert_left=likert.get("left"),
                likert_right=likert.get("right"),
                comment=data.get("comment", ""),
                active_time_ms=data.get("active_time_ms"),
                client={"interface": "rating-api"},
            )
        except services.RatingError as exc:
            return APIResponse({"detail": str(exc)}, status=exc.status)
        body = {"response": rated.response_id, "created": rated.created, "fast": rated.fast}
        return APIResponse(body, status=status.HTTP_201_CREATED if rated.created else status.HTTP_200_OK)

    @extend_schema(
        summary="Win rates, Bradley–Terry leaderboard, agreement, position bias, rater quality (owner/admin)",
        parameters=[STUDY_ID],
        responses={200: s.RatingStatsSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get"], url_path="stats")
    def stats(self, request, pk=None):
        return APIResponse(stats.study_stats(self._managed(pk)))

    @extend_schema(
        summary="Export every response (model names resolved) or the statistics, as JSONL or CSV",
        parameters=[
            STUDY_ID,
            OpenApiParameter("what", str, enum=["responses", "stats"], default="responses"),
            OpenApiParameter("fmt", str, enum=["jsonl", "csv"], default="jsonl"),
        ],
        responses={
            (200, "application/x-ndjson"): OpenApiTypes.STR,
            (200, "text/csv"): OpenApiTypes.STR,
            **ERRORS,
        },
    )
    @action(detail=True, methods=["get"], url_path="export", renderer_classes=[JSONRenderer])
    def export(self, request, pk=None):
        study = self._managed(pk)
        what = request.query_params.get("what", "responses")
        fmt = request.query_params.get("fmt", "jsonl")
        if what not in ("responses", "stats") or fmt not in ("jsonl", "csv"):
            return APIResponse({"detail": "what is responses|stats, fmt is jsonl|csv."}, status=400)
        body, content_type = stats.export(study, what, fmt)
        log_event("rating.exported", actor=request.user, study=study, obj=study, what=what, format=fmt)
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="study-{study.pk}-rating-{what}.{fmt}"'
        return response


def register(router) -> None:
    router.register("rating/studies", RatingStudyViewSet, basename="api-rating-study")
