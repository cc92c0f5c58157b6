from django.urls import path

from annotate.hypotheses import views

urlpatterns = [
    path("", views.home, name="hypotheses-home"),
    path("runs/<int:run_pk>/verify/", views.verify, name="hypotheses-verify"),
    path("<int:pk>/report/", views.report_page, name="hypotheses-report"),
    path("<int:pk>/judgments.<str:fmt>", views.export, name="hypotheses-export"),
    path("<int:pk>/train-verifier/", views.train_verifier, name="hypotheses-train-verifier"),
]
