"""APEL as registered experiments: propose candidates with a local LM, and run the simulated benchmark.

`apel.propose_candidates` writes an utterances JSONL in the format an APEL study imports, so a
researcher can go from a Spider-format folder and a model to a study without writing code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ml.apel.bench import Settings, lm_prior, run_benchmark
from ml.apel.errors import ApelError
from ml.apel.execute import read_database
from ml.apel.schema import load_spider_tables, schema_from_sqlite
from ml.experiments import ArtifactOut, ExperimentResult, ParamError, ProgressFn

DEMO_DIR = Path(__file__).resolve().parent / "demo_data"


def _spider_dir(raw: str) -> Path:
    root = Path(raw) if raw else DEMO_DIR
    if not (root / "dev.json").is_file() or not (root / "tables.json").is_file():
        raise ParamError("spider_dir", f"{root} needs dev.json and tables.json (Spider format)")
    return root


def propose_candidates(params: dict[str, Any], workdir: Path, report: ProgressFn) -> ExperimentResult:
    root = _spider_dir(params["spider_dir"])
    model = Path(params["model"])
    if not model.exists():
        raise ParamError("model", f"no local model at {model} (run `make models`, or give a model directory)")
    examples = json.loads((root / "dev.json").read_text())[: params["limit"] or None]
    spider = load_spider_tables(root / "tables.json")
    settings = Settings(parser=str(model), candidates=params["candidates"], seed=params["seed"])
    lines, covered, n_candidates, failures = [], 0, [], {}
    for i, ex in enumerate(examples):
        db_id = ex["db_id"]
        path = root / "database" / db_id / f"{db_id}.sqlite"
        try:
            schema = schema_from_sqlite(path) if path.is_file() else spider[db_id]
            original = read_database(str(path), schema) if path.is_file() else None
            cset, gold_covered = lm_prior(
                ex["query"], ex["question"], schema, original, settings, params["seed"] + i
            )
        except (ApelError, KeyError) as exc:
            reason = f"{type(exc).__name__}: {str(exc)[:60]}"
            failures[reason] = failures.get(reason, 0) + 1
            continue
        covered += gold_covered
        n_candidates.append(len(cset.candidates))
        lines.append(
            {
                "id": f"{db_id}-{i}",
                "db_id": db_id,
                "question": ex["question"],
                "candidates": [{"sql": c.sql, "weight": c.weight} for c in cset.candidates],
                "gold_sql": ex["query"],
            }
        )
        report((i + 1) / len(examples), f"{i + 1}/{len(examples)} questions, gold covered {covered}")
    out = workdir / "utterances.jsonl"
    out.write_text("".join(json.dumps(line) + "\n" for line in lines))
    usable = [line for line in lines if line["candidates"]]
    metrics = {
        "questions": len(examples),
        "with_candidates": len(usable),
        "coverage": round(covered / len(examples), 4) if examples else 0.0,
        "mean_candidates": round(sum(n_candidates) / len(n_candidates), 2) if n_candidates else 0.0,
        "failures": failures,
        "model": str(model),
    }
    (workdir / "metrics.json").write_text(json.dumps(metrics, indent=2))
    return ExperimentResult(
        metrics,
        [ArtifactOut(out, "dataset", "utterances.jsonl"), ArtifactOut(workdir / "metrics.json", "metrics")],
    )


def simulate(params: dict[str, Any], workdir: Path, report: ProgressFn) -> ExperimentResult:
    root = _spider_dir(params["spider_dir"])
    settings = Settings(
        eps=params["eps"],
        prior_top1=params["prior_top1"],
        candidates=params["candidates"],
        seed=params["seed"],
        tau=params["tau"],
        max_rounds=params["max_rounds"],
        row_budget=params["row_budget"],
    )
    summary = run_benchmark(
        root,
        limit=params["limit"] or None,
        settings=settings,
        progress=lambda done, total: report(done / total, f"{done}/{total} utterances"),
    )
    (workdir / "metrics.json").write_text(json.dumps(summary, indent=2))
    plot = _accuracy_plot(summary, workdir / "accuracy.png")
    return ExperimentResult(
        summary, [ArtifactOut(workdir / "metrics.json", "metrics"), ArtifactOut(plot, "plot", "accuracy.png")]
    )


def _accuracy_plot(summary: dict[str, Any], out: Path) -> Path:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 2.6), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    names = ["coverage", "prior top-1", "posterior top-1"]
    values = [summary["coverage"], summary["prior_top1_acc"], summary["posterior_top1_acc"]]
    ax.bar(names, values, color=["#9aa5b8", "#9aa5b8", "#2454c5"])
    for x, v in enumerate(values):
        ax.text(x, v + 0.02, f"{v:.2f}", ha="center", fontsize=8)
    ax.set_ylim(0, 1.1)
    ax.set_title(f"APEL, {summary['n']} utterances, {summary['mean_rounds']:.2f} rounds", fontsize=9)
    fig.tight_layout()
    fig.savefig(out, format="png")
    return out
