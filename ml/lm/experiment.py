"""The lm.train_tiny experiment: train a small GPT-2 from scratch on a JSONL dataset."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

from ml.experiments import ArtifactOut, ExperimentResult, ParamError, ProgressFn

BUILTIN_CORPUS = Path(__file__).with_name("data") / "tiny_corpus.jsonl"
BPE_VOCAB_SIZE = 512


def read_jsonl_records(path: Path | str, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """Every record of a JSONL file, each an object with a string value for every name in `fields`;
    blank lines are skipped.

    Raises FileNotFoundError for a missing file and ValueError naming the 1-based line number
    for a line that is not such an object.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"dataset not found: {path}")
    records = []
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}: line {number}: invalid JSON ({exc.msg})") from None
            missing = [
                k for k in fields if not isinstance(record, dict) or not isinstance(record.get(k), str)
            ]
            if missing:
                wanted = ", ".join(repr(k) for k in missing)
                raise ValueError(f"{path}: line {number}: expected an object with a string {wanted} field")
            records.append(record)
    if not records:
        raise ValueError(f"{path}: no records")
    return records


def read_jsonl_texts(path: Path | str, field: str = "text") -> list[str]:
    """The `field` of every record in a JSONL file (see read_jsonl_records)."""
    return [record[field] for record in read_jsonl_records(path, (field,))]


def _scaled(report: ProgressFn, lo: float, hi: float) -> ProgressFn:
    """A report function mapping [0, 1] onto [lo, hi] of the whole run."""
    return lambda fraction, message: report(lo + (hi - lo) * fraction, message)


def plot_losses(losses: list[float], val_losses: list[tuple[int, float]], out_stem: Path) -> list[Path]:
    """Write the loss curve as PNG and SVG next to `out_stem`; returns both paths."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # A bare Figure on the Agg canvas: no pyplot global state, safe inside a long-lived worker.
    fig = Figure(figsize=(6, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot(range(1, len(losses) + 1), losses, label="train", linewidth=1)
    if val_losses:
        steps, values = zip(*val_losses, strict=True)
        ax.plot(steps, values, "o-", label="validation")
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy (nats/token)")
    ax.set_title("Training loss")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    paths = [out_stem.with_suffix(".png"), out_stem.with_suffix(".svg")]
    for p in paths:
        fig.savefig(p)
    return paths


def train_tiny(params: dict[str, Any], workdir: Path, report: ProgressFn) -> ExperimentResult:
    """Entry point of lm.train_tiny (params already validated by the registry)."""
    import torch

    from ml.lm.device import pick_device
    from ml.lm.models import count_params, tiny_gpt2
    from ml.lm.seeding import seed_everything
    from ml.lm.tokenizers import char_tokenizer, train_bpe
    from ml.lm.train import TrainConfig, save_checkpoint, train_causal_lm

    if params["n_embd"] % params["n_head"]:
        raise ParamError("n_head", f"must divide n_embd ({params['n_embd']})")
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    report(0.0, "reading dataset")
    dataset = params.get("dataset") or ""
    texts = read_jsonl_texts(dataset or BUILTIN_CORPUS)

    report(0.02, f"building {params['tokenizer']} tokenizer on {len(texts)} texts")
    seed_everything(params["seed"])
    if params["tokenizer"] == "bpe":
        tokenizer = train_bpe(texts, vocab_size=BPE_VOCAB_SIZE)
    else:
        tokenizer = char_tokenizer(texts)

    device = pick_device()
    model = tiny_gpt2(
        vocab_size=len(tokenizer),
        n_layer=params["n_layer"],
        n_embd=params["n_embd"],
        n_head=params["n_head"],
        block_size=params["block_size"],
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    ).to(device)
    cfg = TrainConfig(
        steps=params["steps"],
        batch_size=params["batch_size"],
        lr=params["lr"],
        block_size=params["block_size"],
        warmup=min(100, max(1, params["steps"] // 10)),
        eval_every=max(1, params["steps"] // 10),
        seed=params["seed"],
    )
    result = train_causal_lm(model, tokenizer, texts, cfg, _scaled(report, 0.05, 0.9))

    report(0.9, "saving checkpoint")
    checkpoint = save_checkpoint(model, tokenizer, workdir / "checkpoint")
    val_loss = result.final_val_loss
    metrics: dict[str, Any] = {
        "train_loss": round(result.final_train_loss(), 6),
        "val_loss": round(val_loss, 6),
        "perplexity": round(math.exp(val_loss), 4) if val_loss < 50 else None,  # JSON has no inf
        "tokens_per_s": round(result.tokens_per_s, 1),
        "params": count_params(model),
        "vocab_size": len(tokenizer),
        "steps": cfg.steps,
        "seed": cfg.seed,
        "tokenizer": params["tokenizer"],
        "dataset": str(dataset) if dataset else "builtin:tiny_corpus",
        "num_texts": len(texts),
        "device": str(device),
        "torch_version": torch.__version__,
        "seconds": round(time.perf_counter() - started, 2),
    }
    metrics_path = workdir / "metrics.json"
    metrics_path.write_text(json.dumps(metrics, indent=2) + "\n")
    history_path = workdir / "loss_history.json"
    history_path.write_text(json.dumps({"train": result.losses, "val": result.val_losses}) + "\n")

    report(0.95, "plotting")
    plots = plot_losses(result.losses, result.val_losses, workdir / "loss_curve")
    report(1.0, f"done: val loss {val_loss:.4f}")
    artifacts = [
        ArtifactOut(checkpoint, "checkpoint", "checkpoint"),
        *(ArtifactOut(p, "plot", p.name) for p in plots),
        ArtifactOut(metrics_path, "metrics", metrics_path.name),
        ArtifactOut(history_path, "metrics", history_path.name),
    ]
    return ExperimentResult(metrics=metrics, artifacts=artifacts)
