from rest_framework.routers import DefaultRouter

from evalhub import api

router = DefaultRouter()
router.register("runs", api.RunViewSet, basename="api-run")
router.register("artifacts", api.ArtifactViewSet, basename="api-artifact")
router.register("experiments", api.ExperimentViewSet, basename="api-experiment")
router.register("models", api.ModelCheckpointViewSet, basename="api-model")
urlpatterns = router.urls
