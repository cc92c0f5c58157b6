from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from annotate.roles import visible_studies


@login_required
def study_list(request):
    return render(request, "annotate/study_list.html", {"studies": visible_studies(request.user)})


@login_required
def study_detail(request, pk):
    study = get_object_or_404(visible_studies(request.user), pk=pk)
    return render(request, "annotate/study_detail.html", {"study": study})


@login_required
def study_annotate(request, pk):
    study = get_object_or_404(visible_studies(request.user), pk=pk)
    return render(request, "annotate/study_detail.html", {"study": study})
