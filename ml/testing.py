"""testing.count: a real, cheap experiment for exercising the run machinery end to end.

It counts to `steps`, reporting progress at every step, optionally fails at a chosen step, and writes
the same kinds of outputs as a real experiment (a metrics JSON and a PNG plot), so tests of workers,
pages and the API need no model training.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from ml.experiments import ArtifactOut, ExperimentResult, ProgressFn


def plot_counts(values: list[int], out: Path) -> Path:
    """A tiny line plot on the Agg canvas (no pyplot global state inside a long-lived worker)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3, 2), dpi=72)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot(range(1, len(values) + 1), values, linewidth=1)
    ax.set_xlabel("step")
    ax.set_ylabel("count")
    fig.tight_layout()
    fig.savefig(out, format="png")
    return out


def count(params: dict[str, Any], workdir: Path, report: ProgressFn) -> ExperimentResult:
    """Entry point of testing.count (params already validated by the registry)."""
    steps, sleep_s, fail_at = params["steps"], params["sleep_s"], params["fail_at"]
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    values: list[int] = []
    for step in range(steps):
        if step == fail_at:
            raise RuntimeError(f"testing.count failed at step {step}, as requested")
        if sleep_s:
            time.sleep(sleep_s)
        values.append(step + 1)
        report((step + 1) / steps, f"step {step + 1}/{steps}")
    metrics = {"steps": steps, "total": sum(values), "last": values[-1] if values else 0}
    metrics_path = workdir / "metrics.json"
    metrics_path.write_text(json.dumps(metrics, indent=2) + "\n")
    plot_path = plot_counts(values, workdir / "count.png")
    return ExperimentResult(
        metrics=metrics,
        artifacts=[
            ArtifactOut(metrics_path, "metrics", "metrics.json"),
            ArtifactOut(plot_path, "plot", "count.png"),
        ],
    )
