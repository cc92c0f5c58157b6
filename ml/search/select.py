"""Turning scored samples into one answer: step aggregation and answer selection.

Within one sample, a process reward model scores every step; `aggregate` reduces those to one score
(`last`, the paper's choice with soft labels, `min` or `prod`). Across N samples:

- `majority`: the most frequent final answer;
- `best_of_n`: the answer of the single best-scored sample;
- `weighted_best_of_n`: the answer whose samples' scores sum highest.

Samples without a final answer (None) never win. Ties go to the answer seen first, so results are
reproducible for a fixed sample order. `subsample` draws n of a pool at random, which is how
budget curves are measured honestly (not by taking the first n).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence

import numpy as np

AGGREGATIONS = ("last", "min", "prod")
SELECTIONS = ("majority", "best_of_n", "weighted_best_of_n")


def aggregate(step_scores: Sequence[float], how: str = "last") -> float:
    if how not in AGGREGATIONS:
        raise ValueError(f"aggregation must be one of {AGGREGATIONS}")
    if not step_scores:
        return 0.0
    if how == "last":
        return float(step_scores[-1])
    if how == "min":
        return float(min(step_scores))
    return float(math.prod(step_scores))


def answer_totals(answers: Sequence[Hashable | None], weights: Sequence[float]) -> dict[Hashable, float]:
    """Summed weight per distinct answer (None skipped), in order of first appearance."""
    totals: dict[Hashable, float] = {}  # insertion order breaks ties
    for answer, weight in zip(answers, weights, strict=True):
        if answer is not None:
            totals[answer] = totals.get(answer, 0.0) + weight
    return totals


def _top(totals: dict[Hashable, float]) -> Hashable | None:
    return max(totals, key=totals.__getitem__) if totals else None  # max keeps the first of equals


def majority(answers: Sequence[Hashable | None]) -> Hashable | None:
    return _top(answer_totals(answers, [1.0] * len(answers)))


def best_of_n(answers: Sequence[Hashable | None], scores: Sequence[float]) -> Hashable | None:
    best, best_score = None, -math.inf
    for answer, score in zip(answers, scores, strict=True):
        if answer is not None and score > best_score:
            best, best_score = answer, score
    return best


def weighted_best_of_n(answers: Sequence[Hashable | None], scores: Sequence[float]) -> Hashable | None:
    return _top(answer_totals(answers, scores))


def select(how: str, answers: Sequence[Hashable | None], scores: Sequence[float]) -> Hashable | None:
    if how == "majority":
        return majority(answers)
    if how == "best_of_n":
        return best_of_n(answers, scores)
    if how == "weighted_best_of_n":
        return weighted_best_of_n(answers, scores)
    raise ValueError(f"selection must be one of {SELECTIONS}")


def subsample(pool_size: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """n distinct indices into a pool of pool_size samples, drawn at random."""
    if not 0 < n <= pool_size:
        raise ValueError(f"cannot draw {n} of a pool of {pool_size}")
    return rng.choice(pool_size, size=n, replace=False)
