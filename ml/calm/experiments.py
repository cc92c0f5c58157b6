"""The registered CALM experiments: `calm.train` (one agent) and `calm.evaluate` (agents against each
other by self-play, over seeds)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from ml.calm import data
from ml.calm.train import VARIANTS, CalmAgent, TrainSettings, self_play, train
from ml.experiments import (
    ArtifactOut,
    ExperimentResult,
    ParamError,
    parse_seeds,
    save_figure,
    scaled,
    with_preset,
)
from ml.stats.bootstrap import cluster_bootstrap_ci

SMOKE = {"dialogues": 60, "steps": 8, "batch_size": 8, "eval_games": 4, "n_layer": 1, "n_embd": 32}


def _dialogues(params: dict[str, Any], seed: int) -> list[dict[str, Any]]:
    if params.get("dataset"):
        path = Path(params["dataset"])
        if not path.is_file():
            raise ParamError("dataset", f"no such file: {path}")
        try:
            records = list(data.read_jsonl(path))
        except ValueError as exc:
            raise ParamError("dataset", str(exc)) from None
        if not records:
            raise ParamError("dataset", f"{path} holds no dialogues")
        return records
    return data.generate(params["dialogues"], seed)


def _settings(params: dict[str, Any], variant: str, seed: int) -> TrainSettings:
    return TrainSettings(
        variant=variant,
        steps=params["steps"],
        batch_size=params["batch_size"],
        lr=params["lr"],
        seed=seed,
        n_layer=params["n_layer"],
        n_embd=params["n_embd"],
    )


def success_ci(results: list[dict[str, Any]], seed: int = 0) -> dict[str, float]:
    """Success rate with a 95% bootstrap interval, and the part rates. Games on the same context form one
    cluster (every seed's agent plays the same held-out contexts)."""
    values = np.array([float(r["success"]) for r in results])
    clusters = [r["seed"] for r in results]
    ci = cluster_bootstrap_ci(values, clusters, np.mean, n_boot=1000, seed=seed)
    return {
        "success": round(ci.estimate, 4),
        "ci_low": round(ci.ci_low, 4),
        "ci_high": round(ci.ci_high, 4),
        **part_rates(results),
    }


def success_gap(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> dict[str, Any]:
    """A's success minus B's in points, with a 95% CI, where both played the same contexts in the same
    order: the difference is taken game by game and resampled by context."""
    contexts = [r["seed"] for r in a]
    if contexts != [r["seed"] for r in b]:
        raise ValueError("the two agents did not play the same contexts in the same order")
    gap = np.array([float(x["success"]) - float(y["success"]) for x, y in zip(a, b, strict=True)])
    ci = cluster_bootstrap_ci(gap, contexts, np.mean, n_boot=1000, seed=0)
    return {
        "points": round(100 * ci.estimate, 1),
        "ci": [round(100 * ci.ci_low, 1), round(100 * ci.ci_high, 1)],
    }


def part_rates(results: list[dict[str, Any]]) -> dict[str, float | None]:
    """How often the status and the name were right, and, over the games whose correct action names a
    flight, how often the flight was (elsewhere "no flight" is right for free)."""
    due = [r for r in results if r["flight_due"]]

    def rate(rows, value):
        return round(sum(map(value, rows)) / len(rows), 4) if rows else None

    return {
        "status_right": rate(results, lambda r: r["right"]["status"]),
        "name_right": rate(results, lambda r: r["right"]["name"]),
        "flight_right_when_due": rate(due, lambda r: r["right"]["flight"]),
        "success_when_flight_due": rate(due, lambda r: r["success"]),
    }


def _loss_plot(curves: dict[str, list[float]], out_stem: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    for label, curve in curves.items():
        ax.plot(np.linspace(0, 1, len(curve)), curve, label=label)
    ax.set_xlabel("fraction of training")
    ax.set_ylabel("agent-token loss")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return save_figure(fig, out_stem)


def train_entry(params: dict[str, Any], workdir: Path, report) -> ExperimentResult:
    params = with_preset(params, SMOKE)
    seed = params["seed"]
    report(0.0, "generating dialogues" if not params.get("dataset") else "reading dialogues")
    dialogues = _dialogues(params, seed)
    dataset = data.write_jsonl(dialogues, workdir / "dialogues.jsonl")
    model, figures = train(dialogues, _settings(params, params["variant"], seed), scaled(report, 0.05, 0.85))
    checkpoint = model.save(workdir / "checkpoint", {"task": "flight_booking", "variant": params["variant"]})
    metrics: dict[str, Any] = {
        **{k: v for k, v in figures.items() if k != "loss_curve"},
        "behaviour_success": round(float(np.mean([d["success"] for d in dialogues])), 4),
        "dialogues": len(dialogues),
    }
    if params["eval_games"]:
        report(0.85, f"self-play on {params['eval_games']} held-out contexts")
        started = time.perf_counter()
        results = self_play(CalmAgent(model), params["eval_games"])
        metrics.update(success_ci(results, seed), eval_seconds=round(time.perf_counter() - started, 1))
    plots = _loss_plot({params["variant"]: figures["loss_curve"]}, workdir / "loss")
    metrics_path = workdir / "metrics.json"
    metrics_path.write_text(json.dumps(metrics, indent=1))
    report(1.0, f"done: {metrics.get('success', 'not evaluated')}")
    return ExperimentResult(
        metrics,
        [
            ArtifactOut(checkpoint, "checkpoint", f"calm-{params['variant']}"),
            ArtifactOut(dataset, "dataset", "dialogues.jsonl"),
            ArtifactOut(metrics_path, "metrics", "metrics.json"),
            *(ArtifactOut(p, "plot", p.name) for p in plots),
        ],
    )


def _variants(raw: str) -> list[str]:
    names = [v.strip() for v in raw.split(",") if v.strip()]
    unknown = [v for v in names if v not in VARIANTS]
    if not names or unknown:
        raise ParamError("variants", f"comma-separated names from {', '.join(VARIANTS)}; got {raw!r}")
    return list(dict.fromkeys(names))


def check_evaluate(params: dict[str, Any]) -> None:
    if not params.get("checkpoint"):
        _variants(params["variants"])
    parse_seeds(params["seeds"])


def evaluate_entry(params: dict[str, Any], workdir: Path, report) -> ExperimentResult:
    """Self-play success on held-out contexts: of one checkpoint, or of every variant trained on each
    seed's dialogues (the comparison of CALM against the plain LM and the ablations)."""
    params = with_preset(params, SMOKE)
    games = params["eval_games"]
    if params.get("checkpoint"):
        path = Path(params["checkpoint"])
        try:
            agent = CalmAgent.load(path)
        except (OSError, ValueError) as exc:
            raise ParamError("checkpoint", str(exc)) from None
        results = self_play(agent, games)
        table = {"checkpoint": success_ci(results)}
        metrics = {"checkpoint": str(path), "games": games, "variants": table}
        return _write(workdir, metrics, {"checkpoint": results}, {}, report)

    variants, seeds = _variants(params["variants"]), parse_seeds(params["seeds"])
    jobs = [(s, v) for s in seeds for v in variants]
    outcomes = _run_jobs(params, jobs, workdir, report)
    results: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
    runs, curves = [], {}
    for (seed, variant), outcome in zip(jobs, outcomes, strict=True):
        results[variant] += outcome.pop("played")
        curves[f"{variant} seed {seed}"] = outcome["figures"].pop("loss_curve")
        runs.append({"seed": seed, **outcome["figures"], **outcome["summary"]})
    table = {v: success_ci(results[v]) for v in variants}
    metrics: dict[str, Any] = {"seeds": seeds, "games_per_seed": games, "variants": table, "runs": runs}
    others = [v for v in variants if v != "calm"] if "calm" in variants else []
    metrics.update({f"calm_minus_{v}": success_gap(results["calm"], results[v]) for v in others})
    agents = [
        ArtifactOut(workdir / f"seed{seed}" / variant, "checkpoint", f"calm-{variant}-seed{seed}")
        for seed, variant in jobs
    ]
    return _write(workdir, metrics, results, curves, report, agents)


def train_and_play(params: dict[str, Any], seed: int, variant: str, out_dir: Path, report=None) -> dict:
    """One agent of the comparison: trained on the seed's dialogues, saved, and played on the held-out
    contexts. Runs in a worker process when several agents train at once."""
    import torch

    if report is None:  # in a worker process: one thread each, so two processes fill two cores
        torch.set_num_threads(1)
    model, figures = train(_dialogues(params, seed), _settings(params, variant, seed), report)
    model.save(out_dir, {"task": "flight_booking", "variant": variant})
    started = time.perf_counter()
    played = self_play(CalmAgent(model), params["eval_games"])
    success = float(np.mean([r["success"] for r in played]))
    summary = {"success": success, "eval_seconds": round(time.perf_counter() - started, 1)}
    return {"figures": figures, "played": played, "summary": summary}


def _run_jobs(params: dict[str, Any], jobs: list[tuple[int, str]], workdir: Path, report) -> list[dict]:
    """Every (seed, variant) job, in this process or spread over `workers` processes (each agent is
    tiny, so one thread each trains faster in total than two threads on one agent)."""
    out_dirs = [workdir / f"seed{seed}" / variant for seed, variant in jobs]
    if params["workers"] == 1 or len(jobs) == 1:
        outcomes = []
        for i, ((seed, variant), out_dir) in enumerate(zip(jobs, out_dirs, strict=True)):
            step = scaled(report, i / len(jobs), (i + 1) / len(jobs))
            step(0.0, f"seed {seed}: {variant}")
            outcomes.append(train_and_play(params, seed, variant, out_dir, step))
        return outcomes
    import multiprocessing

    pool = multiprocessing.get_context("spawn").Pool(min(params["workers"], len(jobs)))
    try:
        pending = [
            pool.apply_async(train_and_play, (params, seed, variant, out_dir))
            for (seed, variant), out_dir in zip(jobs, out_dirs, strict=True)
        ]
        while not all(p.ready() for p in pending):
            done = sum(p.ready() for p in pending)
            report(done / len(jobs), f"{done}/{len(jobs)} agents trained and played")  # may cancel
            pending[next(i for i, p in enumerate(pending) if not p.ready())].wait(10)
        return [p.get() for p in pending]
    finally:
        pool.terminate()  # also on cancel or failure: no orphaned trainers
        pool.join()


def _write(workdir: Path, metrics, results, curves, report, agents=()) -> ExperimentResult:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = metrics["variants"]
    names = list(table)
    means = [table[n]["success"] for n in names]
    errors = [
        [table[n]["success"] - table[n]["ci_low"] for n in names],
        [table[n]["ci_high"] - table[n]["success"] for n in names],
    ]
    fig, ax = plt.subplots(figsize=(1.4 * len(names) + 2, 3.5))
    ax.bar(names, means, yerr=errors, capsize=4, color="#4a78b5")
    ax.set_ylabel("task success (self-play)")
    ax.set_ylim(0, 1)
    fig.tight_layout()
    plots = save_figure(fig, workdir / "success")
    if curves:
        plots += _loss_plot(curves, workdir / "loss")
    metrics_path = workdir / "metrics.json"
    metrics_path.write_text(json.dumps(metrics, indent=1))
    games_path = data.write_jsonl(
        ({"variant": n, **r} for n in names for r in results[n]), workdir / "games.jsonl"
    )
    report(1.0, "done: " + ", ".join(f"{n} {table[n]['success']:.3f}" for n in names))
    return ExperimentResult(
        metrics,
        [
            ArtifactOut(metrics_path, "metrics", "metrics.json"),
            ArtifactOut(games_path, "metrics", "games.jsonl"),
            *(ArtifactOut(p, "plot", p.name) for p in plots),
            *agents,
        ],
    )
