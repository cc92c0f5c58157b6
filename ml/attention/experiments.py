"""The four attention-learning experiments (Snell, Zhong, Klein, Steinhardt 2021), registered in ml.catalog.

1. `attention.copying`: control vs permutations; success rate and steps to 95% held-out accuracy.
2. `attention.ktiw_lead`: time course of KTIW accuracy against attention accuracy; KTIW should lead.
3. `attention.uniform_ktiw`: KTIW learned under uniform attention, control vs permutations.
4. `attention.multihead_fix`: single-head initialisations that fail or succeed on permutations, then
   two-head models that mix them, against all-failing and random mixes.

Every run is seeded; each experiment writes runs.json (every learning curve), metrics.json and a plot.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import replace
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

from ml.attention.tasks import TASKS, Task
from ml.experiments import (
    ArtifactOut,
    ExperimentResult,
    ParamError,
    ProgressFn,
    parse_seeds,
    save_figure,
    scaled,
    with_preset,
)

SMOKE = {"length": 6, "vocab": 10, "hidden": 32, "steps": 150, "lr": 5e-3, "eval_every": 25}


def _setup(params: dict[str, Any], workdir: Path) -> tuple[dict[str, Any], list[int], Path]:
    params = with_preset(params, SMOKE)
    seeds = parse_seeds(params["seeds"])
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    return params, seeds, workdir


def _config(params: dict[str, Any], **overrides: Any):
    from ml.attention.train import TrainConfig

    base = TrainConfig(
        hidden=params["hidden"],
        encoder=params["encoder"],
        steps=params["steps"],
        batch_size=params["batch_size"],
        lr=params["lr"],
        eval_every=params["eval_every"],
    )
    return replace(base, **overrides)


def _task(params: dict[str, Any], kind: str) -> Task:
    try:
        return Task(kind, length=params["length"], vocab=params["vocab"])
    except ValueError as error:
        raise ParamError("length", str(error)) from None


def _run_all(jobs: list[tuple[str, Task, Any]], report: ProgressFn) -> dict[str, list[Any]]:
    """Train every (group, task, config) in order, reporting overall progress at each evaluation."""
    from ml.attention.train import train

    results: dict[str, list[Any]] = {}
    for i, (group, task, config) in enumerate(jobs):
        progress = scaled(report, i / len(jobs), (i + 1) / len(jobs))
        label = f"{group} ({i + 1}/{len(jobs)})"

        def on_eval(point: dict[str, float], progress=progress, label=label, steps=config.steps) -> None:
            progress(point["step"] / steps, f"{label}: step {point['step']}")

        results.setdefault(group, []).append(train(task, config, on_eval=on_eval))
    return results


def _mean_ci(values: list[float], seed: int = 0) -> dict[str, float | None]:
    from ml.stats import bootstrap_ci

    if not values:
        return {"mean": None, "ci_low": None, "ci_high": None}
    ci = bootstrap_ci(np.array(values, dtype=float), np.mean, n_boot=2000, seed=seed)
    return {"mean": round(ci.estimate, 4), "ci_low": round(ci.ci_low, 4), "ci_high": round(ci.ci_high, 4)}


def _success_summary(runs: list[Any], budget: int) -> dict[str, Any]:
    steps = [r.steps_to_target for r in runs]
    reached = [s for s in steps if s is not None]
    return {
        "seeds": len(runs),
        "success_rate": _mean_ci([float(s is not None) for s in steps]),
        "median_steps_successes": float(np.median(reached)) if reached else None,
        # failures count as the budget, so this is a lower bound when some seeds failed
        "median_steps_failures_at_budget": float(np.median([budget if s is None else s for s in steps])),
        "steps_to_target": steps,
        # where attention looks at the end of each run: a model can copy one position off
        "final_attention_offset": [
            {k: round(r.final()[k], 3) for k in ("attention", "attention_offset", "attention_offset_share")}
            for r in runs
        ],
    }


def _write(
    workdir: Path, params: dict[str, Any], summary: dict[str, Any], runs: dict[str, list[Any]], started: float
) -> tuple[dict[str, Any], list[ArtifactOut]]:
    metrics = {**summary, "seconds": round(time.perf_counter() - started, 1), "params": params}
    (workdir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    runs_json = {group: [r.as_dict() for r in rs] for group, rs in runs.items()}
    (workdir / "runs.json").write_text(json.dumps(runs_json) + "\n")
    return metrics, [
        ArtifactOut(workdir / "metrics.json", "metrics", "metrics.json"),
        ArtifactOut(workdir / "runs.json", "metrics", "runs.json"),
    ]


def _figure(n_axes: int, width: float = 5.0):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * n_axes, 3.8), dpi=100)
    FigureCanvasAgg(fig)
    return fig, fig.subplots(1, n_axes, squeeze=False)[0]


def _curves(ax, runs: list[Any], key: str, color: str, label: str) -> None:
    """Each seed's curve thin, the mean over seeds thick."""
    for run in runs:
        ax.plot([p["step"] for p in run.curve], [p[key] for p in run.curve], color=color, alpha=0.25, lw=0.8)
    longest = max(runs, key=lambda r: len(r.curve)).curve
    steps = [p["step"] for p in longest]
    # a run that stopped at its target keeps its last value in the mean
    mean = [np.mean([r.curve[min(i, len(r.curve) - 1)][key] for r in runs]) for i in range(len(steps))]
    ax.plot(steps, mean, color=color, lw=2, label=label)


