"""Annotation interfaces by study kind.

Each interface subpackage (annotate/apel/, annotate/rating/, ...) registers one view for its kind:

    # annotate/rating/interface.py
    from annotate.interfaces import register_interface
    register_interface("rating", rating_annotate)   # view(request, study) -> HttpResponse

The /studies/<pk>/annotate/ page checks permission, then calls the registered view with the study; a kind
with no registered view gets the generic interface (annotate.views.generic_annotate).
"""

import importlib
import pkgutil
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

InterfaceView = Callable[[HttpRequest, "object"], HttpResponse]

_registry: dict[str, InterfaceView] = {}
# Kinds whose answers go through their own service (e.g. APEL's multi-round sessions), never the generic
# POST /api/responses/, which would bypass their bookkeeping.
_own_submit: set[str] = set()
_discovered = False


def register_interface(kind: str, view: InterfaceView, *, own_submit: bool = False) -> None:
    """Make `view(request, study)` the annotate page for studies of this kind (the last registration wins).

    own_submit: the interface records responses itself; the generic submit endpoint refuses its studies.
    """
    _registry[kind] = view
    if own_submit:
        _own_submit.add(kind)
    else:
        _own_submit.discard(kind)


def has_own_submit(kind: str) -> bool:
    autodiscover()
    return kind in _own_submit


def own_submit_kinds() -> set[str]:
    autodiscover()
    return set(_own_submit)


def unregister_interface(kind: str) -> None:
    _registry.pop(kind, None)
    _own_submit.discard(kind)


def autodiscover() -> None:
    """Import annotate/<pkg>/interface.py for every interface subpackage, so each can register itself."""
    global _discovered
    if _discovered:
        return
    _discovered = True
    import annotate

    for module in pkgutil.iter_modules(annotate.__path__):
        if module.ispkg and module.name not in ("migrations", "templates", "templatetags", "management"):
            try:
                importlib.import_module(f"annotate.{module.name}.interface")
            except ModuleNotFoundError as exc:
                if exc.name != f"annotate.{module.name}.interface":
                    raise  # a real import error inside the interface must not be hidden


def get_interface(kind: str) -> InterfaceView | None:
    autodiscover()
    return _registry.get(kind)
