from evalhub import api


def register(router) -> None:
    router.register("runs", api.RunViewSet, basename="api-run")
    router.register("artifacts", api.ArtifactViewSet, basename="api-artifact")
    router.register("experiments", api.ExperimentViewSet, basename="api-experiment")
    router.register("models", api.ModelCheckpointViewSet, basename="api-model")
