"""Binomial/sign test, Welch's t-test and the paired permutation test."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ml.stats import betainc, binomial_test, paired_permutation_test, sign_test, t_sf, welch_t_test


def test_betainc_closed_forms():
    # I_x(1, 1) = x; I_x(a, 1) = x^a; I_x(1, b) = 1 - (1 - x)^b; I_{1/2}(a, a) = 1/2.
    assert betainc(1, 1, 0.3) == pytest.approx(0.3)
    assert betainc(3.5, 1, 0.6) == pytest.approx(0.6**3.5)
    assert betainc(1, 4, 0.2) == pytest.approx(1 - 0.8**4)
    assert betainc(7.3, 7.3, 0.5) == pytest.approx(0.5)
    assert (betainc(2, 3, 0.0), betainc(2, 3, 1.0)) == (0.0, 1.0)


def test_t_tail_closed_forms():
    # df = 1 is the Cauchy distribution: P(T > t) = 1/2 - atan(t)/pi.
    # df = 2: P(T > t) = 1/2 - t / (2 sqrt(t^2 + 2)).
    for t in (-4.0, -0.7, 0.0, 0.3, 1.0, 2.5, 30.0):
        assert t_sf(t, 1) == pytest.approx(0.5 - math.atan(t) / math.pi, abs=1e-12)
        assert t_sf(t, 2) == pytest.approx(0.5 - t / (2 * math.sqrt(t * t + 2)), abs=1e-12)
    # Large df approaches the normal: P(Z > 1.959964) = 0.025.
    assert t_sf(1.959964, 1e5) == pytest.approx(0.025, abs=2e-5)
    assert (t_sf(math.inf, 5), t_sf(-math.inf, 5)) == (0.0, 1.0)


def test_sign_test_hand_values():
    # 9 wins, 1 loss: P(X >= 9) = (C(10,9) + C(10,10)) / 2^10 = 11/1024; two-sided doubles it.
    assert sign_test(9, 1, "greater").p_value == pytest.approx(11 / 1024)
    assert sign_test(9, 1).p_value == pytest.approx(22 / 1024)
    assert sign_test(9, 1, "less").p_value == pytest.approx(1 - 1 / 1024)
    assert sign_test(5, 5).p_value == 1.0
    result = sign_test(30, 10)
    exact = 2 * sum(math.comb(40, k) for k in range(30, 41)) / 2**40
    assert (result.proportion, result.p_value) == (0.75, pytest.approx(exact, rel=1e-10))


def test_binomial_test_minlike_two_sided():
    # n = 5, p = 0.2: pmf 0.32768, 0.4096, 0.2048, 0.0512, 0.0064, 0.00032 for k = 0..5.
    # k = 2: outcomes no more likely than 0.2048 are 2..5, p = 0.26272.
    # k = 0: all but k = 1, p = 1 - 0.4096 = 0.5904.
    assert binomial_test(2, 5, 0.2).p_value == pytest.approx(0.26272)
    assert binomial_test(0, 5, 0.2).p_value == pytest.approx(0.5904)
    assert binomial_test(5, 5, 0.2, "greater").p_value == pytest.approx(0.00032)
    assert binomial_test(1, 5, 0.2, "less").p_value == pytest.approx(0.32768 + 0.4096)
    with pytest.raises(ValueError):
        binomial_test(6, 5)
    with pytest.raises(ValueError):
        binomial_test(1, 5, alternative="bigger")


def test_binomial_test_matches_scipy():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(1, 2000))
        k, p = int(rng.integers(0, n + 1)), float(rng.uniform(0.02, 0.98))
        for alternative in ("two-sided", "greater", "less"):
            expected = stats.binomtest(k, n, p, alternative=alternative).pvalue
            assert binomial_test(k, n, p, alternative).p_value == pytest.approx(expected, rel=1e-8, abs=1e-14)


def test_welch_hand_case_with_one_constant_sample():
    # x = [0, 2]: mean 1, s^2 = 2, s^2/n = 1. y = [-1, -1, -1]: mean -1, variance 0.
    # t = (1 - (-1)) / sqrt(1 + 0) = 2; df = 1^2 / (1^2 / 1) = 1 (Cauchy):
    # P(T > 2) = 1/2 - atan(2)/pi = 0.147584.
    result = welch_t_test([0, 2], [-1, -1, -1])
    assert (result.t, result.df) == (pytest.approx(2.0), pytest.approx(1.0))
    assert result.p_value == pytest.approx(0.5 - math.atan(2) / math.pi)
    assert result.alternative == "greater"


def test_welch_degrees_of_freedom_by_hand():
    # x = [1, 3]: mean 2, s^2 = 2, s^2/n = 1. y = [-2, 0, 2]: mean 0, s^2 = 4, s^2/n = 4/3.
    # t = 2 / sqrt(7/3) = 1.309307; df = (7/3)^2 / (1^2/1 + (4/3)^2/2) = (49/9) / (17/9) = 49/17.
    result = welch_t_test([1, 3], [-2, 0, 2], alternative="two-sided")
    assert result.t == pytest.approx(2 / math.sqrt(7 / 3))
    assert result.df == pytest.approx(49 / 17)
    assert result.p_value == pytest.approx(2 * t_sf(result.t, 49 / 17))


def test_welch_matches_scipy():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(1)
    for _ in range(20):
        x = rng.normal(0.3, 1.0, int(rng.integers(2, 40)))
        y = rng.normal(0.0, 2.5, int(rng.integers(2, 40)))
        for alternative in ("two-sided", "greater", "less"):
            expected = stats.ttest_ind(x, y, equal_var=False, alternative=alternative)
            result = welch_t_test(x, y, alternative)
            assert result.t == pytest.approx(expected.statistic)
            assert result.p_value == pytest.approx(expected.pvalue, rel=1e-9)


def test_welch_constant_samples():
    assert welch_t_test([2, 2], [1, 1]).p_value == 0.0
    assert math.isnan(welch_t_test([1, 1], [1, 1]).p_value)
    with pytest.raises(ValueError):
        welch_t_test([1], [1, 2])


def test_paired_permutation_exact_hand_values():
    # d = x - y = [1, 2, 3]; the 8 sign patterns give sums 6, 4, 2, 0, 0, -2, -4, -6 (observed 6).
    # greater: only +6 reaches 6 -> 1/8. two-sided: |sum| >= 6 twice -> 2/8.
    x, y = [1, 2, 3], [0, 0, 0]
    greater = paired_permutation_test(x, y, "greater")
    assert (greater.p_value, greater.exact, greater.n_permutations) == (1 / 8, True, 8)
    assert paired_permutation_test(x, y).p_value == 2 / 8
    assert paired_permutation_test(x, y, "less").p_value == 1.0
    # A zero difference flips to itself: d = [0, 1] gives sums 1, 1, -1, -1 -> greater p = 2/4.
    assert paired_permutation_test([5, 1], [5, 0], "greater").p_value == 0.5


def test_paired_permutation_monte_carlo_matches_exact():
    rng = np.random.default_rng(2)
    x, y = rng.normal(0.4, 1, 15), rng.normal(0, 1, 15)
    exact = paired_permutation_test(x, y, n_permutations=2**15)
    assert exact.exact
    sampled = paired_permutation_test(x, y, n_permutations=20_000, seed=3)
    assert not sampled.exact
    assert sampled.p_value == pytest.approx(exact.p_value, abs=0.015)
    assert paired_permutation_test(x, y, n_permutations=20_000, seed=3).p_value == sampled.p_value
    # Monte Carlo p-values never reach 0: (1 + hits) / (1 + permutations).
    assert (
        paired_permutation_test(np.arange(30) + 10.0, np.zeros(30), n_permutations=999, seed=0).p_value
        == 1e-3
    )
