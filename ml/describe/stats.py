"""Validity of a hypothesis and how sure we are of it.

T(h, x) in [0, 1] is a verifier's judgement that hypothesis h holds for text x. Over held-out
samples of D1 and D0, validity(h) = mean T on D1 - mean T on D0. A one-sided Welch t-test asks
whether the D1 mean is larger; Holm (or Benjamini-Hochberg) adjusts for the many hypotheses
tested. Block-wise elimination spends verifier calls only on hypotheses that can still make the
top k.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from ml.stats.significance import welch_t_test

Block = TypeVar("Block")


@dataclass(frozen=True)
class ValidityCI:
    estimate: float
    low: float
    high: float
    ci: float


def validity(t1: Sequence[float] | np.ndarray, t0: Sequence[float] | np.ndarray) -> float | np.ndarray:
    """mean(t1) - mean(t0) along the last axis (a float for 1-D inputs, one per row for 2-D)."""
    a, b = np.asarray(t1, dtype=float), np.asarray(t0, dtype=float)
    if a.shape[-1] == 0 or b.shape[-1] == 0:
        raise ValueError("validity needs at least one sample of each group")
    diff = a.mean(axis=-1) - b.mean(axis=-1)
    return float(diff) if np.ndim(diff) == 0 else diff


def one_sided_t_test(t1: Sequence[float] | np.ndarray, t0: Sequence[float] | np.ndarray) -> float:
    """p-value of Welch's t-test for mean(t1) > mean(t0).

    When both groups are constant and equal nothing supports a difference, so the p-value is 1
    (the t statistic itself is undefined there)."""
    p = welch_t_test(t1, t0, alternative="greater").p_value
    return 1.0 if math.isnan(p) else float(p)


def bootstrap_validity_ci(
    t1: Sequence[float] | np.ndarray,
    t0: Sequence[float] | np.ndarray,
    n_boot: int = 1000,
    seed: int | np.random.Generator | None = 0,
    ci: float = 0.95,
) -> ValidityCI:
    """Percentile bootstrap interval of validity, resampling each group separately (they are
    independent samples of different sizes)."""
    estimate, low, high = _bootstrap_bounds(
        np.asarray(t1, float)[None], np.asarray(t0, float)[None], n_boot, seed, ci
    )
    return ValidityCI(float(estimate[0]), float(low[0]), float(high[0]), ci)


def _bootstrap_bounds(
    t1: np.ndarray, t0: np.ndarray, n_boot: int, seed: int | np.random.Generator | None, ci: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validity and its percentile interval for each row of t1 (H, N1) and t0 (H, N0).

    A resample is a vector of draw counts (multinomial), so a resampled mean is one matrix product
    and every hypothesis sees the same resamples."""
    if not 0.0 < ci < 1.0:
        raise ValueError("ci must be between 0 and 1")
    if n_boot < 1:
        raise ValueError("n_boot must be >= 1")
    if t1.shape[1] == 0 or t0.shape[1] == 0:
        raise ValueError("the bootstrap needs at least one sample of each group")
    rng = np.random.default_rng(seed)
    draws1 = rng.multinomial(t1.shape[1], np.full(t1.shape[1], 1.0 / t1.shape[1]), size=n_boot)
    draws0 = rng.multinomial(t0.shape[1], np.full(t0.shape[1], 1.0 / t0.shape[1]), size=n_boot)
    replicates = (t1 @ draws1.T) / t1.shape[1] - (t0 @ draws0.T) / t0.shape[1]  # (H, n_boot)
    tail = (1.0 - ci) / 2.0
    low, high = np.quantile(replicates, [tail, 1.0 - tail], axis=1)
    return t1.mean(axis=1) - t0.mean(axis=1), low, high


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (family-wise error), in the input order.

    The i-th smallest p (from 0) is multiplied by m - i, then made non-decreasing along the order."""
    p = _clean(pvalues)
    order = np.argsort(p, kind="stable")
    m = len(p)
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.maximum.accumulate(scaled)
    return adjusted.tolist()


def benjamini_hochberg(pvalues: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (false discovery rate), in the input order.

    The i-th smallest p (from 1) is multiplied by m / i, then made non-increasing from the largest down."""
    p = _clean(pvalues)
    order = np.argsort(p, kind="stable")
    m = len(p)
    scaled = np.minimum(1.0, p[order] * m / np.arange(1, m + 1))
    adjusted = np.empty(m)
    adjusted[order] = np.minimum.accumulate(scaled[::-1])[::-1]
    return adjusted.tolist()


