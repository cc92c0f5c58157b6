"""Study pages and the annotate page. One template serves each full page and its htmx fragments.

Permission pattern, as in the API: the study is looked up among those the user may see (else 404), then
managing or annotating is checked (else 403).
"""

import json
import random

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from annotate import importing, interfaces, queue
from annotate.models import Assignment, Study
from annotate.roles import ADMIN, RESEARCHER, can_manage, managed_studies, role_of, visible_studies
from annotate.services import annotator_progress, can_annotate, per_annotator_counts, study_progress

MAX_CLIENT_JSON = 2048  # bytes of client metadata kept with a response


def _visible_study(request: HttpRequest, pk: int) -> Study:
    return get_object_or_404(visible_studies(request.user), pk=pk)


@login_required
def study_list(request: HttpRequest) -> HttpResponse:
    studies = (
        visible_studies(request.user)
        .select_related("owner")
        .annotate(
            n_items=Count("items", distinct=True),
            n_done=Count("assignments", filter=Q(assignments__status=Assignment.Status.DONE), distinct=True),
        )
        .order_by("-created_at")
    )
    enrolled = set(request.user.annotating_studies.values_list("pk", flat=True))
    managed = set(managed_studies(request.user).values_list("pk", flat=True))
    rows = [
        {
            "study": s,
            "target": s.n_items * s.annotations_per_item,
            "can_annotate": s.pk in enrolled or s.pk in managed,
            "can_manage": s.pk in managed,
        }
        for s in studies
    ]
    can_create = role_of(request.user) in (ADMIN, RESEARCHER)
    return render(request, "annotate/study_list.html", {"rows": rows, "can_create": can_create})


def _detail_context(request: HttpRequest, study: Study) -> dict:
    manager = can_manage(request.user, study)
    return {
        "study": study,
        "generic_import_kinds": [kind for kind in Study.Kind.values if not interfaces.has_own_submit(kind)],
        "progress": study_progress(study),
        "mine": annotator_progress(study, request.user),
        "can_manage": manager,
        "can_annotate": can_annotate(request.user, study),
        "annotators": per_annotator_counts(study) if manager else [],
    }


@login_required
def study_detail(request: HttpRequest, pk: int) -> HttpResponse:
    study = _visible_study(request, pk)
    return render(request, "annotate/study_detail.html", _detail_context(request, study))


@login_required
@require_POST
def study_import(request: HttpRequest, pk: int) -> HttpResponse:
    """The page's import form: the same all-or-nothing import as the API."""
    study = _visible_study(request, pk)
    if not can_manage(request.user, study):
        raise PermissionDenied
    problems: list[str] = []
    imported = None
    upload = request.FILES.get("file")
    if upload is None:
        problems = ["Choose a .jsonl or .csv file to import."]
    else:
        try:
            records = importing.parse_file(upload.read(), upload.name)
            imported = importing.import_items(study, records, actor=request.user)
        except importing.ImportFailed as exc:
            problems = [str(p) for p in exc.problems]
    if not request.htmx:
        if imported is not None:
            messages.success(request, f"Imported {imported} items.")
        for problem in problems:
            messages.error(request, problem)
        return redirect("study-detail", pk=study.pk)
    context = {
        **_detail_context(request, study),
        "import_problems": problems,
        "imported": imported,
        "oob": True,
    }
    return render(request, "annotate/study_detail.html#import", context)


@login_required
@require_http_methods(["GET", "POST"])
def study_annotate(request: HttpRequest, pk: int) -> HttpResponse:
    """Dispatch to the interface registered for the study's kind, else the generic one."""
    study = _visible_study(request, pk)
    if not can_annotate(request.user, study):
        raise PermissionDenied
    view = interfaces.get_interface(study.kind) or generic_annotate
    return view(request, study)


# The generic interface: shows the payload, takes a choice (study.config["choices"]) or free text.


