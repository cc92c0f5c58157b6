import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")

app = Celery("assay")
app.config_from_object("django.conf:settings", namespace="CELERY")
# annotate.dialogue.tasks also registers through the app's start-up (annotate/dialogue/interface.py);
# naming it here keeps a worker's task list right whatever the start-up imports.
app.autodiscover_tasks(["workers", "annotate.dialogue"])
