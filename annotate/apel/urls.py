from django.urls import path

from annotate.apel import views

urlpatterns = [
    path("new/", views.new_study, name="apel-new"),
    path("<int:pk>/utterances/", views.utterance_list, name="apel-utterances"),
    path("<int:pk>/utterances/<int:item_pk>/", views.utterance_history, name="apel-history"),
    path("<int:pk>/labels.jsonl", views.export_labels, name="apel-export"),
]
