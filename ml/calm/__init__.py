"""CALM (Snell et al.): goal-aware dialogue agents for AirDialogue-style flight booking, no Django.

Kept free of torch imports, so the web app can tell a CALM checkpoint without loading a model.
"""

from pathlib import Path


def is_calm_checkpoint(path: Path | str) -> bool:
    """A CALM agent's directory holds calm.json (its config and vocabulary) beside the LM."""
    return (Path(path) / "calm.json").is_file()
