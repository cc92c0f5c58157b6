"""Registers the rating page for studies of kind "rating" (found by annotate.interfaces)."""

from annotate.interfaces import register_interface
from annotate.rating import demo  # noqa: F401  (registers the demo study builder)
from annotate.rating.views import annotate_page

register_interface("rating", annotate_page, own_submit=True)
