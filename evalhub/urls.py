from django.urls import path

from evalhub import views

urlpatterns = [
    path("", views.run_list, name="run-list"),
    path("new/", views.run_new, name="run-new"),
    path("<int:pk>/", views.run_detail, name="run-detail"),
    path("<int:pk>/cancel/", views.run_cancel, name="run-cancel"),
    path("<int:pk>/artifacts/<int:artifact_pk>/", views.artifact_download, name="run-artifact"),
]