def choices_for(study: Study) -> list[dict]:
    """config["choices"] as [{"value", "label"}]; items may be plain values or {"value", "label"} objects."""
    result = []
    for choice in study.config.get("choices") or []:
        if isinstance(choice, dict) and "value" in choice:
            result.append({"value": str(choice["value"]), "label": str(choice.get("label", choice["value"]))})
        else:
            result.append({"value": str(choice), "label": str(choice)})
    return result


def displayed_choices(study: Study, assignment: Assignment) -> list[dict]:
    """The choices in the order shown; shuffled per assignment (stable across reloads) if config says so."""
    choices = choices_for(study)
    if study.config.get("shuffle"):
        random.Random(assignment.pk).shuffle(choices)
    for index, choice in enumerate(choices, start=1):
        choice["key"] = str(index) if index <= 9 else ""
    return choices


def _payload_rows(payload) -> list[dict]:
    if not isinstance(payload, dict):
        return [{"key": "payload", "text": None, "json": json.dumps(payload, indent=2, ensure_ascii=False)}]
    rows = []
    for key, value in payload.items():
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            rows.append({"key": key, "text": str(value), "json": None})
        else:
            rows.append({"key": key, "text": None, "json": json.dumps(value, indent=2, ensure_ascii=False)})
    return rows


def active_ms(raw: str) -> int | None:
    """The active time an interface posted, clamped to what the column holds; None if missing or junk."""
    try:
        return max(0, min(int(raw), 2**31 - 1))
    except (TypeError, ValueError):
        return None


def _client_meta(raw: str) -> dict:
    if len(raw) > MAX_CLIENT_JSON:
        return {}
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _submit_generic(request: HttpRequest, study: Study) -> str | None:
    """Record the posted answer; returns an error message for the page, or None."""
    try:
        assignment_id = int(request.POST.get("assignment", ""))
    except ValueError:
        return "The form was missing its assignment; please answer again."
    assignment = (
        Assignment.objects.filter(pk=assignment_id, study=study, annotator=request.user)
        .select_related("item")
        .first()
    )
    if assignment is None:
        return "That assignment is not yours."
    choices = displayed_choices(study, assignment)
    raw = request.POST.get("answer", "").strip()
    if choices:
        if raw not in {c["value"] for c in choices}:
            return "Pick one of the choices."
        answer = {"choice": raw}
    elif raw:
        answer = {"text": raw}
    else:
        return "Write an answer."
    try:
        active_ms = max(0, min(int(request.POST.get("active_time_ms", "")), 2**31 - 1))
    except ValueError:
        active_ms = None
    try:
        queue.submit(
            assignment.pk,
            request.user,
            answer,
            displayed_order=[c["value"] for c in choices],
            active_time_ms=active_ms,
            client={**_client_meta(request.POST.get("client", "")), "interface": "generic"},
        )
    except queue.QueueError as exc:
        return str(exc)
    return None


def generic_annotate(request: HttpRequest, study: Study) -> HttpResponse:
    """GET: the current or next item. POST: submit, then (htmx) swap in the next item and the counter."""
    error = _submit_generic(request, study) if request.method == "POST" else None
    if request.method == "POST" and error is None and not request.htmx:
        return redirect("study-annotate", pk=study.pk)  # post/redirect/get for the no-JS form
    assignment = queue.next_assignment(study, request.user) if study.is_active else None
    context = {
        "study": study,
        "assignment": assignment,
        "choices": displayed_choices(study, assignment) if assignment else [],
        "payload_rows": _payload_rows(assignment.item.payload) if assignment else [],
        "mine": annotator_progress(study, request.user),
        "error": error,
        "oob": bool(request.htmx),
    }
    template = "annotate/annotate_generic.html"
    if request.htmx:
        # The item panel, with the progress counter as an out-of-band swap.
        return render(request, f"{template}#item", context)
    return render(request, template, context, status=400 if error else 200)
