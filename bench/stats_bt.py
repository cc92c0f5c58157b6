"""Benchmark: ml.stats Bradley–Terry fit + bootstrap, timed, and checked against scipy.optimize.

    python bench/stats_bt.py [--comparisons 100000] [--models 10] [--boot 1000] [--repeats 7] [--seed 0]

Generates seeded comparisons among models with known log-strengths (evenly spaced over [-1.5, 1.5]):
each is a tie with probability 0.1, otherwise "a" wins with probability sigmoid(s_a - s_b). The timed
run is `bootstrap_bt` on the raw list of (model_a, model_b, outcome) tuples, which aggregates them,
fits the MLE and fits all bootstrap replicates; its parts are also timed on their own. The reference
is an independent maximum-likelihood fit with scipy.optimize (BFGS on the per-row log-likelihood,
ties as half wins, analytic gradient) put on the same scale (400 * log10, mean 1000).

Targets: end-to-end time <= 0.3 s (median of the repeats) and ratings within 0.001 of scipy's.
Needs scipy (a dev dependency; ml.stats itself uses numpy only). The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from scipy import optimize

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere without installing

from ml.stats import aggregate, bootstrap_bt, fit_bt  # noqa: E402

TIME_TARGET_S = 0.3
DIFF_TARGET = 1e-3
TIE_PROBABILITY = 0.1


def simulate(n: int, strengths: np.ndarray, seed: int) -> list[tuple[str, str, str]]:
    rng = np.random.default_rng(seed)
    m = len(strengths)
    a = rng.integers(0, m, n)
    b = (a + rng.integers(1, m, n)) % m  # a different model, uniformly
    p_a = 1.0 / (1.0 + np.exp(strengths[b] - strengths[a]))
    tie = rng.random(n) < TIE_PROBABILITY
    outcome = np.where(tie, "tie", np.where(rng.random(n) < p_a, "a", "b"))
    names = [f"model-{k:02d}" for k in range(m)]
    return [(names[x], names[y], o) for x, y, o in zip(a.tolist(), b.tolist(), outcome.tolist(), strict=True)]


def scipy_reference(rows: list[tuple[str, str, str]], models: list[str]) -> np.ndarray:
    """Mean-1000 Elo-scale ratings from scipy's BFGS on the row-level log-likelihood."""
    index = {m: k for k, m in enumerate(models)}
    a = np.array([index[r[0]] for r in rows])
    b = np.array([index[r[1]] for r in rows])
    score = np.array([{"a": 1.0, "b": 0.0, "tie": 0.5}[r[2]] for r in rows])  # a's share of the point
    m = len(models)

    def negative_log_likelihood(free: np.ndarray) -> tuple[float, np.ndarray]:
        theta = np.concatenate([[0.0], free])  # only differences matter: pin the first model
        d = theta[a] - theta[b]
        # score * log sigmoid(d) + (1 - score) * log sigmoid(-d)
        value = -(score * -np.logaddexp(0.0, -d) + (1.0 - score) * -np.logaddexp(0.0, d)).sum()
        residual = score - 1.0 / (1.0 + np.exp(-d))  # d(loglik)/d(d) per row
        grad = np.bincount(a, residual, m) - np.bincount(b, residual, m)
        return float(value), -grad[1:]

    fit = optimize.minimize(
        negative_log_likelihood,
        np.zeros(m - 1),
        jac=True,
        method="BFGS",
        options={"gtol": 1e-8, "maxiter": 1000},
    )
    theta = np.concatenate([[0.0], fit.x])
    return 1000.0 + 400.0 / math.log(10.0) * (theta - theta.mean())


def timed(fn, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comparisons", type=int, default=100_000)
    parser.add_argument("--models", type=int, default=10)
    parser.add_argument("--boot", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    strengths = np.linspace(-1.5, 1.5, args.models)
    rows = simulate(args.comparisons, strengths, args.seed)
    tie_share = sum(r[2] == "tie" for r in rows) / len(rows)

    bootstrap_bt(rows, n_boot=args.boot, seed=args.seed)  # warm-up: imports, allocator, BLAS threads
    total_s, boot = timed(lambda: bootstrap_bt(rows, n_boot=args.boot, seed=args.seed), args.repeats)
    aggregate_s, data = timed(lambda: aggregate(rows), args.repeats)
    fit_s, fit = timed(lambda: fit_bt(data), args.repeats)
    boot_only_s, _ = timed(lambda: bootstrap_bt(data, n_boot=args.boot, seed=args.seed), args.repeats)
    scipy_s, reference = timed(lambda: scipy_reference(rows, data.models), 1)

    diff = np.abs(fit.ratings - reference)
    print(
        f"{len(rows)} comparisons, {args.models} models, {tie_share:.1%} ties, {args.boot} bootstrap replicates"
    )
    print(
        f"{'model':<10} {'true s':>7} {'rating':>10} {'scipy':>10} {'|diff|':>9} {'ci low':>9} {'ci high':>9}"
    )
    for k, name in enumerate(data.models):
        print(
            f"{name:<10} {strengths[k]:>7.3f} {fit.ratings[k]:>10.4f} {reference[k]:>10.4f} {diff[k]:>9.2e} "
            f"{boot.ci_low[k]:>9.2f} {boot.ci_high[k]:>9.2f}"
        )
    print(f"\nmedian of {args.repeats} repeats (seconds):")
    print(f"  end to end (bootstrap_bt on raw rows): {total_s:.4f}   target <= {TIME_TARGET_S}")
    print(f"    aggregate rows:                      {aggregate_s:.4f}")
    print(f"    MLE fit (aggregated):                {fit_s:.4f}  ({fit.iterations} Newton steps)")
    print(f"    fit + {args.boot} replicates (aggregated):  {boot_only_s:.4f}")
    print(f"  scipy BFGS reference fit (1 run):      {scipy_s:.4f}")
    print(f"max |rating - scipy| = {diff.max():.2e}   target <= {DIFF_TARGET}")

    print(
        json.dumps(
            {
                "comparisons": len(rows),
                "models": args.models,
                "tie_share": round(tie_share, 4),
                "n_boot": args.boot,
                "repeats": args.repeats,
                "total_s": round(total_s, 4),
                "aggregate_s": round(aggregate_s, 4),
                "fit_s": round(fit_s, 4),
                "fit_and_bootstrap_s": round(boot_only_s, 4),
                "scipy_fit_s": round(scipy_s, 4),
                "max_abs_diff_vs_scipy": float(f"{diff.max():.3g}"),
                "time_target_s": TIME_TARGET_S,
                "diff_target": DIFF_TARGET,
                "time_target_met": bool(total_s <= TIME_TARGET_S),
                "diff_target_met": bool(diff.max() <= DIFF_TARGET),
            }
        )
    )


if __name__ == "__main__":
    main()
