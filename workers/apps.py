from django.apps import AppConfig


class WorkersConfig(AppConfig):
    name = "workers"
    verbose_name = "Workers"

    def ready(self):
        from workers import heartbeat  # noqa: F401  (connects the worker signals)
