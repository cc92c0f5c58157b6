from django.urls import path

from annotate.dialogue import views

urlpatterns = [
    path("", views.play_index, name="dialogue-index"),
    path("export.jsonl", views.export_jsonl, name="dialogue-export"),
    path("<int:pk>/", views.game_page, name="dialogue-game"),
    path("<int:pk>/replay/", views.replay_page, name="dialogue-replay"),
]
