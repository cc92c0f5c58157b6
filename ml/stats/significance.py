"""Significance tests without scipy: exact binomial (sign) test, Welch's t-test, paired permutation test.

The t and binomial tail probabilities come from the regularised incomplete beta function I_x(a, b),
evaluated with its continued fraction (modified Lentz algorithm) and math.lgamma:

    P(T_df > t)  = I_{df/(df+t^2)}(df/2, 1/2) / 2            for t >= 0
    P(X >= k)    = I_p(k, n - k + 1)                         for X ~ Binomial(n, p), k >= 1
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

ALTERNATIVES = ("two-sided", "greater", "less")


@dataclass(frozen=True)
class BinomialTest:
    successes: int
    trials: int
    p_null: float
    proportion: float  # successes / trials
    p_value: float
    alternative: str


@dataclass(frozen=True)
class WelchTest:
    t: float
    df: float
    mean_x: float
    mean_y: float
    p_value: float
    alternative: str


@dataclass(frozen=True)
class PermutationTest:
    mean_difference: float  # mean of x - y
    p_value: float
    n_permutations: int  # sign patterns evaluated (2^n when exact)
    exact: bool
    alternative: str


def betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta function I_x(a, b) for a, b > 0 and 0 <= x <= 1."""
    if a <= 0 or b <= 0:
        raise ValueError("a and b must be positive")
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    # The continued fraction converges fast for x below the mean-ish point; use the symmetry
    # I_x(a, b) = 1 - I_{1-x}(b, a) on the other side.
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(b, a, 1.0 - x) / b


def _beta_fraction(a: float, b: float, x: float, eps: float = 1e-15, max_terms: int = 100_000) -> float:
    """Continued fraction 1 / (1 + d1 / (1 + d2 / (1 + ...))) of I_x(a, b), by modified Lentz."""
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, max_terms + 1):
        # Even term d_{2m} = m (b - m) x / ((a + 2m - 1)(a + 2m)), odd term
        # d_{2m+1} = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)).
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            delta = c * d
            result *= delta
        if abs(delta - 1.0) < eps:
            return result
    raise RuntimeError("incomplete beta continued fraction did not converge")


def t_sf(t: float, df: float) -> float:
    """P(T > t) for Student's t with df > 0 degrees of freedom."""
    if math.isnan(t):
        return math.nan
    if math.isinf(t):
        return 0.0 if t > 0 else 1.0
    tail = 0.5 * betainc(df / 2.0, 0.5, df / (df + t * t))
    return tail if t >= 0 else 1.0 - tail


def binomial_test(
    successes: int, trials: int, p: float = 0.5, alternative: str = "two-sided"
) -> BinomialTest:
    """Exact binomial test of P(success) = p. Two-sided sums the probabilities of all outcomes no more
    likely than the observed one (the "minlike" rule, as in R's binom.test)."""
    _check_alternative(alternative)
    if not 0 <= successes <= trials or trials < 1:
        raise ValueError("need 0 <= successes <= trials and trials >= 1")
    if not 0.0 < p < 1.0:
        raise ValueError("p must be strictly between 0 and 1")
    k, n = successes, trials
    if alternative == "greater":
        p_value = _upper_tail(k, n, p)
    elif alternative == "less":
        p_value = _lower_tail(k, n, p)
    else:
        p_value = _two_sided_binomial(k, n, p)
    return BinomialTest(k, n, p, k / n, min(1.0, p_value), alternative)


def sign_test(wins: int, losses: int, alternative: str = "two-sided") -> BinomialTest:
    """Sign test of wins vs losses (ties already excluded): binomial test of wins out of wins + losses
    against 1/2. "greater" asks whether wins are more likely than losses."""
    return binomial_test(wins, wins + losses, 0.5, alternative)


def welch_t_test(
    x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray, alternative: str = "greater"
) -> WelchTest:
    """Welch's unequal-variance t-test of mean(x) vs mean(y); one-sided (mean(x) > mean(y)) by default.

    t = (mean_x - mean_y) / sqrt(s_x^2/n_x + s_y^2/n_y), with Welch–Satterthwaite degrees of freedom
    df = (s_x^2/n_x + s_y^2/n_y)^2 / ((s_x^2/n_x)^2/(n_x-1) + (s_y^2/n_y)^2/(n_y-1))."""
    _check_alternative(alternative)
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(a) < 2 or len(b) < 2:
        raise ValueError("each sample needs at least two values")
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    diff = float(a.mean() - b.mean())
    se2 = va + vb
    if se2 == 0:
        # Both samples constant: the difference is exact, so t is infinite (or undefined if zero).
        t = math.nan if diff == 0 else math.copysign(math.inf, diff)
        df = float(len(a) + len(b) - 2)
    else:
        t = diff / math.sqrt(se2)
        df = se2**2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    if alternative == "greater":
        p_value = t_sf(t, df)
    elif alternative == "less":
        p_value = t_sf(-t, df)
    else:
        p_value = min(1.0, 2.0 * t_sf(abs(t), df))
    return WelchTest(float(t), float(df), float(a.mean()), float(b.mean()), p_value, alternative)


