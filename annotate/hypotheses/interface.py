"""Registers the hypothesis page for studies of kind "hypothesis" (found by annotate.interfaces)."""

from annotate.hypotheses.views import annotate_page
from annotate.interfaces import register_interface

# own_submit: answers go through services.answer, and the generic queue API (which would hand out the
# payload, group included) refuses these studies.
register_interface("hypothesis", annotate_page, own_submit=True)
