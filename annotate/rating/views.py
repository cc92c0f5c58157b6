"""Rating pages: the rater's blind pair page (registered as the "rating" interface), the researcher's
new-study form and live statistics page with exports. Thin: parse, check permission, call services."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from annotate import queue
from annotate.models import Study, log_event
from annotate.rating import services, stats
from annotate.roles import ADMIN, RESEARCHER, can_manage, role_of, visible_studies
from annotate.services import annotator_progress
from annotate.uploads import problem
from annotate.views import _client_meta, active_ms
from evalhub.models import Artifact, Run
from evalhub.services import artifact_file, visible_artifacts

TEMPLATE = "annotate/rating/annotate.html"
STATS_TEMPLATE = "annotate/rating/stats.html"
# Keys shown on the choice buttons; keys.js clicks the button whose data-key matches.
CHOICE_BUTTONS = [
    {"value": "left", "key": "1", "label": "A is better"},
    {"value": "right", "key": "2", "label": "B is better"},
    {"value": "tie", "key": "3", "label": "Tie"},
    {"value": "both_bad", "key": "4", "label": "Both are bad"},
]


def annotate_page(request: HttpRequest, study: Study) -> HttpResponse:
    """GET: the current or next pair. POST: record the answer, then (htmx) swap in the next pair and
    the progress counter out of band."""
    error = None
    if request.method == "POST":
        try:
            services.rate(
                study,
                int(request.POST.get("assignment", "0") or 0),
                request.user,
                request.POST.get("choice", ""),
                likert_left=request.POST.get("likert_left"),
                likert_right=request.POST.get("likert_right"),
                comment=request.POST.get("comment", ""),
                active_time_ms=active_ms(request.POST.get("active_time_ms", "")),
                client=_client_meta(request.POST.get("client", "")),
            )
        except ValueError:
            error = "The form was missing its assignment; reload the page."
        except services.RatingError as exc:
            error = str(exc)
    try:
        pair = services.next_pair(study, request.user)
    except queue.QueueError as exc:
        pair, error = None, str(exc)
    context = {
        "study": study,
        "pair": pair,
        "config": services.study_config(study),
        "choices": CHOICE_BUTTONS,
        "likert_values": range(1, 6),
        "mine": annotator_progress(study, request.user),
        "error": error,
        "oob": bool(request.htmx),
    }
    if request.htmx:
        # htmx swaps only 2xx: errors are shown inside the fragment.
        return render(request, f"{TEMPLATE}#panel", context)
    return render(request, TEMPLATE, context, status=400 if error and request.method == "POST" else 200)


def managed_rating_study(user, pk: int) -> Study:
    """404 unless the user may see the rating study, 403 unless they manage it."""
    study = get_object_or_404(visible_studies(user), pk=pk, kind=Study.Kind.RATING)
    if not can_manage(user, study):
        raise PermissionDenied
    return study


@login_required
def stats_page(request: HttpRequest, pk: int) -> HttpResponse:
    study = managed_rating_study(request.user, pk)
    context = {"study": study, "stats": stats.study_stats(study)}
    if request.htmx:
        # The polled fragment; without the trigger once the study is closed, so polling stops.
        return render(request, f"{STATS_TEMPLATE}#stats", context)
    return render(request, STATS_TEMPLATE, context)


@login_required
def export(request: HttpRequest, pk: int, what: str, fmt: str) -> HttpResponse:
    study = managed_rating_study(request.user, pk)
    if what not in ("responses", "stats") or fmt not in ("jsonl", "csv"):
        raise Http404
    body, content_type = stats.export(study, what, fmt)
    log_event("rating.exported", actor=request.user, study=study, obj=study, what=what, format=fmt)
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="study-{study.pk}-rating-{what}.{fmt}"'
    return response


def rateable_artifacts(user) -> QuerySet:
    """JSONL datasets of the user's succeeded runs: what lm.generate_outputs writes for a rating study."""
    return (
        visible_artifacts(user)
        .filter(kind=Artifact.Kind.DATASET, name__endswith=".jsonl", run__status=Run.Status.SUCCEEDED)
        .select_related("run")
        .order_by("-run_id", "name")
    )


