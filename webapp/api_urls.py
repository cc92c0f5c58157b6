"""One router for the whole API, so /api/ lists every resource. Each app registers its own viewsets."""

from rest_framework.routers import DefaultRouter

from annotate import api_urls as annotate_api
from annotate.apel import api as apel_api
from annotate.dialogue import api as dialogue_api
from annotate.rating import api as rating_api
from evalhub import api_urls as evalhub_api

router = DefaultRouter()
annotate_api.register(router)
apel_api.register(router)
dialogue_api.register(router)
rating_api.register(router)
evalhub_api.register(router)
urlpatterns = router.urls
