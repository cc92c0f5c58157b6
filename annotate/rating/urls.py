from django.urls import path

from annotate.rating import views

urlpatterns = [
    path("new/", views.new_study, name="rating-new"),
    path("<int:pk>/stats/", views.stats_page, name="rating-stats"),
    path("<int:pk>/export/<str:what>.<str:fmt>", views.export, name="rating-export"),
]
