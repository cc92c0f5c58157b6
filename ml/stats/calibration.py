"""Calibration of confidence scores: reliability table and expected calibration error (ECE).

Equal-width bins over [0, 1]: bin b covers [b/B, (b+1)/B), except that the last bin also holds 1.0.
ECE = sum_b (n_b / N) * |accuracy_b - mean confidence_b|, i.e. the count-weighted gap between how
sure the model said it was and how often it was right.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ReliabilityBin:
    low: float
    high: float
    count: int
    mean_confidence: float  # NaN for an empty bin
    accuracy: float  # NaN for an empty bin
    gap: float  # accuracy - mean_confidence (negative: over-confident)


def _bin(confidences: Sequence[float] | np.ndarray, correct: Sequence[bool] | np.ndarray, n_bins: int):
    conf = np.asarray(confidences, dtype=float)
    hit = np.asarray(correct, dtype=float)
    if conf.shape != hit.shape or conf.ndim != 1 or len(conf) == 0:
        raise ValueError("confidences and correct must be equal-length, non-empty 1-D sequences")
    if np.any((conf < 0) | (conf > 1)) or np.isnan(conf).any():
        raise ValueError("confidences must lie in [0, 1]")
    if not np.isin(hit, (0.0, 1.0)).all():
        raise ValueError("correct must be booleans or 0/1")
    if n_bins < 1:
        raise ValueError("n_bins must be positive")
    # The 1e-9 keeps values on an edge (k / n_bins) in the bin they start, despite rounding in conf * n_bins.
    which = np.minimum(np.floor(conf * n_bins + 1e-9).astype(np.int64), n_bins - 1)
    counts = np.bincount(which, minlength=n_bins)
    conf_sums = np.bincount(which, weights=conf, minlength=n_bins)
    hit_sums = np.bincount(which, weights=hit, minlength=n_bins)
    return counts, conf_sums, hit_sums


def reliability_table(
    confidences: Sequence[float] | np.ndarray, correct: Sequence[bool] | np.ndarray, n_bins: int = 10
) -> list[ReliabilityBin]:
    """One row per equal-width confidence bin (empty bins included, with NaN averages)."""
    counts, conf_sums, hit_sums = _bin(confidences, correct, n_bins)
    rows = []
    for b in range(n_bins):
        n = int(counts[b])
        mean_conf = conf_sums[b] / n if n else float("nan")
        accuracy = hit_sums[b] / n if n else float("nan")
        rows.append(
            ReliabilityBin(
                b / n_bins,
                (b + 1) / n_bins,
                n,
                float(mean_conf),
                float(accuracy),
                float(accuracy - mean_conf),
            )
        )
    return rows


def expected_calibration_error(
    confidences: Sequence[float] | np.ndarray, correct: Sequence[bool] | np.ndarray, n_bins: int = 10
) -> float:
    """Count-weighted mean |accuracy - confidence| over equal-width bins."""
    counts, conf_sums, hit_sums = _bin(confidences, correct, n_bins)
    # n_b/N * |hits_b/n_b - conf_b/n_b| = |hits_b - conf_b| / N: no division by empty bins needed.
    return float(np.abs(hit_sums - conf_sums).sum() / counts.sum())
