"""Registers the APEL annotator page for studies of kind "apel" (found by annotate.interfaces)."""

from annotate.apel import demo  # noqa: F401  (registers the demo study builder)
from annotate.apel.views import annotate_page
from annotate.interfaces import register_interface

register_interface("apel", annotate_page, own_submit=True)
