"""Registers the play page for studies of kind "dialogue" (found by annotate.interfaces)."""

from annotate.dialogue import demo, tasks  # noqa: F401  (the demo studies; the Celery task for workers)
from annotate.dialogue.views import annotate_page
from annotate.interfaces import register_interface

register_interface("dialogue", annotate_page, own_submit=True)
