"""Run pages. Thin: parse input, check permission, call a service, render (full page or htmx fragment)."""

import mimetypes

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from annotate.roles import ADMIN, RESEARCHER, role_of
from evalhub.forms import RunForm
from evalhub.models import Artifact, Run
from evalhub.services import (
    artifact_file,
    artifact_listing,
    can_submit_runs,
    submit_run,
    visible_artifacts,
    visible_runs,
)
from ml.experiments import ParamError
from workers.lifecycle import request_cancel

# Served files come from experiment code: never let one run script or be framed on our origin.
ARTIFACT_CSP = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"


def _require_submitter(request: HttpRequest) -> None:
    if not can_submit_runs(request.user):
        raise PermissionDenied("Only researchers and admins run experiments.")


@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    _require_submitter(request)
    runs = visible_runs(request.user).select_related("owner")
    status, kind = request.GET.get("status", ""), request.GET.get("kind", "")
    if status:
        runs = runs.filter(status=status)
    if kind:
        runs = runs.filter(kind=kind)
    context = {
        "runs": runs[:200],
        "status": status,
        "kind": kind,
        "statuses": Run.Status.choices,
        "kinds": visible_runs(request.user).order_by("kind").values_list("kind", flat=True).distinct(),
    }
    template = "evalhub/run_list.html#run-table" if request.htmx else "evalhub/run_list.html"
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def run_new(request: HttpRequest) -> HttpResponse:
    _require_submitter(request)
    status = 200
    if request.method == "POST":
        form = RunForm(request.POST)
        if form.is_valid():
            try:
                run = submit_run(request.user, form.cleaned_data["kind"], form.cleaned_data["params"])
            except ParamError as exc:  # the registry changed between form and submit
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                url = reverse("run-detail", args=[run.pk])
                return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
        # htmx swaps only 2xx responses by default, so the fragment with errors comes back as 200.
        status = 200 if request.htmx else 400
    else:
        form = RunForm(kind=request.GET.get("kind") or None)
    template = "evalhub/run_new.html#run-form" if request.htmx else "evalhub/run_new.html"
    return render(request, template, {"form": form}, status=status)


def _live_context(run: Run) -> dict:
    artifacts = list(run.artifacts.all())
    for a in artifacts:
        # Checkpoints are directories: list their files rather than offering a download.
        a.listing = artifact_listing(a) if a.kind == Artifact.Kind.CHECKPOINT else []
        # A finished run's JSONL outputs can seed a rating study (the same rule as the rating page's list).
        a.rateable = (
            run.status == Run.Status.SUCCEEDED
            and a.kind == Artifact.Kind.DATASET
            and a.name.endswith(".jsonl")
        )
    return {
        "run": run,
        "plots": [a for a in artifacts if a.is_image],
        "files": [a for a in artifacts if not a.is_image],
        "metrics": sorted((run.metrics or {}).items()),
        "params": sorted((run.params or {}).items()),
    }


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(visible_runs(request.user).select_related("owner"), pk=pk)
    # htmx polls this same URL; it gets only the live fragment, without its trigger once finished.
    template = "evalhub/run_detail.html#live" if request.htmx else "evalhub/run_detail.html"
    can_create_study = role_of(request.user) in (ADMIN, RESEARCHER)  # who may open the rating form
    return render(request, template, {**_live_context(run), "can_create_study": can_create_study})


@login_required
@require_POST
def run_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(visible_runs(request.user), pk=pk)
    request_cancel(run)
    if request.htmx:
        run.refresh_from_db()
        return render(request, "evalhub/run_detail.html#live", _live_context(run))
    return redirect("run-detail", pk=run.pk)


@login_required
def artifact_download(request: HttpRequest, pk: int, artifact_pk: int) -> FileResponse:
    """Stream one artifact file of a run the user may see; 404 for anything else."""
    artifact = get_object_or_404(visible_artifacts(request.user), pk=artifact_pk, run_id=pk)
    return artifact_response(artifact)


def artifact_response(artifact: Artifact) -> FileResponse:
    path = artifact_file(artifact)
    if path is None:
        raise Http404("This artifact is not a file on this server.")
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    response = FileResponse(
        path.open("rb"), as_attachment=not artifact.is_image, filename=path.name, content_type=content_type
    )
    response["Content-Security-Policy"] = ARTIFACT_CSP
    return response
