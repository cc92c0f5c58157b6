"""Accuracy against test-time budget, difficulty bins and compute-optimal strategy selection.

Everything here works on sample pools already drawn and scored, so one expensive sampling pass serves
every method and budget:

- `pool_accuracy`: for each budget N, draw N of each problem's pool at random (repeatedly), select an
  answer (majority, best-of-N, weighted best-of-N) and score it; never the first N samples.
- `difficulty_bins`: quantile bins of a per-problem statistic: pass@1 over the pool (oracle) or the mean
  final-step PRM score (predicted, which needs no answer key).
- `compute_optimal`: per bin and budget, the strategy with the best accuracy on the selection problems,
  applied to the evaluation problems; `cross_validated` does it with 2 folds inside one set.
- `efficiency_multiplier`: the budget a baseline needs to match an accuracy, divided by the budget spent.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from ml.search.select import select


@dataclass
class Pool:
    """One problem's samples: final answers (None if unparsed), a score per sample, and the key."""

    answers: list[Hashable | None]
    scores: list[float]
    correct_answer: Hashable

    def __post_init__(self) -> None:
        if len(self.answers) != len(self.scores):
            raise ValueError("one score per sample")

    def pass_at_1(self) -> float:
        return float(np.mean([a == self.correct_answer for a in self.answers])) if self.answers else 0.0


def pool_correct(pools: Sequence[Pool], how: str, n: int, repeats: int, seed: int) -> np.ndarray:
    """A (problems, repeats) 0/1 array: is the answer selected from a random n of the pool right?"""
    rng = np.random.default_rng(seed)
    out = np.zeros((len(pools), repeats))
    for i, pool in enumerate(pools):
        if n > len(pool.answers):
            raise ValueError(f"budget {n} exceeds a pool of {len(pool.answers)} samples")
        for r in range(repeats):
            picked = rng.choice(len(pool.answers), size=n, replace=False)
            chosen = select(how, [pool.answers[j] for j in picked], [pool.scores[j] for j in picked])
            out[i, r] = chosen is not None and chosen == pool.correct_answer
    return out


def pool_accuracy(
    pools: Sequence[Pool], how: str, budgets: Sequence[int], repeats: int = 20, seed: int = 0
) -> dict[int, np.ndarray]:
    """Per budget, each problem's accuracy averaged over `repeats` random draws."""
    return {n: pool_correct(pools, how, n, repeats, seed + n).mean(axis=1) for n in budgets}


def difficulty_bins(statistic: Sequence[float], n_bins: int = 5) -> np.ndarray:
    """Bin 0 (hardest: lowest statistic) to n_bins-1 (easiest), by quantiles; ties share a bin."""
    values = np.asarray(statistic, dtype=float)
    if len(values) == 0:
        return np.zeros(0, dtype=int)
    edges = np.quantile(values, np.linspace(0, 1, n_bins + 1)[1:-1])
    return np.searchsorted(edges, values, side="right")


def compute_optimal(
    select_scores: dict[str, dict[int, np.ndarray]],
    select_bins: np.ndarray,
    eval_scores: dict[str, dict[int, np.ndarray]],
    eval_bins: np.ndarray,
    budget: int,
) -> tuple[float, dict[int, str]]:
    """Accuracy on the evaluation problems when each bin uses the strategy that did best on the selection
    problems of the same bin at this budget; also the choice per bin. A bin empty at selection time
    falls back to the strategy best over all selection problems."""
    strategies = sorted(select_scores)
    overall = max(strategies, key=lambda s: select_scores[s][budget].mean())
    choice: dict[int, str] = {}
    correct = np.zeros(len(eval_bins))
    for b in np.unique(eval_bins):
        members = select_bins == b
        if members.any():
            choice[int(b)] = max(strategies, key=lambda s: select_scores[s][budget][members].mean())
        else:
            choice[int(b)] = overall
        correct[eval_bins == b] = eval_scores[choice[int(b)]][budget][eval_bins == b]
    return float(correct.mean()), choice


def cross_validated(
    scores: dict[str, dict[int, np.ndarray]], bins: np.ndarray, budget: int, seed: int = 0
) -> float:
    """Compute-optimal accuracy by 2-fold cross-validation: each half is scored with choices made on the
    other half."""
    rng = np.random.default_rng(seed)
    fold = rng.permutation(len(bins)) % 2
    total = 0.0
    for k in (0, 1):
        pick, held = fold != k, fold == k
        sub = {s: {budget: v[budget][pick]} for s, v in scores.items()}
        ev = {s: {budget: v[budget][held]} for s, v in scores.items()}
        accuracy, _ = compute_optimal(sub, bins[pick], ev, bins[held], budget)
        total += accuracy * held.sum()
    return total / len(bins)


def efficiency_multiplier(target: float, budget: int, baseline: dict[int, float]) -> float | None:
    """(budget the baseline needs to reach `target`) / `budget`, interpolating log-linearly between the
    measured budgets; None if the baseline never reaches it within its largest budget."""
    points = sorted(baseline.items())
    if points[0][1] >= target:
        return points[0][0] / budget
    for (n0, a0), (n1, a1) in zip(points, points[1:], strict=False):
        if a1 >= target > a0:
            t = (target - a0) / (a1 - a0)
            return float(np.exp(np.log(n0) + t * (np.log(n1) - np.log(n0)))) / budget
    return None
