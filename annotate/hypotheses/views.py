"""Hypothesis pages: the annotator's pair page (registered as the "hypothesis" interface), and the
researcher's flow: upload corpora and start describe.run, pick its hypotheses for people to check, read
the combined report, export judgements, train a verifier. Thin: parse, check permission, call services.
The run itself is shown on evalhub's run page, with its progress bar; these pages link to it."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from annotate import queue
from annotate.hypotheses import services, stats, training
from annotate.hypotheses.forms import DescribeParamsForm
from annotate.models import Study, log_event
from annotate.roles import ADMIN, RESEARCHER, can_manage, managed_studies, role_of, visible_studies
from annotate.services import annotator_progress
from annotate.uploads import problem
from annotate.views import _client_meta, active_ms
from evalhub.services import visible_runs

TEMPLATE = "annotate/hypotheses/annotate.html"
REPORT_TEMPLATE = "annotate/hypotheses/report.html"
# The keymap shown on the buttons is the one that works (keys.js clicks the button with data-key).
ANSWER_BUTTONS = [
    {"value": "yes", "key": "y", "label": "Yes"},
    {"value": "no", "key": "n", "label": "No"},
    {"value": "unsure", "key": "u", "label": "Unsure"},
]


def annotate_page(request: HttpRequest, study: Study) -> HttpResponse:
    """GET: the current or next pair. POST: record the answer, then (htmx) the next pair and the
    progress counter out of band."""
    error = None
    if request.method == "POST":
        try:
            services.answer(
                study,
                int(request.POST.get("assignment", "0") or 0),
                request.user,
                request.POST.get("answer", ""),
                active_time_ms=active_ms(request.POST.get("active_time_ms", "")),
                client=_client_meta(request.POST.get("client", "")),
            )
        except ValueError:
            error = "The form was missing its assignment; reload the page."
        except services.HypothesisError as exc:
            error = str(exc)
    try:
        pair = services.next_pair(study, request.user)
    except queue.QueueError as exc:
        pair, error = None, str(exc)
    context = {
        "study": study,
        "pair": pair,
        "answers": ANSWER_BUTTONS,
        "mine": annotator_progress(study, request.user),
        "error": error,
        "oob": bool(request.htmx),
    }
    if request.htmx:
        # htmx swaps only 2xx: errors are shown inside the fragment.
        return render(request, f"{TEMPLATE}#panel", context)
    return render(request, TEMPLATE, context, status=400 if error and request.method == "POST" else 200)


def _require_researcher(request: HttpRequest) -> None:
    if role_of(request.user) not in (ADMIN, RESEARCHER):
        raise PermissionDenied


def _file(upload) -> tuple[str, bytes] | None:
    return (upload.name, upload.read()) if upload else None


@login_required
@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    """Step 1: upload the corpora and start describe.run (then the run page shows its progress); the
    researcher's describe.run runs and hypothesis studies are listed below."""
    _require_researcher(request)
    problems: list[dict] = []
    form = DescribeParamsForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not form.is_valid():
            problems = [problem(None, str(e), name) for name, errors in form.errors.items() for e in errors]
        else:
            try:
                run = services.start_describe_run(
                    request.user,
                    _file(request.FILES.get("corpus_a")),
                    _file(request.FILES.get("corpus_b")),
                    form.params(),
                )
            except services.HypothesisImportError as exc:
                problems = exc.problems
            else:
                return redirect("run-detail", run.pk)
    context = {
        "form": form,
        "problems": problems,
        "runs": visible_runs(request.user).filter(kind=services.DESCRIBE)[:50],
        "studies": managed_studies(request.user).filter(kind=Study.Kind.HYPOTHESIS)[:50],
    }
    return render(request, "annotate/hypotheses/home.html", context, status=400 if problems else 200)


@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest, run_pk: int) -> HttpResponse:
    """Step 2: pick hypotheses from a finished run and create the study in one click."""
    _require_researcher(request)
    run = get_object_or_404(visible_runs(request.user), pk=run_pk)
    try:
        report = services.run_report(run)
    except services.HypothesisError as exc:
        if exc.status == 404:
            raise Http404(str(exc)) from None
        return render(request, "annotate/hypotheses/verify.html", {"run": run, "error": str(exc)}, status=400)
    top_k = int(run.params.get("top_k") or 5)
    values = {
        "name": f"Hypotheses of run #{run.pk}",
        "annotations_per_item": 3,
        "samples_per_group": 10,
        "n_gold": 4,
        "flag_gap": 0.3,
        # The run's top k, as the report ranks them; eliminated ones were shown worse on fewer samples.
        "ranks": [r["rank"] for r in report["rows"] if not r.get("eliminated")][:top_k],
    }
    problems = []
    if request.method == "POST":
        values = {**values, **request.POST.dict(), "ranks": _ints(request.POST.getlist("rank"))}
        try:
            study = services.create_hypothesis_study(
                request.user,
                run,
                values["ranks"],
                name=values.get("name", ""),
                annotations_per_item=values["annotations_per_item"],
                samples_per_group=values["samples_per_group"],
                n_gold=values["n_gold"],
                flag_gap=_float(values["flag_gap"]),
            )
        except services.HypothesisImportError as exc:
            problems = exc.problems
        except services.HypothesisError as exc:
            problems = [problem(None, str(exc), "run")]
        else:
            return redirect("study-detail", study.pk)
    context = {"run": run, "report": report, "values": values, "problems": problems}
    return render(request, "annotate/hypotheses/verify.html", context, status=400 if problems else 200)


def _ints(raw: list[str]) -> list[int]:
    return [int(x) for x in raw if x.strip().lstrip("-").isdigit()]


def _float(raw) -> float:
    try:
        return float(raw)
    except (TypeError, ValueError):
        return float("nan")  # refused by the service's range check, with its message


def managed_hypothesis_study(user, pk: int) -> Study:
    """404 unless the user may see the hypothesis study, 403 unless they manage it."""
    study = get_object_or_404(visible_studies(user), pk=pk, kind=Study.Kind.HYPOTHESIS)
    if not can_manage(user, study):
        raise PermissionDenied
    return study


def _report_context(request: HttpRequest, study: Study) -> dict:
    return {
        "study": study,
        "report": stats.study_report(study),
        "run": visible_runs(request.user).filter(pk=services.study_config(study)["run"]).first(),
    }


@login_required
def report_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 4: human against machine validity, agreement and flags; polled while the study is open."""
    study = managed_hypothesis_study(request.user, pk)
    context = _report_context(request, study)
    if request.htmx:
        return render(request, f"{REPORT_TEMPLATE}#report", context)
    return render(request, REPORT_TEMPLATE, context)


@login_required
def export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    study = managed_hypothesis_study(request.user, pk)
    if fmt not in ("jsonl", "csv"):
        raise Http404
    body, content_type = stats.export(study, fmt)
    log_event("hypothesis.exported", actor=request.user, study=study, obj=study, format=fmt)
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="study-{study.pk}-judgments.{fmt}"'
    return response


@login_required
@require_POST
def train_verifier(request: HttpRequest, pk: int) -> HttpResponse:
    study = managed_hypothesis_study(request.user, pk)
    try:
        run = training.start_verifier_training(request.user, study)
    except services.HypothesisError as exc:
        context = {**_report_context(request, study), "train_error": str(exc)}
        return render(request, REPORT_TEMPLATE, context, status=exc.status)
    return redirect("run-detail", run.pk)
