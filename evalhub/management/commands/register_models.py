"""Upsert ModelCheckpoint rows from the manifest that `python -m ml.lm.fetch_models --dest var/models` writes."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from evalhub.models import ModelCheckpoint

KINDS = {value for value, _ in ModelCheckpoint.Kind.choices}


def read_manifest(path: Path) -> list[dict]:
    """The manifest's model entries; accepts {"models": [...]} or a bare list."""
    if not path.is_file():
        raise CommandError(
            f"no model manifest at {path}; run `python -m ml.lm.fetch_models --dest {path.parent}` "
            "(or `make models`) first",
            returncode=1,
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CommandError(f"cannot read {path}: {exc}", returncode=1) from None
    entries = data.get("models") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise CommandError(f"{path}: expected a list of models or {{'models': [...]}}", returncode=1)
    return entries


class Command(BaseCommand):
    help = "Register the models listed in a fetch_models manifest as ModelCheckpoint rows (upsert by name)."

    def add_arguments(self, parser):
        parser.add_argument("--manifest", help="Default: $ASSAY_MODEL_ROOT/manifest.json (var/models).")

    def handle(self, *args, **options):
        path = Path(options["manifest"] or Path(settings.MODEL_ROOT) / "manifest.json").resolve()
        created = updated = skipped = 0
        for i, entry in enumerate(read_manifest(path)):
            name = entry.get("name") if isinstance(entry, dict) else None
            kind = entry.get("kind") if isinstance(entry, dict) else None
            if not isinstance(name, str) or not name or not entry.get("path") or kind not in KINDS:
                self.stderr.write(f"skipping entry {i}: needs name, path and a kind in {sorted(KINDS)}")
                skipped += 1
                continue
            model_path = Path(str(entry["path"]))
            if not model_path.is_absolute():  # fetch_models writes paths relative to the manifest
                model_path = (path.parent / model_path).resolve()
            n_params = entry.get("params")
            extra = {k: v for k, v in entry.items() if k not in ("name", "path", "kind", "params", "source")}
            _, was_created = ModelCheckpoint.objects.update_or_create(
                name=name,
                defaults={
                    "kind": kind,
                    "path": str(model_path),
                    "source": str(entry.get("source") or "")[:200],
                    "n_params": n_params
                    if isinstance(n_params, int) and not isinstance(n_params, bool)
                    else None,
                    "metadata": {"manifest": str(path), **extra},
                },
            )
            created += was_created
            updated += not was_created
            if not model_path.exists():
                self.stderr.write(f"warning: {name}: {model_path} does not exist")
        self.stdout.write(f"registered {created} new, updated {updated}, skipped {skipped} from {path}")
