"""Rating pages: the rater's blind pair page (registered as the "rating" interface) and the researcher's
live statistics page with exports. Thin: parse, check permission, call services."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from annotate import queue
from annotate.models import Study, log_event
from annotate.rating import services, stats
from annotate.roles import can_manage, visible_studies
from annotate.services import annotator_progress
from annotate.views import _client_meta

TEMPLATE = "annotate/rating/annotate.html"
STATS_TEMPLATE = "annotate/rating/stats.html"
# Keys shown on the choice buttons; keys.js clicks the button whose data-key matches.
CHOICE_BUTTONS = [
    {"value": "left", "key": "1", "label": "A is better"},
    {"value": "right", "key": "2", "label": "B is better"},
    {"value": "tie", "key": "3", "label": "Tie"},
    {"value": "both_bad", "key": "4", "label": "Both are bad"},
]


def _active_ms(raw: str) -> int | None:
    try:
        return max(0, min(int(raw), 2**31 - 1))
    except (TypeError, ValueError):
        return None


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
                active_time_ms=_active_ms(request.POST.get("active_time_ms", "")),
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
