"""APEL pages: the annotator's page (registered as the "apel" interface) and the researcher's
utterance list, per-utterance history and label export. Thin: parse, check permission, call services."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from annotate import queue
from annotate.apel import services
from annotate.models import Item, Study, log_event
from annotate.roles import ADMIN, RESEARCHER, can_manage, role_of, visible_studies
from annotate.services import annotator_progress
from annotate.views import _client_meta, active_ms

TEMPLATE = "annotate/apel/annotate.html"


def _choice(raw: str) -> int | str | None:
    """The posted choice: "1".."9" (as shown), "none" or "unsure"."""
    if raw in (services.NONE, services.UNSURE):
        return raw
    try:
        return int(raw) - 1
    except (TypeError, ValueError):
        return None


def annotate_page(request: HttpRequest, study: Study) -> HttpResponse:
    """GET: the open question (claiming an utterance if needed). POST: record the answer, then show
    the posterior and the next database of the same utterance, or the finished panel."""
    context = {"study": study, "oob": bool(request.htmx), "answered": None, "step": None, "error": None}
    status = 200
    try:
        if request.method == "POST":
            choice = _choice(request.POST.get("choice", ""))
            if choice is None:
                raise services.ApelServiceError(
                    "Pick an output (1-9), none of these (0) or not sure (u).", 400
                )
            try:
                assignment_id = int(request.POST.get("assignment", ""))
            except ValueError:
                raise services.ApelServiceError(
                    "The form was missing its assignment; reload the page.", 400
                ) from None
            result = services.answer(
                assignment_id,
                request.user,
                choice,
                question_id=request.POST.get("question") or None,
                active_time_ms=active_ms(request.POST.get("active_time_ms", "")),
                client={**_client_meta(request.POST.get("client", "")), "interface": "apel"},
            )
            context["answered"] = {
                "bars": services.posterior_bars(result.step.session),
                "session": result.step.session,
            }
            context["step"] = result.step
        elif study.is_active:
            context["step"] = services.next_step(study, request.user)
    except (services.ApelServiceError, queue.QueueError) as exc:
        # A readable message in the page, never a 500; htmx swaps only 2xx, so fragments stay 200.
        context["error"] = str(exc)
        status = 400 if getattr(exc, "status", 0) == 400 and not request.htmx else 200
    step = context["step"]
    context["q"] = services.question_view(step) if step else None
    context["mine"] = annotator_progress(study, request.user)
    if request.htmx:
        return render(request, f"{TEMPLATE}#panel", context)
    return render(request, TEMPLATE, context, status=status)


def _managed_study(request: HttpRequest, pk: int) -> Study:
    study = get_object_or_404(visible_studies(request.user), pk=pk, kind=Study.Kind.APEL)
    if not can_manage(request.user, study):
        raise PermissionDenied
    return study


@login_required
def utterance_list(request: HttpRequest, pk: int) -> HttpResponse:
    study = _managed_study(request, pk)
    return render(
        request, "annotate/apel/utterances.html", {"study": study, "rows": services.utterance_rows(study)}
    )


@login_required
def utterance_history(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    study = _managed_study(request, pk)
    item = get_object_or_404(Item, study=study, pk=item_pk)
    return render(request, "annotate/apel/history.html", {"study": study, **services.item_history(item)})


@login_required
def export_labels(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    study = _managed_study(request, pk)
    log_event("apel.labels.exported", actor=request.user, study=study, obj=study)
    response = StreamingHttpResponse(services.export_label_lines(study), content_type="application/x-ndjson")
    response["Content-Disposition"] = f'attachment; filename="study-{study.pk}-apel-labels.jsonl"'
    return response


@login_required
def new_study(request: HttpRequest) -> HttpResponse:
    """A researcher creates an APEL study from files in the browser (the same path as the API)."""
    if role_of(request.user) not in (ADMIN, RESEARCHER):
        raise PermissionDenied
    problems, values = [], {"annotations_per_item": 2, **services.DEFAULT_CONFIG}
    if request.method == "POST":
        values = {**values, **request.POST.dict()}
        schema = request.FILES.get("schema")
        utterances = request.FILES.get("utterances")
        try:
            config = {
                key: values[key] for key in ("tau", "delta", "max_rounds", "row_budget", "eps_prior", "mode")
            }
            study = services.create_from_upload(
                request.user,
                values.get("name", ""),
                utterances=utterances.read() if utterances else b"",
                schema_file=(schema.read(), schema.name) if schema else None,
                ddl=values.get("ddl", ""),
                config=_numbers(config),
                description=values.get("description", ""),
                annotations_per_item=_positive_int(values.get("annotations_per_item"), 2),
            )
        except services.ApelImportError as exc:
            problems = exc.problems
        else:
            return redirect("study-detail", study.pk)
    return render(
        request,
        "annotate/apel/new.html",
        {"problems": problems, "values": values},
        status=400 if problems else 200,
    )


def _numbers(raw: dict[str, str]) -> dict[str, float | int | str]:
    # The form posts text; the service validates ranges and names the field that is wrong.
    out: dict[str, float | int | str] = {}
    for key, value in raw.items():
        try:
            out[key] = int(value) if str(value).strip().lstrip("-").isdigit() else float(value)
        except (TypeError, ValueError):
            out[key] = value
    return out


def _positive_int(raw, default: int) -> int:
    try:
        return max(1, min(int(raw), 1000))
    except (TypeError, ValueError):
        return default
