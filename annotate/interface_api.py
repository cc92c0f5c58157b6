"""The base of an interface's own REST API (APEL, rating): its study queryset, and the two permission
checks every action needs. A study you cannot see is a 404; annotating needs enrolment (or owning it,
or admin); managing needs ownership or admin."""

from django.shortcuts import get_object_or_404
from rest_framework import viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated

from annotate.models import Study
from annotate.roles import ADMIN, RESEARCHER, can_manage, role_of, visible_studies
from annotate.services import annotatable_study


class InterfaceStudyViewSet(viewsets.GenericViewSet):
    kind: str  # the Study.Kind this interface serves
    permission_classes = [IsAuthenticated]
    lookup_value_regex = r"\d+"
    pagination_class = None
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Study.objects.none()
        return visible_studies(self.request.user).filter(kind=self.kind)

    def _annotatable(self, pk) -> Study:
        study = annotatable_study(self.request.user, pk)
        if study is None or study.kind != self.kind:
            get_object_or_404(self.get_queryset(), pk=pk)
            raise PermissionDenied("You are not enrolled in this study.")
        return study

    def _managed(self, pk) -> Study:
        study = get_object_or_404(self.get_queryset(), pk=pk)
        if not can_manage(self.request.user, study):
            raise PermissionDenied("Only the study's owner or an admin may do this.")
        return study

    def _require_creator(self) -> None:
        if role_of(self.request.user) not in (ADMIN, RESEARCHER):
            raise PermissionDenied("Only researchers and admins create studies.")
