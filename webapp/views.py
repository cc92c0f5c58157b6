from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from annotate.models import Assignment
from annotate.roles import role_of, visible_studies
from evalhub.services import can_submit_runs, visible_runs
from webapp import dashboard as dash


@login_required
def home(request):
    user = request.user
    studies = visible_studies(user).select_related("owner")[:100]
    assignments = (
        Assignment.objects.filter(annotator=user, status=Assignment.Status.ACTIVE)
        .select_related("study", "item")
        .order_by("served_at")[:50]
    )
    return render(
        request,
        "home.html",
        {
            "role": role_of(user),
            "studies": studies,
            "assignments": assignments,
            "runs": visible_runs(user).select_related("owner")[:20],
            "can_submit_runs": can_submit_runs(user),
        },
    )


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})


@staff_member_required
def dashboard(request):
    return render(request, "admin/assay_dashboard.html", {"title": "Assay dashboard", **dash.snapshot()})