def _clean(pvalues: Sequence[float]) -> np.ndarray:
    p = np.asarray(pvalues, dtype=float)
    if p.ndim != 1:
        raise ValueError("p-values must be a flat sequence")
    # An undefined p-value is no evidence against the null: count it as 1.
    return np.where(np.isnan(p), 1.0, p)


@dataclass
class Elimination:
    survivors: list[int]  # hypotheses still in after the last block, in index order
    eliminated_after: dict[int, int]  # hypothesis -> number of blocks it was verified on before its drop
    scores_positive: list[np.ndarray]  # per hypothesis: its T on the D1 samples it was verified on
    scores_negative: list[np.ndarray]
    calls: int  # (hypothesis, sample) judgements made
    calls_without_elimination: int  # judgements verifying every hypothesis on every block would make
    history: list[dict] = field(default_factory=list)  # per block: survivors and the k-th best lower bound


def blockwise_elimination(
    score_block: Callable[[list[int], Block], tuple[np.ndarray, np.ndarray]],
    n_hypotheses: int,
    blocks: Sequence[Block],
    keep_top_k: int,
    n_boot: int = 500,
    ci: float = 0.95,
    seed: int = 0,
    min_samples: int = 2,
) -> Elimination:
    """Verify hypotheses block by block, dropping those that cannot reach the top `keep_top_k`.

    `score_block(alive, block)` judges the hypotheses numbered `alive` on one block of held-out
    samples and returns (T on the block's D1 samples, T on its D0 samples), arrays of shape
    (len(alive), n1) and (len(alive), n0). It is called once per block with the surviving
    hypotheses only, which is where the savings come from.

    After each block, every survivor's validity interval is computed on all its samples so far; a
    hypothesis whose upper bound is below the k-th best lower bound is dropped (the k best by lower
    bound are never dropped, as their upper bounds are at least their lower bounds).
    """
    if keep_top_k < 1:
        raise ValueError("keep_top_k must be >= 1")
    alive = list(range(n_hypotheses))
    positive: list[list[np.ndarray]] = [[] for _ in alive]
    negative: list[list[np.ndarray]] = [[] for _ in alive]
    eliminated_after: dict[int, int] = {}
    calls = calls_all = 0
    history: list[dict] = []
    rng = np.random.default_rng(seed)
    for number, block in enumerate(blocks, start=1):
        if not alive:
            break
        s1, s0 = (np.asarray(s, dtype=float) for s in score_block(list(alive), block))
        if s1.shape[0] != len(alive) or s0.shape[0] != len(alive):
            raise ValueError(
                f"score_block returned {s1.shape[0]}/{s0.shape[0]} rows for {len(alive)} hypotheses"
            )
        calls += len(alive) * (s1.shape[1] + s0.shape[1])
        calls_all += n_hypotheses * (s1.shape[1] + s0.shape[1])
        for row, h in enumerate(alive):
            positive[h].append(s1[row])
            negative[h].append(s0[row])
        # Survivors share their samples, so their scores stack into matrices.
        t1 = np.stack([np.concatenate(positive[h]) for h in alive])
        t0 = np.stack([np.concatenate(negative[h]) for h in alive])
        entry: dict = {"block": number, "verified": len(alive), "kth_lower_bound": None}
        if len(alive) > keep_top_k and min(t1.shape[1], t0.shape[1]) >= min_samples:
            _, low, high = _bootstrap_bounds(t1, t0, n_boot, rng, ci)
            kth = float(np.sort(low)[::-1][keep_top_k - 1])
            entry["kth_lower_bound"] = kth
            for row, h in enumerate(list(alive)):
                if high[row] < kth:
                    eliminated_after[h] = number
            alive = [h for h in alive if h not in eliminated_after]
        entry["survivors"] = len(alive)
        history.append(entry)
    return Elimination(
        survivors=alive,
        eliminated_after=eliminated_after,
        scores_positive=[np.concatenate(s) if s else np.zeros(0) for s in positive],
        scores_negative=[np.concatenate(s) if s else np.zeros(0) for s in negative],
        calls=calls,
        calls_without_elimination=calls_all,
        history=history,
    )
