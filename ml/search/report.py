"""Summaries and plots of `search.sweep` runs, pooled over seeds with bootstrap confidence intervals.

Works on runs as metrics.json stores them (budgets and bins as strings), so it also merges runs made
separately, one seed each:

    python -m ml.search.report var/artifacts/runs/12/metrics.json var/artifacts/runs/13/metrics.json --out DIR
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from ml.stats.bootstrap import bootstrap_ci

BASELINE = "weighted_best_of_n_prm"
ORACLE = "weighted_best_of_n_prm_oracle"  # the PRM trained on exact step labels: an upper bound
BOOTSTRAP = 1000


def budgets_of(runs: list[dict[str, Any]]) -> list[int]:
    return sorted(int(n) for n in runs[0]["test_accuracy"][BASELINE])


def pooled(runs: list[dict[str, Any]], get) -> np.ndarray:
    """One array of per-problem values over every seed's test problems."""
    return np.concatenate([np.asarray(get(r), dtype=float) for r in runs])


def mean_ci(values: np.ndarray, seed: int = 0) -> dict[str, float]:
    ci = bootstrap_ci(values, np.mean, n_boot=BOOTSTRAP, seed=seed)
    return {"mean": round(ci.estimate, 4), "low": round(ci.ci_low, 4), "high": round(ci.ci_high, 4)}


def _bin_means(runs, get, kind: str = "oracle") -> dict[int, float]:
    values = pooled(runs, get)
    bins = pooled(runs, lambda r: r["bins"][kind]).astype(int)
    return {int(b): round(float(values[bins == b].mean()), 4) for b in np.unique(bins)}


def _multiplier_summary(per_budget: dict[int, float | None], budgets: list[int]) -> dict[str, Any]:
    """Largest multiplier, and the mean over budgets 4-64 (a budget whose accuracy the baseline never
    reaches counts at its lower bound, the largest budget over this one). `max_measured` leaves those
    bounds out: where the baseline plateaus just below, the bound is large but says little."""
    bounded = {n: m if m is not None else budgets[-1] / n for n, m in per_budget.items()}
    measured = [m for m in per_budget.values() if m is not None]
    window = [bounded[n] for n in budgets if 4 <= n <= 64]
    return {
        "by_budget": per_budget,
        "max": round(max(bounded.values()), 2),
        "max_measured": round(max(measured), 2) if measured else None,
        "mean_4_to_64": round(float(np.mean(window)), 2) if window else None,
        "baseline_never_matched_at": [n for n, m in per_budget.items() if m is None],
    }


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    from ml.search.budget import efficiency_multiplier

    budgets = budgets_of(runs)
    small, large = min(budgets[-1], max(n for n in budgets if n <= 16)), budgets[-1]
    accuracy = {
        method: {
            n: mean_ci(pooled(runs, lambda r, m=method, n=n: r["per_problem"][m][str(n)])) for n in budgets
        }
        for method in runs[0]["per_problem"]
    }
    revisions = {
        shape: {
            n: mean_ci(pooled(runs, lambda r, s=shape, n=n: r["revisions"]["per_problem"][s][str(n)]))
            for n in budgets
        }
        for shape in runs[0]["revisions"]["per_problem"]
    }
    baseline = {n: accuracy[BASELINE][n]["mean"] for n in budgets}
    multipliers = {}
    for kind in ("oracle", "predicted"):
        optimal = {
            n: float(np.mean([r[f"compute_optimal_{kind}"][str(n)]["accuracy"] for r in runs]))
            for n in budgets
        }
        multipliers[kind] = _multiplier_summary(
            {n: efficiency_multiplier(optimal[n], n, baseline) for n in budgets}, budgets
        )
        multipliers[kind]["accuracy"] = {n: round(a, 4) for n, a in optimal.items()}
        if kind == "predicted":
            cost = runs[0]["difficulty_samples"]
            multipliers["predicted_cost_included"] = _multiplier_summary(
                {n: efficiency_multiplier(optimal[n], n + cost, baseline) for n in budgets}, budgets
            )
    by_bin = {
        str(n): {
            m: _bin_means(runs, lambda r, m=m, n=n: r["per_problem"][m][str(n)])
            for m in ("beam_k0", "beam_k1", BASELINE, "majority")
        }
        for n in sorted({small, large})
    }
    best_revision_shape = {}
    for n in budgets:
        means = {
            shape: _bin_means(runs, lambda r, s=shape, n=n: r["revisions"]["per_problem"][s][str(n)])
            for shape in ("sequential_orm", "balanced_orm", "parallel_orm")
        }
        bins = sorted(next(iter(means.values())))
        best_revision_shape[str(n)] = {
            b: max(means, key=lambda s, b=b: means[s][b]).removesuffix("_orm") for b in bins
        }
    summary: dict[str, Any] = {
        "seeds": [r["seed"] for r in runs],
        "test_problems": len(pooled(runs, lambda r: r["bins"]["oracle"])),
        "test_pass_at_1": round(float(np.mean([r["test_pass_at_1"] for r in runs])), 4),
        "accuracy": accuracy,
        "efficiency_multiplier": multipliers,
        "by_oracle_bin": by_bin,
        "revisions": revisions,
        "best_revision_shape_by_bin": best_revision_shape,
        "correct_to_wrong_share": [r["revisions"]["correct_to_wrong_share"] for r in runs],
        "seconds": [{**r["training"]["seconds"], **r["times"]} for r in runs],
    }
    if runs[0]["flops_matched"]:
        summary["flops_matched"] = _flops_summary(runs)
    return summary


