"""Submitting and scoping runs: the one path the form, the API and the CLI all take."""

from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from annotate.roles import ADMIN, RESEARCHER, role_of
from evalhub.models import Artifact, ModelCheckpoint, Run
from ml import experiments


def submit_run(user, kind: str, raw_params: dict | None) -> Run:
    """Validate parameters against the registry, create the run, and enqueue it after commit.

    Raises ml.experiments.ParamError naming the bad field.
    """
    from workers.tasks import enqueue_run

    experiment = experiments.get(kind)
    params = experiment.validate(raw_params)
    with transaction.atomic():
        run = Run.objects.create(kind=kind, params=params, owner=user, queue=experiment.queue)
        enqueue_run(run.pk, run.queue)
    return run


def can_submit_runs(user) -> bool:
    return role_of(user) in (ADMIN, RESEARCHER)


def visible_runs(user) -> QuerySet:
    role = role_of(user)
    if role == ADMIN:
        return Run.objects.all()
    if role == RESEARCHER:
        return Run.objects.filter(owner=user)
    return Run.objects.none()


def visible_artifacts(user) -> QuerySet:
    return Artifact.objects.filter(run__in=visible_runs(user))


def visible_checkpoints(user) -> QuerySet:
    # Every signed-in user may pick a registered model (to play against or rate); paths are not secrets.
    return ModelCheckpoint.objects.all() if user.is_authenticated else ModelCheckpoint.objects.none()


def artifact_file(artifact: Artifact) -> Path | None:
    """The artifact's file, if it is a regular file under ARTIFACT_ROOT; None otherwise.

    Artifact paths come from experiment code, so never serve anything outside the artifact root.
    """
    root = Path(settings.ARTIFACT_ROOT).resolve()
    path = (root / artifact.path).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def artifact_listing(artifact: Artifact, limit: int = 50) -> list[str]:
    """Relative names of the files inside a directory artifact (a checkpoint), for display."""
    root = Path(settings.ARTIFACT_ROOT).resolve()
    path = (root / artifact.path).resolve()
    if not path.is_relative_to(root) or not path.is_dir():
        return []
    return sorted(str(f.relative_to(path)) for f in path.rglob("*") if f.is_file())[:limit]
