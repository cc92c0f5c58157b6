"""Plain and cluster percentile bootstrap."""

from __future__ import annotations

import numpy as np
import pytest

from ml.stats import bootstrap_ci, cluster_bootstrap_ci, cluster_bootstrap_means, percentile_interval


def test_percentile_interval_hand_case():
    # 0..100: the 2.5% and 97.5% quantiles (linear interpolation) are exactly 2.5 and 97.5.
    low, high = percentile_interval(np.arange(101.0), 0.95)
    assert (low, high) == (pytest.approx(2.5), pytest.approx(97.5))
    with pytest.raises(ValueError):
        percentile_interval(np.arange(3.0), 1.5)


def test_bootstrap_ci_reproducible_with_seed():
    data = np.random.default_rng(0).normal(size=40)
    first = bootstrap_ci(data, np.mean, n_boot=500, seed=3)
    assert first.estimate == pytest.approx(data.mean())
    np.testing.assert_array_equal(
        first.replicates, bootstrap_ci(data, np.mean, n_boot=500, seed=3).replicates
    )
    assert not np.array_equal(first.replicates, bootstrap_ci(data, np.mean, n_boot=500, seed=4).replicates)
    assert first.ci_low < first.estimate < first.ci_high


def test_bootstrap_ci_coverage_of_a_mean():
    # 200 samples of 60 draws from N(0, 1): the 95% interval for the mean should cover 0 about 95%
    # of the time (the percentile bootstrap runs slightly narrow at this n, hence the lower bound).
    rng = np.random.default_rng(1)
    covered = [
        ci.ci_low <= 0.0 <= ci.ci_high
        for ci in (bootstrap_ci(rng.normal(size=60), np.mean, n_boot=400, seed=k) for k in range(200))
    ]
    assert 0.89 <= np.mean(covered) <= 0.99


def test_cluster_bootstrap_resamples_whole_clusters():
    # Cluster k has k + 1 rows, all holding the value k. If whole clusters are drawn, each value k
    # appears a multiple of k + 1 times in every resample, and the multiples add up to 6 clusters.
    values = np.concatenate([[k] * (k + 1) for k in range(6)])
    clusters = [f"prompt-{v}" for v in values]
    seen = []

    def record(sample: np.ndarray) -> float:
        seen.append(sample.copy())
        return float(sample.mean())

    cluster_bootstrap_ci(values, clusters, record, n_boot=200, seed=0)
    resamples = seen[:-1]  # the last call is the statistic on the original data
    assert len(resamples) == 200
    for sample in resamples:
        counts = np.bincount(sample.astype(int), minlength=6)
        assert np.all(counts % np.arange(1, 7) == 0)
        assert (counts // np.arange(1, 7)).sum() == 6
    # Some resample drew a cluster more than once (otherwise nothing was resampled).
    assert any(len(sample) != len(values) or set(sample) != set(values) for sample in resamples)


def test_fast_cluster_means_use_the_same_resamples():
    rng = np.random.default_rng(2)
    clusters = rng.integers(0, 30, size=300)
    values = rng.random(300) + clusters / 30
    generic = cluster_bootstrap_ci(values, clusters, np.mean, n_boot=300, seed=5)
    (fast,) = cluster_bootstrap_means(values, clusters, n_boot=300, seed=5)
    np.testing.assert_allclose(fast.replicates, generic.replicates)
    assert (fast.estimate, fast.ci_low, fast.ci_high) == pytest.approx(
        (generic.estimate, generic.ci_low, generic.ci_high)
    )


def test_cluster_ci_is_wider_when_rows_within_a_cluster_agree():
    # 20 prompts with 10 identical judgements each: only 20 independent values, not 200. The row
    # bootstrap pretends there are 200 and comes out roughly sqrt(10) ~ 3x too narrow.
    rng = np.random.default_rng(3)
    per_prompt = rng.integers(0, 2, size=20).astype(float)
    values, clusters = np.repeat(per_prompt, 10), np.repeat(np.arange(20), 10)
    (clustered,) = cluster_bootstrap_means(values, clusters, n_boot=1000, seed=0)
    plain = bootstrap_ci(values, np.mean, n_boot=1000, seed=0)
    ratio = (clustered.ci_high - clustered.ci_low) / (plain.ci_high - plain.ci_low)
    assert 2.2 < ratio < 4.2


def test_rows_and_clusters_must_align():
    with pytest.raises(ValueError):
        cluster_bootstrap_ci([1.0, 2.0], ["a"], np.mean)
    with pytest.raises(ValueError):
        cluster_bootstrap_means([1.0, 2.0], ["a"])
    with pytest.raises(ValueError):
        bootstrap_ci([], np.mean)
