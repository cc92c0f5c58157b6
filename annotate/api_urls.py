from annotate import api


def register(router) -> None:
    # basenames carry an api- prefix: the pages own the plain "study-list"/"study-detail" names.
    router.register("studies", api.StudyViewSet, basename="api-study")
    # Items live under their study; the router takes the prefix as a regex, so study_pk is captured.
    router.register(r"studies/(?P<study_pk>\d+)/items", api.ItemViewSet, basename="api-study-item")
    router.register("responses", api.ResponseViewSet, basename="api-response")
