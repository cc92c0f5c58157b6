"""Percentile bootstrap confidence intervals, plain and clustered.

The cluster bootstrap resamples whole clusters (e.g. all judgements of one prompt) with replacement,
so intervals reflect that answers to the same prompt are correlated; resampling rows would pretend
they are independent and give intervals that are too narrow.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

Seed = int | np.random.Generator | None
_MAX_DRAWS = 2_000_000  # cluster draws held in memory at once


@dataclass(frozen=True)
class BootstrapCI:
    estimate: float  # the statistic on the original data
    ci_low: float
    ci_high: float
    replicates: np.ndarray  # the statistic on each bootstrap resample
    ci: float


def percentile_interval(
    replicates: np.ndarray, ci: float = 0.95, axis: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) percentile interval of bootstrap replicates along `axis`."""
    if not 0.0 < ci < 1.0:
        raise ValueError("ci must be between 0 and 1")
    tail = (1.0 - ci) / 2.0
    low, high = np.quantile(replicates, [tail, 1.0 - tail], axis=axis)
    return low, high


def bootstrap_ci(
    data: Sequence | np.ndarray,
    statistic: Callable[[np.ndarray], float],
    n_boot: int = 1000,
    ci: float = 0.95,
    seed: Seed = None,
) -> BootstrapCI:
    """Percentile bootstrap CI of `statistic`, resampling rows (axis 0) of `data` with replacement."""
    values = np.asarray(data)
    n = len(values)
    if n == 0:
        raise ValueError("cannot bootstrap an empty sample")
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, n, size=(n_boot, n))
    replicates = np.array([statistic(values[rows]) for rows in picks], dtype=float)
    low, high = percentile_interval(replicates, ci)
    return BootstrapCI(float(statistic(values)), float(low), float(high), replicates, ci)


def cluster_indices(clusters: Sequence[Hashable] | np.ndarray) -> tuple[list[Hashable], np.ndarray]:
    """Distinct cluster labels (in order of first appearance) and each row's cluster number."""
    labels: dict[Hashable, int] = {}
    codes = np.fromiter((labels.setdefault(c, len(labels)) for c in clusters), dtype=np.int64)
    return list(labels), codes


def draw_clusters(n_clusters: int, n_boot: int, seed: Seed) -> Iterator[np.ndarray]:
    """Cluster numbers drawn with replacement, as (rows, n_clusters) chunks of the n_boot resamples.

    Chunked to bound memory with many clusters; both cluster bootstraps consume this same stream, so
    they see identical resamples for the same seed."""
    rng = np.random.default_rng(seed)
    chunk = max(1, _MAX_DRAWS // n_clusters)
    for start in range(0, n_boot, chunk):
        yield rng.integers(0, n_clusters, size=(min(chunk, n_boot - start), n_clusters))


def cluster_bootstrap_ci(
    data: Sequence | np.ndarray,
    clusters: Sequence[Hashable] | np.ndarray,
    statistic: Callable[[np.ndarray], float],
    n_boot: int = 1000,
    ci: float = 0.95,
    seed: Seed = None,
) -> BootstrapCI:
    """Percentile CI of `statistic` where each resample draws clusters with replacement and keeps
    every row of each drawn cluster (a cluster drawn twice contributes its rows twice)."""
    values = np.asarray(data)
    if len(values) != len(clusters):
        raise ValueError("data and clusters must have the same length")
    if len(values) == 0:
        raise ValueError("cannot bootstrap an empty sample")
    _, codes = cluster_indices(clusters)
    order = np.argsort(codes, kind="stable")
    starts = np.searchsorted(codes[order], np.arange(codes.max() + 2))
    members = [order[starts[k] : starts[k + 1]] for k in range(len(starts) - 1)]
    replicates = np.array(
        [
            statistic(values[np.concatenate([members[k] for k in drawn])])
            for chunk in draw_clusters(len(members), n_boot, seed)
            for drawn in chunk
        ],
        dtype=float,
    )
    low, high = percentile_interval(replicates, ci)
    return BootstrapCI(float(statistic(values)), float(low), float(high), replicates, ci)


def cluster_bootstrap_means(
    values: Sequence | np.ndarray,
    clusters: Sequence[Hashable] | np.ndarray,
    n_boot: int = 1000,
    ci: float = 0.95,
    seed: Seed = None,
) -> list[BootstrapCI]:
    """Cluster-bootstrap CIs for the column means of `values` (rows x columns, or a 1-D vector).

    Vectorised: a resample's mean is sum over drawn clusters of their row sums, divided by their row
    counts, so it never materialises the rows. Same resamples as cluster_bootstrap_ci for one seed."""
    matrix = np.asarray(values, dtype=float)
    matrix = matrix[:, None] if matrix.ndim == 1 else matrix
    if len(matrix) != len(clusters):
        raise ValueError("values and clusters must have the same length")
    if len(matrix) == 0:
        raise ValueError("cannot bootstrap an empty sample")
    _, codes = cluster_indices(clusters)
    n_clusters = int(codes.max()) + 1
    sums = np.zeros((n_clusters, matrix.shape[1]))
    np.add.at(sums, codes, matrix)
    sizes = np.bincount(codes, minlength=n_clusters).astype(float)
    parts = []
    for drawn in draw_clusters(n_clusters, n_boot, seed):
        # times[r, c]: how often resample r drew cluster c.
        offsets = np.arange(len(drawn))[:, None] * n_clusters
        times = np.bincount((offsets + drawn).ravel(), minlength=drawn.size).reshape(drawn.shape)
        parts.append((times @ sums) / (times @ sizes)[:, None])
    replicates = np.concatenate(parts)
    low, high = percentile_interval(replicates, ci)
    estimate = matrix.mean(axis=0)
    return [
        BootstrapCI(float(estimate[k]), float(low[k]), float(high[k]), replicates[:, k], ci)
        for k in range(matrix.shape[1])
    ]