def _plots(fig, workdir: Path, name: str) -> list[ArtifactOut]:
    fig.tight_layout()
    return [ArtifactOut(p, "plot", p.name) for p in save_figure(fig, workdir / name)]


# 1. control vs permutations ------------------------------------------------------------------------


def copying(params: dict[str, Any], workdir: Path, report: ProgressFn) -> ExperimentResult:
    params, seeds, workdir = _setup(params, workdir)
    started = time.perf_counter()
    config = _config(params, stop_at_target=True, full_probes=False)
    jobs = [
        (kind, _task(params, kind), replace(config, seed=seed))
        for kind in ("copy_control", "copy_permutation")
        for seed in seeds
    ]
    runs = _run_all(jobs, report)
    summary = {kind: _success_summary(rs, params["steps"]) for kind, rs in runs.items()}
    metrics, artifacts = _write(workdir, params, summary, runs, started)

    fig, (curves, steps) = _figure(2)
    colors = {"copy_control": "tab:blue", "copy_permutation": "tab:red"}
    for kind, rs in runs.items():
        _curves(curves, rs, "accuracy", colors[kind], kind.replace("copy_", ""))
        reached = [r.steps_to_target for r in rs if r.success]
        x = 0 if kind == "copy_control" else 1
        steps.scatter([x] * len(reached), reached, color=colors[kind], alpha=0.7)
        failed = len(rs) - len(reached)
        if failed:
            steps.scatter([x], [params["steps"]], marker="x", s=80, color="k")
            steps.annotate(
                f"{failed} failed", (x, params["steps"]), textcoords="offset points", xytext=(8, -4)
            )
    curves.axhline(config.target_accuracy, color="gray", ls=":")
    curves.set(xlabel="step", ylabel="held-out token accuracy", title="copying: learning curves")
    curves.legend()
    steps.set(xticks=[0, 1], xticklabels=["control", "permutation"], xlim=(-0.5, 1.8), ylabel="steps to 95%")
    steps.set_title("steps to 95% (x: failed within budget)")
    artifacts += _plots(fig, workdir, "copying")
    control, permutation = summary["copy_control"], summary["copy_permutation"]
    report(
        1.0,
        f"success: control {control['success_rate']['mean']:.2f}, "
        f"permutation {permutation['success_rate']['mean']:.2f}",
    )
    return ExperimentResult(metrics={k: v for k, v in metrics.items() if k != "params"}, artifacts=artifacts)


# 2. KTIW leads attention ---------------------------------------------------------------------------


def half_rise_step(curve: list[dict[str, float]], key: str, min_rise: float = 0.05) -> int | None:
    """The first step at which `key` has covered half its rise from step 0 to its maximum (None if flat)."""
    start, top = curve[0][key], max(p[key] for p in curve)
    if top - start < min_rise:
        return None
    return next(p["step"] for p in curve if p[key] >= start + (top - start) / 2)


