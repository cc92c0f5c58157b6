"""kombu's filesystem transport, the broker that needs no server. Kept here so settings and tests that
point a worker at a private folder build the same options."""

from pathlib import Path


def filesystem_transport_options(var_dir: Path) -> dict:
    root = Path(var_dir) / "broker"
    for sub in ("queue", "processed", "control"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(root / "queue"),
        "data_folder_out": str(root / "queue"),
        "processed_folder": str(root / "processed"),
        "control_folder": str(root / "control"),
        "store_processed": False,
        # Look for new messages every 0.1 s, not kombu's 1 s: a model's reply in a dialogue game waits on
        # this, and listing one folder ten times a second costs nothing.
        "polling_interval": 0.1,
    }
