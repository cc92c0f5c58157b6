import math

import numpy as np
import pytest

from ml.describe.stats import (
    benjamini_hochberg,
    blockwise_elimination,
    bootstrap_validity_ci,
    holm,
    one_sided_t_test,
    validity,
)


def test_validity_is_the_difference_of_means():
    assert validity([1, 0, 1, 1], [0, 0, 1, 0]) == pytest.approx(0.75 - 0.25)
    rows = validity(np.array([[1.0, 1.0], [0.0, 0.5]]), np.array([[0.0, 0.0, 0.0], [0.5, 0.5, 0.5]]))
    assert rows == pytest.approx([1.0, -0.25])


def test_one_sided_t_test_matches_welch_by_hand():
    # means 2.5 and 0.5, s^2/n = 5/12 and 1/12: t = 2 / sqrt(1/2) = 2 sqrt 2, df = 54/13;
    # P(T_df > t) = 0.022699 (Welch-Satterthwaite, as R's t.test(..., alternative = "greater"))
    assert one_sided_t_test([1, 2, 3, 4], [0, 0, 1, 1]) == pytest.approx(0.0226992, abs=1e-6)
    assert one_sided_t_test([0, 0, 1, 1], [1, 2, 3, 4]) == pytest.approx(1 - 0.0226992, abs=1e-6)
    # constant and equal: no evidence at all
    assert one_sided_t_test([0.5, 0.5], [0.5, 0.5, 0.5]) == 1.0
    assert one_sided_t_test([1, 1], [0, 0]) == 0.0


def test_bootstrap_interval_of_validity():
    exact = bootstrap_validity_ci([1, 1, 1], [0, 0], n_boot=200, seed=0)
    assert (exact.estimate, exact.low, exact.high) == (1.0, 1.0, 1.0)
    # Two groups of 400 fair coins: the standard error of the difference is sqrt(2 * 0.25 / 400)
    # = 0.0354, so a 95% interval is about 2 * 1.96 * 0.0354 = 0.139 wide.
    rng = np.random.default_rng(1)
    t1, t0 = rng.integers(0, 2, 400), rng.integers(0, 2, 400)
    ci = bootstrap_validity_ci(t1, t0, n_boot=2000, seed=3)
    assert ci.estimate == pytest.approx(t1.mean() - t0.mean())
    assert ci.low < ci.estimate < ci.high
    assert ci.high - ci.low == pytest.approx(0.139, rel=0.1)
    assert bootstrap_validity_ci(t1, t0, n_boot=500, seed=3) == bootstrap_validity_ci(
        t1, t0, n_boot=500, seed=3
    )


def test_holm_and_benjamini_hochberg_by_hand():
    p = [0.01, 0.04, 0.03, 0.005]
    # sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04 -> running max 0.06
    assert holm(p) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    # sorted times 4/1, 4/2, 4/3, 4/4 = 0.02, 0.02, 0.04, 0.04 (already monotone)
    assert benjamini_hochberg(p) == pytest.approx([0.02, 0.04, 0.04, 0.02])
    # capped at 1, and BH's running minimum from the top
    assert holm([0.5, 0.6]) == pytest.approx([1.0, 1.0])
    assert benjamini_hochberg([0.04, 0.05, 0.9]) == pytest.approx([0.075, 0.075, 0.9])
    assert holm([math.nan, 0.01]) == pytest.approx([1.0, 0.02])
    assert holm([]) == [] and benjamini_hochberg([]) == []


def test_blockwise_elimination_drops_a_bad_hypothesis_and_saves_calls():
    # Hypothesis 0 holds on D1 and not D0, 1 is a weaker signal, 2 is the reverse of what we want.
    truth = {0: (0.9, 0.1), 1: (0.7, 0.3), 2: (0.1, 0.9)}
    rng = np.random.default_rng(0)
    called = []

    def score_block(alive, block):
        n1, n0 = block
        called.append(list(alive))
        t1 = np.array([rng.binomial(1, truth[h][0], n1) for h in alive], dtype=float)
        t0 = np.array([rng.binomial(1, truth[h][1], n0) for h in alive], dtype=float)
        return t1, t0

    result = blockwise_elimination(score_block, 3, [(10, 10)] * 5, keep_top_k=1, n_boot=300, seed=0)
    assert called[0] == [0, 1, 2]
    assert 2 in result.eliminated_after and result.eliminated_after[2] <= 2
    assert all(2 not in alive for alive in called[result.eliminated_after[2] :])  # never scored again
    assert 0 in result.survivors
    assert result.calls_without_elimination == 3 * 5 * 20
    assert result.calls < result.calls_without_elimination
    assert result.calls == sum(len(alive) * 20 for alive in called)
    # scores kept for every hypothesis, however long it lasted
    assert len(result.scores_positive[0]) == 50
    assert len(result.scores_positive[2]) == 10 * result.eliminated_after[2]


def test_blockwise_elimination_keeps_at_least_k():
    def score_block(alive, block):
        value = np.array([[1.0 - h / 10] for h in alive])
        return np.repeat(value, 4, axis=1), np.zeros((len(alive), 4))

    result = blockwise_elimination(score_block, 6, range(3), keep_top_k=3, n_boot=100)
    assert result.survivors == [0, 1, 2]
    assert blockwise_elimination(score_block, 6, range(3), keep_top_k=6, n_boot=100).survivors == list(
        range(6)
    )