def _flops_summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    first = runs[0]["flops_matched"]
    large = _bin_means(runs, lambda r: r["flops_matched"]["large_per_problem"])
    by_ratio = {}
    for ratio, verdict in first["by_ratio"].items():
        budget = verdict["budget_used"]
        small = _bin_means(runs, lambda r, n=budget: r["per_problem"][BASELINE][str(n)]) if budget else {}
        by_ratio[ratio] = {
            "matched_generations": verdict["matched_generations"],
            "budget_used": budget,
            "bins": {
                b: {
                    "small_test_time": small.get(b),
                    "large_one_sample": large[b],
                    "winner": None
                    if b not in small
                    else "test-time compute"
                    if small[b] >= large[b]
                    else "pretraining",
                }
                for b in large
            },
        }
    return {
        "size_ratio": first["size_ratio"],
        "small_params": first["small_params"],
        "large_params": first["large_params"],
        "large_accuracy": round(float(np.mean([r["flops_matched"]["large_accuracy"] for r in runs])), 4),
        "by_ratio": by_ratio,
    }


def _figure(width: float = 6.4, height: float = 4.2, cols: int = 1):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig, [fig.add_subplot(1, cols, i + 1) for i in range(cols)]


def _curve(ax, budgets, stats, label, **style) -> None:
    mean = [stats[n]["mean"] for n in budgets]
    ax.plot(budgets, mean, marker="o", markersize=3, label=label, **style)
    ax.fill_between(
        budgets, [stats[n]["low"] for n in budgets], [stats[n]["high"] for n in budgets], alpha=0.12
    )


def _budget_axes(ax, budgets, ylabel="test accuracy") -> None:
    ax.set(xscale="log", xlabel="generations per problem (budget)", ylabel=ylabel)
    ax.set_xticks(budgets, [str(b) for b in budgets])
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)


def _bars(ax, groups: dict[str, dict[int, float | None]], title: str) -> None:
    bins = sorted({b for g in groups.values() for b in g})
    width = 0.8 / len(groups)
    for i, (label, values) in enumerate(groups.items()):
        heights = [values.get(b) or 0.0 for b in bins]
        ax.bar(np.arange(len(bins)) + i * width - 0.4 + width / 2, heights, width, label=label)
    ax.set_xticks(range(len(bins)), [f"bin {b}" for b in bins])
    ax.set(title=title, ylabel="test accuracy", xlabel="difficulty (0 = hardest, oracle bins)")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, axis="y")