def ktiw_lead(params: dict[str, Any], workdir: Path, report: ProgressFn) -> ExperimentResult:
    params, seeds, workdir = _setup(params, workdir)
    tasks = list(dict.fromkeys(t.strip() for t in params["tasks"].split(",") if t.strip()))
    if not tasks or any(t not in TASKS for t in tasks):
        raise ParamError("tasks", f"comma-separated from {', '.join(TASKS)}")
    started = time.perf_counter()
    config = _config(params, full_probes=True)
    jobs = [(kind, _task(params, kind), replace(config, seed=seed)) for kind in tasks for seed in seeds]
    runs = _run_all(jobs, report)
    summary: dict[str, Any] = {}
    for kind, rs in runs.items():
        per_seed = []
        for r in rs:
            ktiw, attention = half_rise_step(r.curve, "ktiw"), half_rise_step(r.curve, "attention")
            lead = attention - ktiw if ktiw is not None and attention is not None else None
            per_seed.append({"ktiw_half_rise": ktiw, "attention_half_rise": attention, "lead": lead})
        leads = [p["lead"] for p in per_seed if p["lead"] is not None]
        final = [r.final() for r in rs]
        agreement_keys = ("top_match", "top_match_shuffled", "kendall_tau", "kendall_tau_shuffled")
        summary[kind] = {
            "lead_steps": _mean_ci([float(v) for v in leads]),
            "median_lead_steps": float(np.median(leads)) if leads else None,
            "share_ktiw_first": round(float(np.mean([v > 0 for v in leads])), 4) if leads else None,
            "per_seed": per_seed,
            "final_agreement": {k: round(float(np.mean([f[k] for f in final])), 4) for k in agreement_keys},
            "final_ktiw": round(float(np.mean([f["ktiw"] for f in final])), 4),
            "final_attention": round(float(np.mean([f["attention"] for f in final])), 4),
        }
    metrics, artifacts = _write(workdir, params, summary, runs, started)

    fig, axes = _figure(len(runs), width=4.5)
    for ax, (kind, rs) in zip(axes, runs.items(), strict=True):
        _curves(ax, rs, "ktiw", "tab:green", "KTIW accuracy")
        _curves(ax, rs, "attention", "tab:purple", "attention accuracy")
        lead = summary[kind]["median_lead_steps"]
        ax.set(xlabel="step", ylabel="accuracy", title=f"{kind} (median lead {lead} steps)")
        ax.legend(fontsize=8)
    artifacts += _plots(fig, workdir, "ktiw_lead")
    report(1.0, ", ".join(f"{k}: KTIW leads by {v['median_lead_steps']}" for k, v in summary.items()))
    return ExperimentResult(metrics={k: v for k, v in metrics.items() if k != "params"}, artifacts=artifacts)


# 3. KTIW under uniform attention -------------------------------------------------------------------


def uniform_ktiw(params: dict[str, Any], workdir: Path, report: ProgressFn) -> ExperimentResult:
    params, seeds, workdir = _setup(params, workdir)
    started = time.perf_counter()
    config = _config(params, attention="uniform", full_probes=True)
    jobs = [
        (kind, _task(params, kind), replace(config, seed=seed))
        for kind in ("copy_control", "copy_permutation")
        for seed in seeds
    ]
    runs = _run_all(jobs, report)
    finals = {kind: [r.final() for r in rs] for kind, rs in runs.items()}
    summary: dict[str, Any] = {
        kind: {
            "final_ktiw": _mean_ci([f["ktiw"] for f in fs]),
            "final_xi": _mean_ci([f["xi"] for f in fs]),
            "final_accuracy": _mean_ci([f["accuracy"] for f in fs]),
        }
        for kind, fs in finals.items()
    }
    # paired by seed: the same initialisation on both distributions
    gaps = [
        c["ktiw"] - p["ktiw"] for c, p in zip(finals["copy_control"], finals["copy_permutation"], strict=True)
    ]
    summary["ktiw_gap_control_minus_permutation"] = _mean_ci(gaps)
    metrics, artifacts = _write(workdir, params, summary, runs, started)

    fig, (ktiw, xi) = _figure(2)
    colors = {"copy_control": "tab:blue", "copy_permutation": "tab:red"}
    for kind, rs in runs.items():
        _curves(ktiw, rs, "ktiw", colors[kind], kind.replace("copy_", ""))
        _curves(xi, rs, "xi", colors[kind], kind.replace("copy_", ""))
    ktiw.set(xlabel="step", ylabel="KTIW accuracy", title="uniform attention: KTIW")
    xi.set(xlabel="step", ylabel="xi (nats)", title="uniform attention: xi")
    ktiw.legend()
    artifacts += _plots(fig, workdir, "uniform_ktiw")
    gap = summary["ktiw_gap_control_minus_permutation"]["mean"]
    report(1.0, f"uniform-attention KTIW gap (control - permutation): {gap:.3f}")
    return ExperimentResult(metrics={k: v for k, v in metrics.items() if k != "params"}, artifacts=artifacts)


