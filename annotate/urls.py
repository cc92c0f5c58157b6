from django.urls import path

from annotate import views

urlpatterns = [
    path("", views.study_list, name="study-list"),
    path("<int:pk>/", views.study_detail, name="study-detail"),
    path("<int:pk>/import/", views.study_import, name="study-import"),
    path("<int:pk>/annotate/", views.study_annotate, name="study-annotate"),
]
