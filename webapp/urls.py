from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from webapp import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/dashboard/", views.dashboard, name="dashboard"),
    path("admin/", admin.site.urls),
    path("studies/", include("annotate.urls")),
    path("runs/", include("evalhub.urls")),
    path("apel/", include("annotate.apel.urls")),
    path("rating/", include("annotate.rating.urls")),
    path("hypotheses/", include("annotate.hypotheses.urls")),
    path("play/", include("annotate.dialogue.urls")),
    path("api/", include("webapp.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
]
