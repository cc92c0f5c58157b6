"""REST endpoints for runs, artifacts, the experiment registry and model checkpoints.

Every queryset comes from the scoping functions in evalhub.services, so an id outside the user's
scope is a 404, never someone else's data.
"""

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from evalhub.serializers import (
    ArtifactSerializer,
    ExperimentSerializer,
    ModelCheckpointSerializer,
    RunCreateSerializer,
    RunSerializer,
)
from evalhub.services import (
    can_submit_runs,
    submit_run,
    visible_artifacts,
    visible_checkpoints,
    visible_runs,
)
from evalhub.views import artifact_response
from ml import experiments
from ml.experiments import ParamError
from workers.lifecycle import request_cancel


class CanRunExperiments(permissions.BasePermission):
    """Researchers and admins; annotators get a 403 rather than an empty list."""

    message = "Only researchers and admins run experiments."

    def has_permission(self, request, view) -> bool:
        return can_submit_runs(request.user)


class AdminCreates(permissions.BasePermission):
    """Any signed-in user may read; only admins may add a model to the registry."""

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return bool(request.user and request.user.is_superuser)


@extend_schema_view(
    list=extend_schema(summary="Runs you may see (admins: all; researchers: their own)."),
    retrieve=extend_schema(summary="One run with its progress, metrics and artifacts."),
)
class RunViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    serializer_class = RunSerializer
    permission_classes = [permissions.IsAuthenticated, CanRunExperiments]
    filterset_fields = ["status", "kind", "queue"]
    ordering_fields = ["created_at", "finished_at", "status"]

    def get_queryset(self):
        return visible_runs(self.request.user).select_related("owner").prefetch_related("artifacts")

    @extend_schema(
        summary="Submit a run; params are validated by the experiment registry.",
        request=RunCreateSerializer,
        responses={201: RunSerializer, 400: OpenApiResponse(description="Unknown kind or bad parameter.")},
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        data = RunCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = submit_run(request.user, data.validated_data["kind"], data.validated_data["params"])
        body = RunSerializer(run, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Cancel a queued run now, or ask a running one to stop at its next progress report.",
        request=None,
        responses={200: RunSerializer},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk=None) -> Response:
        run = self.get_object()
        request_cancel(run)
        run.refresh_from_db()
        return Response(self.get_serializer(run).data)


class ArtifactViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ArtifactSerializer
    permission_classes = [permissions.IsAuthenticated, CanRunExperiments]
    filterset_fields = ["run", "kind"]

    def get_queryset(self):
        return visible_artifacts(self.request.user)

    @extend_schema(
        summary="The artifact's file (directories such as checkpoints are not downloadable).",
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            404: OpenApiResponse(description="Not yours, or not a file."),
        },
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk=None) -> FileResponse:
        return artifact_response(self.get_object())


_NAME = OpenApiParameter("name", OpenApiTypes.STR, OpenApiParameter.PATH, description="e.g. lm.train_tiny")


class ExperimentViewSet(viewsets.ViewSet):
    """The experiment registry: what can be run and each parameter's schema."""

    serializer_class = ExperimentSerializer
    permission_classes = [permissions.IsAuthenticated, CanRunExperiments]
    lookup_field = "name"
    lookup_value_regex = r"[^/]+"  # names contain dots

    @extend_schema(responses=ExperimentSerializer(many=True))
    def list(self, request: Request) -> Response:
        return Response(ExperimentSerializer(experiments.all_experiments(), many=True).data)

    @extend_schema(parameters=[_NAME], responses=ExperimentSerializer)
    def retrieve(self, request: Request, name: str | None = None) -> Response:
        try:
            experiment = experiments.get(name or "")
        except ParamError:
            raise NotFound(f"No experiment named {name!r}.") from None
        return Response(ExperimentSerializer(experiment).data)


class ModelCheckpointViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Registered model checkpoints the interfaces can select; admins may register one by path."""

    serializer_class = ModelCheckpointSerializer
    permission_classes = [permissions.IsAuthenticated, AdminCreates]
    filterset_fields = ["kind", "run"]
    ordering_fields = ["name", "created_at"]

    def get_queryset(self):
        return visible_checkpoints(self.request.user).select_related("run")
