from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from evalhub.services import visible_runs


@login_required
def run_list(request):
    return render(request, "evalhub/run_list.html", {"runs": visible_runs(request.user)})


@login_required
def run_new(request):
    return render(request, "evalhub/run_list.html", {"runs": visible_runs(request.user)})


@login_required
def run_detail(request, pk):
    run = get_object_or_404(visible_runs(request.user), pk=pk)
    return render(request, "evalhub/run_list.html", {"runs": [run]})