@login_required
@require_http_methods(["GET", "POST"])
def new_study(request: HttpRequest) -> HttpResponse:
    """A researcher creates a rating study in the browser from an uploaded JSONL or a run's dataset
    artifact, through the same all-or-nothing service as the API."""
    if role_of(request.user) not in (ADMIN, RESEARCHER):
        raise PermissionDenied
    artifacts = rateable_artifacts(request.user)
    values = {
        "annotations_per_item": 3,
        **services.DEFAULT_CONFIG,
        "reference": "",
        "artifact": request.GET.get("artifact", ""),  # the run page links here with its dataset preselected
    }
    problems = []
    if request.method == "POST":
        # An unticked checkbox is not posted at all, so absence means False.
        values = {
            **values,
            **request.POST.dict(),
            "likert": "likert" in request.POST,
            "comment": "comment" in request.POST,
        }
        try:
            outputs, k, config = _parse_form(values, request.FILES.get("outputs"), artifacts)
            study = services.create_rating_study(
                request.user,
                values.get("name", ""),
                outputs,
                config=config,
                description=values.get("description", ""),
                annotations_per_item=k,
            )
        except services.RatingImportError as exc:
            problems = exc.problems
        else:
            return redirect("study-detail", study.pk)
    return render(
        request,
        "annotate/rating/new.html",
        {"problems": problems, "values": values, "artifacts": artifacts},
        status=400 if problems else 200,
    )


def _parse_form(values: dict, upload, artifacts: QuerySet) -> tuple[bytes, int, dict]:
    """The outputs, k and config from the posted form; raises RatingImportError naming every bad field,
    so the page lists them all at once (the service then checks the file and the config's ranges)."""
    problems = []
    outputs = b""
    chosen = values.get("artifact", "").strip()
    if upload and chosen:
        problems.append(problem(None, "Upload a file or pick a run's dataset, not both.", "outputs"))
    elif upload:
        outputs = upload.read()
    elif chosen:
        # Only the user's own rateable datasets: someone else's id reads as unknown, never as a 500.
        pk = _id(chosen)
        artifact = artifacts.filter(pk=pk).first() if pk else None
        # artifact_file rather than artifact.abspath: it refuses paths that leave ARTIFACT_ROOT.
        path = artifact_file(artifact) if artifact else None
        if artifact is None:
            problems.append(problem(None, "No such dataset among your succeeded runs.", "artifact"))
        elif path is None:
            problems.append(problem(None, f"{artifact.name} is no longer on this server.", "artifact"))
        else:
            outputs = path.read_bytes()
    else:
        problems.append(problem(None, "Upload a JSONL file of outputs or pick a run's dataset.", "outputs"))
    if len(values.get("name", "").strip()) > 200:
        problems.append(problem(None, "A name is at most 200 characters.", "name"))
    try:
        k = int(values.get("annotations_per_item", ""))
    except ValueError:
        k = 0
    if not 1 <= k <= 50:
        problems.append(
            problem(None, "Annotations per item must be a whole number from 1 to 50.", "annotations_per_item")
        )
    try:
        seconds = float(values.get("min_seconds", ""))
    except ValueError:
        seconds = None
        problems.append(problem(None, "Minimum seconds per answer must be a number.", "min_seconds"))
    if problems:
        raise services.RatingImportError(problems)
    config = {
        "reference": values.get("reference", "").strip() or None,
        # Whole seconds stay ints in the stored config; the service checks the range (and rejects nan).
        "min_seconds": int(seconds) if seconds.is_integer() else seconds,
        "likert": values["likert"],
        "comment": values["comment"],
    }
    return outputs, k, config


def _id(raw: str) -> int | None:
    # A database id, or None for anything else (text, or a number the database cannot hold).
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if 0 < value < 2**63 else None