# 4. the multi-head fix -----------------------------------------------------------------------------


def draw_mixes(
    succeeded: list[int], failed: list[int], all_seeds: list[int], heads: int, count: int, seed: int
) -> dict[str, list[tuple[int, ...]]]:
    """Head-seed tuples for each mix: all failing, one succeeding with the rest failing, and random.

    A mix that cannot be formed (e.g. fewer failing seeds than heads) is an empty list.
    """
    rng = random.Random(seed)

    def sample(pool: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
        return rng.sample(pool, min(count, len(pool)))

    mixed = [(s, *rest) for s in succeeded for rest in combinations(failed, heads - 1)]
    return {
        "all_failing": sample(list(combinations(failed, heads))),
        "one_succeeding": sample(mixed),
        "random": sample(list(combinations(all_seeds, heads))),
    }


def multihead_fix(params: dict[str, Any], workdir: Path, report: ProgressFn) -> ExperimentResult:
    params, seeds, workdir = _setup(params, workdir)
    heads = params["heads"]
    if len(seeds) < heads:
        raise ParamError("seeds", f"need at least {heads} head seeds to mix {heads} heads")
    started = time.perf_counter()
    task = _task(params, "copy_permutation")
    base = params["base_seed"]
    config = _config(params, stop_at_target=True, full_probes=False, seed=base)
    single_jobs = [("single_head", task, replace(config, heads=1, head_seeds=(s,))) for s in seeds]
    runs = _run_all(single_jobs, scaled(report, 0.0, 0.25))
    succeeded = [s for s, r in zip(seeds, runs["single_head"], strict=True) if r.success]
    failed = [s for s in seeds if s not in succeeded]
    mixes = draw_mixes(succeeded, failed, seeds, heads, params["mixes"], seed=base)
    multi_jobs = [
        (group, task, replace(config, heads=heads, head_seeds=combo))
        for group, combos in mixes.items()
        for combo in combos
    ]
    runs.update(_run_all(multi_jobs, scaled(report, 0.25, 1.0)))
    summary: dict[str, Any] = {
        "succeeded_head_seeds": succeeded,
        "failed_head_seeds": failed,
        "mixes": {g: [list(c) for c in cs] for g, cs in mixes.items()},
    }
    for group in ("single_head", *mixes):
        summary[group] = _success_summary(runs[group], params["steps"]) if runs.get(group) else None
    metrics, artifacts = _write(workdir, params, summary, runs, started)

    fig, (rates, finals) = _figure(2)
    groups = [g for g in ("single_head", *mixes) if summary[g]]
    rate = [summary[g]["success_rate"] for g in groups]
    x = np.arange(len(groups))
    rates.bar(x, [r["mean"] for r in rate], color="tab:blue", alpha=0.7)
    rates.errorbar(
        x,
        [r["mean"] for r in rate],
        yerr=[
            [max(0, r["mean"] - r["ci_low"]) for r in rate],
            [max(0, r["ci_high"] - r["mean"]) for r in rate],
        ],
        fmt="none",
        color="k",
        capsize=4,
    )
    labels = [f"{g.replace('_', ' ')}\n(n={summary[g]['seeds']})" for g in groups]
    rates.set(xticks=x, ylim=(0, 1.05), ylabel=f"success within {params['steps']} steps")
    rates.set_xticklabels(labels, fontsize=8)
    rates.set_title(f"permutations, {heads}-head mixes vs single heads")
    for i, g in enumerate(groups):
        final = [r.final()["accuracy"] for r in runs[g]]
        finals.scatter([i] * len(final), final, alpha=0.6)
    finals.axhline(config.target_accuracy, color="gray", ls=":")
    finals.set(
        xticks=x, ylabel="held-out accuracy when stopped", title="each model (stops at 95% or the budget)"
    )
    finals.set_xticklabels(labels, fontsize=8)
    artifacts += _plots(fig, workdir, "multihead_fix")
    report(
        1.0,
        ", ".join(f"{g}: {summary[g]['success_rate']['mean']:.2f}" for g in groups),
    )
    return ExperimentResult(metrics={k: v for k, v in metrics.items() if k != "params"}, artifacts=artifacts)