def paired_permutation_test(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    alternative: str = "two-sided",
    n_permutations: int = 10_000,
    seed: int | np.random.Generator | None = None,
) -> PermutationTest:
    """Sign-flip permutation test of the mean paired difference x - y: under H0 each pair's
    difference is equally likely to have either sign. Exact (all 2^n sign patterns) when
    2^n <= n_permutations; otherwise Monte Carlo with p = (1 + hits) / (1 + n_permutations), which
    keeps the test valid (never reports p = 0)."""
    _check_alternative(alternative)
    d = np.asarray(x, dtype=float) - np.asarray(y, dtype=float)
    if d.ndim != 1 or len(d) == 0:
        raise ValueError("x and y must be equal-length, non-empty 1-D samples")
    observed = d.sum()
    slack = 1e-9 * max(1.0, float(np.abs(d).sum()))  # count float-equal sums as ties with observed
    n = len(d)
    exact = n < 63 and 2**n <= n_permutations
    if exact:
        patterns = (np.arange(2**n)[:, None] >> np.arange(n)) & 1
        hits, total = _count_hits(patterns * -2.0 + 1.0, d, observed, slack, alternative), 2**n
        p_value = hits / total
    else:
        rng = np.random.default_rng(seed)
        hits, chunk = 0, max(1, 1_000_000 // n)
        for start in range(0, n_permutations, chunk):
            signs = rng.integers(0, 2, size=(min(chunk, n_permutations - start), n)) * -2.0 + 1.0
            hits += _count_hits(signs, d, observed, slack, alternative)
        total = n_permutations
        p_value = (1 + hits) / (1 + total)
    return PermutationTest(float(d.mean()), float(p_value), total, exact, alternative)


def _count_hits(signs: np.ndarray, d: np.ndarray, observed: float, slack: float, alternative: str) -> int:
    sums = signs @ d
    if alternative == "greater":
        return int(np.count_nonzero(sums >= observed - slack))
    if alternative == "less":
        return int(np.count_nonzero(sums <= observed + slack))
    return int(np.count_nonzero(np.abs(sums) >= abs(observed) - slack))


def _check_alternative(alternative: str) -> None:
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative must be one of {ALTERNATIVES}")


def _log_pmf(i: int, n: int, p: float) -> float:
    return (
        math.lgamma(n + 1)
        - math.lgamma(i + 1)
        - math.lgamma(n - i + 1)
        + i * math.log(p)
        + (n - i) * math.log1p(-p)
    )


def _upper_tail(k: int, n: int, p: float) -> float:
    """P(X >= k)."""
    return 1.0 if k <= 0 else (0.0 if k > n else betainc(k, n - k + 1, p))


def _lower_tail(k: int, n: int, p: float) -> float:
    """P(X <= k)."""
    return 1.0 if k >= n else (0.0 if k < 0 else betainc(n - k, k + 1, 1.0 - p))


def _two_sided_binomial(k: int, n: int, p: float) -> float:
    expected = n * p
    if k == expected:
        return 1.0
    # Outcomes "no more likely" than k, with a relative tolerance so that exactly symmetric outcomes
    # (p = 1/2) are not lost to rounding.
    threshold = _log_pmf(k, n, p) + 1e-7
    if k < expected:
        # pmf is non-increasing on [ceil(np), n]: find the first j there with pmf(j) <= pmf(k).
        lo, hi = math.ceil(expected), n + 1
        while lo < hi:
            mid = (lo + hi) // 2
            if _log_pmf(mid, n, p) <= threshold:
                hi = mid
            else:
                lo = mid + 1
        return _lower_tail(k, n, p) + _upper_tail(lo, n, p)
    # pmf is non-decreasing on [0, floor(np)]: find the last j there with pmf(j) <= pmf(k).
    lo, hi = -1, math.floor(expected)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _log_pmf(mid, n, p) <= threshold:
            lo = mid
        else:
            hi = mid - 1
    return _lower_tail(lo, n, p) + _upper_tail(k, n, p)