def write_plots(runs: list[dict[str, Any]], summary: dict[str, Any], folder: Path) -> list[Path]:
    """Six figures as PNG and SVG: accuracy against budget, beam search against best-of-N per bin,
    aggregation, revisions, compute-optimal against best-of-N, and the FLOPs-matched comparison."""
    from ml.experiments import save_figure

    budgets = budgets_of(runs)
    accuracy = {
        m: {int(n): v for n, v in c.items()} for m, c in json.loads(json.dumps(summary["accuracy"])).items()
    }
    paths: list[Path] = []

    fig, [ax] = _figure()
    for method in ("majority", "best_of_n_prm", BASELINE, "weighted_best_of_n_orm", "beam_k0", "beam_k1"):
        _curve(ax, budgets, accuracy[method], method.replace("_", " "))
    if ORACLE in accuracy:  # sweeps from before the oracle-label PRM lack it
        _curve(ax, budgets, accuracy[ORACLE], "weighted best-of-N, PRM on exact labels", linestyle="--")
    _budget_axes(ax, budgets)
    ax.set_title(f"{len(runs)} seed(s), {summary['test_problems']} test problems, 95% bootstrap CI")
    fig.tight_layout()
    paths += save_figure(fig, folder / "accuracy_vs_budget")

    fig, axes = _figure(width=11, cols=len(summary["by_oracle_bin"]))
    for ax, (n, groups) in zip(axes, summary["by_oracle_bin"].items(), strict=True):
        _bars(
            ax,
            {k.replace("_", " "): {int(b): v for b, v in g.items()} for k, g in groups.items()},
            f"N = {n}",
        )
    fig.tight_layout()
    paths += save_figure(fig, folder / "beam_vs_best_of_n_by_bin")

    fig, axes = _figure(width=11, cols=2)
    for method in ("majority", "best_of_n_prm", BASELINE):
        _curve(axes[0], budgets, accuracy[method], method.replace("_", " "))
    axes[0].set_title("answer selection (PRM, last step)")
    for suffix, label in (("", "last"), ("_min", "min"), ("_prod", "product")):
        _curve(axes[1], budgets, accuracy[BASELINE + suffix], f"weighted best-of-N, PRM {label}")
    _curve(axes[1], budgets, accuracy["weighted_best_of_n_orm"], "weighted best-of-N, ORM", linestyle="--")
    for suffix, label in (("", "last"), ("_min", "min")):
        if ORACLE + suffix in accuracy:
            _curve(axes[1], budgets, accuracy[ORACLE + suffix], f"exact-label PRM {label}", linestyle=":")
    axes[1].set_title("step aggregation")
    for ax in axes:
        _budget_axes(ax, budgets)
    fig.tight_layout()
    paths += save_figure(fig, folder / "aggregation")

    fig, [ax] = _figure()
    revisions = {
        s: {int(n): v for n, v in c.items()} for s, c in json.loads(json.dumps(summary["revisions"])).items()
    }
    for shape in ("sequential", "balanced", "parallel"):
        _curve(ax, budgets, revisions[f"{shape}_orm"], f"{shape}, ORM (hierarchical)")
        _curve(ax, budgets, revisions[f"{shape}_majority"], f"{shape}, majority", linestyle="--")
    _budget_axes(ax, budgets)
    ax.set_title("revision chains: sequential against parallel")
    fig.tight_layout()
    paths += save_figure(fig, folder / "revisions")

    fig, [ax] = _figure()
    _curve(ax, budgets, accuracy[BASELINE], "weighted best-of-N (PRM)")
    for kind, style in (("oracle", "k--"), ("predicted", "k:")):
        optimal = summary["efficiency_multiplier"][kind]["accuracy"]
        ax.plot(budgets, [optimal[str(n)] if str(n) in optimal else optimal[n] for n in budgets], style,
                label=f"compute-optimal ({kind} bins)")  # fmt: skip
    _budget_axes(ax, budgets)
    ax.set_title("compute-optimal selection against best-of-N")
    fig.tight_layout()
    paths += save_figure(fig, folder / "compute_optimal")

    if "flops_matched" in summary:
        matched = summary["flops_matched"]
        fig, axes = _figure(width=12, cols=len(matched["by_ratio"]))
        for ax, (ratio, verdict) in zip(axes, matched["by_ratio"].items(), strict=True):
            bins = verdict["bins"]
            groups = {
                f"small, N={verdict['budget_used']}": {int(b): v["small_test_time"] for b, v in bins.items()},
                f"{matched['size_ratio']}x larger, 1 sample": {
                    int(b): v["large_one_sample"] for b, v in bins.items()
                },
            }
            _bars(ax, groups, f"R = {ratio}")
        fig.tight_layout()
        paths += save_figure(fig, folder / "flops_matched")
    return paths


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("metrics", nargs="+", type=Path, help="metrics.json files of search.sweep runs")
    parser.add_argument("--out", type=Path, required=True, help="folder for summary.json and the plots")
    args = parser.parse_args(argv)
    runs = []
    for path in args.metrics:
        runs += json.loads(path.read_text())["runs"]
    args.out.mkdir(parents=True, exist_ok=True)
    summary = summarise(runs)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    for path in write_plots(runs, summary, args.out):
        print(path)
    print(json.dumps(summary["efficiency_multiplier"]["oracle"], indent=1))


if __name__ == "__main__":
    main()
