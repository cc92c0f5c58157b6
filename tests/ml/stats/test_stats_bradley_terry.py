"""Bradley–Terry fitting, bootstrap and leaderboard against hand-computed and brute-force values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ml.stats import Comparison, aggregate, bootstrap_bt, bradley_terry, fit_bt, leaderboard

ELO = 400.0 / math.log(10.0)  # rating points per unit of natural-log strength


def games(a: str, b: str, a_wins: int, b_wins: int, ties: int = 0) -> list[tuple[str, str, str]]:
    return [(a, b, "a")] * a_wins + [(a, b, "b")] * b_wins + [(a, b, "tie")] * ties


# Worked example with a closed-form MLE. Strengths pi = (A 4, B 2, C 1) give P(A>B) = 4/6 = 2/3,
# P(A>C) = 4/5, P(B>C) = 2/3. Observing exactly those frequencies (A-B 2:1, A-C 4:1, B-C 2:1) solves
# every score equation sum_j W_ij = sum_j N_ij pi_i / (pi_i + pi_j), so the MLE is log pi up to a
# shift: theta = (ln 2, 0, -ln 2) after centring. On the Elo scale one factor of 2 is
# 400 log10(2) = 120.412 points, so with the mean anchored at 1000: A 1120.412, B 1000, C 879.588.
CLOSED_FORM = games("A", "B", 2, 1) + games("A", "C", 4, 1) + games("B", "C", 2, 1)


def test_closed_form_three_model_example():
    result = fit_bt(CLOSED_FORM)
    assert result.models == ["A", "B", "C"]
    np.testing.assert_allclose(result.log_strengths, [math.log(2), 0.0, -math.log(2)], atol=1e-9)
    np.testing.assert_allclose(result.ratings, [1120.412, 1000.0, 879.588], atol=1e-3)
    assert result.as_dict()["A"] == pytest.approx(1000 + 400 * math.log10(2))


def test_ties_count_as_half_a_win_each():
    # A-B as "A win, tie, tie" gives A 1 + 1/2 + 1/2 = 2 points and B 0 + 1/2 + 1/2 = 1 point: the same
    # win matrix as A-B 2:1, hence the same fit as the closed-form example.
    with_ties = games("A", "B", 1, 0, ties=2) + games("A", "C", 4, 1) + games("B", "C", 2, 1)
    data = aggregate(with_ties)
    np.testing.assert_allclose(data.win_matrix(), [[0, 2, 4], [1, 0, 2], [1, 1, 0]])
    np.testing.assert_allclose(fit_bt(with_ties).ratings, fit_bt(CLOSED_FORM).ratings, atol=1e-9)


def _log_likelihood(wins: np.ndarray, theta: np.ndarray) -> float:
    diff = theta[:, None] - theta[None, :]
    return float(-(wins * np.logaddexp(0.0, -diff)).sum())


def _brute_force_mle(wins: np.ndarray) -> np.ndarray:
    """Derivative-free check: theta_0 = 0, then search a 41 x 41 grid over (theta_1, theta_2),
    re-centre on the best point and shrink the grid 5x, until the cell is far below 1e-6."""
    centre, width = np.zeros(2), 4.0
    for _ in range(14):
        axis = np.linspace(-width, width, 41)
        best = max(
            ((centre[0] + u, centre[1] + v) for u in axis for v in axis),
            key=lambda t: _log_likelihood(wins, np.array([0.0, *t])),
        )
        centre, width = np.array(best), width / 5.0
    theta = np.array([0.0, *centre])
    return theta - theta.mean()


def test_matches_brute_force_maximum_likelihood():
    # No closed form here: A-B 7:3 with 2 ties, A-C 5:4, B-C 6:6 with 1 tie.
    comparisons = games("A", "B", 7, 3, 2) + games("C", "A", 4, 5) + games("B", "C", 6, 6, 1)
    wins = aggregate(comparisons).win_matrix()
    np.testing.assert_allclose(wins, [[0, 8, 5], [4, 0, 6.5], [4, 6.5, 0]])
    expected = 1000.0 + ELO * _brute_force_mle(wins)
    np.testing.assert_allclose(fit_bt(comparisons).ratings, expected, atol=1e-3)


def test_matches_scipy_optimize():
    optimize = pytest.importorskip("scipy.optimize")
    rng = np.random.default_rng(3)
    names = ["m0", "m1", "m2", "m3", "m4"]
    strengths = np.array([0.0, 0.4, -0.3, 1.0, -1.2])
    rows = []
    for _ in range(3000):
        a, b = rng.choice(5, size=2, replace=False)
        u = rng.random()
        p = 1 / (1 + math.exp(strengths[b] - strengths[a]))
        rows.append((names[a], names[b], "tie" if u < 0.1 else ("a" if rng.random() < p else "b")))
    wins = aggregate(rows).win_matrix()

    def negative(free: np.ndarray) -> float:
        return -_log_likelihood(wins, np.concatenate([[0.0], free]))

    free = optimize.minimize(negative, np.zeros(4), method="BFGS", options={"gtol": 1e-9}).x
    theta = np.concatenate([[0.0], free])
    np.testing.assert_allclose(fit_bt(rows).ratings, 1000 + ELO * (theta - theta.mean()), atol=1e-3)


def test_anchor_model_gets_the_base_rating():
    result = fit_bt(CLOSED_FORM, anchor="C", base=1500, scale=400)
    # C anchored: C 1500, B = C + 120.412, A = C + 240.824.
    np.testing.assert_allclose(result.ratings, [1740.824, 1620.412, 1500.0], atol=1e-3)
    np.testing.assert_allclose(result.log_strengths, [2 * math.log(2), math.log(2), 0.0], atol=1e-9)
    with pytest.raises(ValueError, match="anchor"):
        fit_bt(CLOSED_FORM, anchor="Z")


def test_input_forms_and_sides_are_equivalent():
    # Each game reported from the other side (B vs A, outcome flipped) must aggregate identically.
    flipped = [(b, a, {"a": "b", "b": "a", "tie": "tie"}[o]) for a, b, o in CLOSED_FORM]
    records = [Comparison(*row) for row in CLOSED_FORM]
    lists = [list(row) for row in CLOSED_FORM]
    reference = fit_bt(CLOSED_FORM).ratings
    for variant in (flipped, records, lists, iter(CLOSED_FORM)):
        np.testing.assert_allclose(fit_bt(variant).ratings, reference, atol=1e-9)


def test_invalid_input_is_rejected():
    with pytest.raises(ValueError, match="outcome"):
        fit_bt([("A", "B", "win")])
    with pytest.raises(ValueError, match="itself"):
        fit_bt([("A", "A", "a"), ("A", "B", "b")])
    with pytest.raises(ValueError, match="no comparisons"):
        fit_bt([])


def test_unbounded_strengths_need_a_prior():
    # A never loses, so its MLE strength is +infinity; a prior of 1 virtual tied game per pair fixes it.
    undefeated = games("A", "B", 3, 0) + games("B", "C", 2, 1) + games("A", "C", 2, 0)
    with pytest.raises(ValueError, match="prior"):
        fit_bt(undefeated)
    result = fit_bt(undefeated, prior=1.0)
    assert np.all(np.isfinite(result.ratings))
    assert result.ratings[0] > result.ratings[1] > result.ratings[2]


def test_prior_adds_half_wins_to_every_pair():
    # prior=2 adds one win each way to every pair: A-B 2:1 becomes 3:2, etc. Fit those counts directly.
    shifted = games("A", "B", 3, 2) + games("A", "C", 5, 2) + games("B", "C", 3, 2)
    np.testing.assert_allclose(fit_bt(CLOSED_FORM, prior=2.0).ratings, fit_bt(shifted).ratings, atol=1e-9)


def _simulate(rng: np.random.Generator, strengths: np.ndarray, n: int) -> list[tuple[str, str, str]]:
    m = len(strengths)
    a = rng.integers(0, m, n)
    b = (a + rng.integers(1, m, n)) % m
    p = 1 / (1 + np.exp(strengths[b] - strengths[a]))
    won = rng.random(n) < p
    return [(f"m{x}", f"m{y}", "a" if w else "b") for x, y, w in zip(a, b, won, strict=True)]


def test_bootstrap_is_reproducible_and_brackets_the_estimate():
    rows = _simulate(np.random.default_rng(0), np.array([0.0, 0.5, 1.0, -0.5]), 2000)
    first = bootstrap_bt(rows, n_boot=300, seed=7)
    again = bootstrap_bt(rows, n_boot=300, seed=7)
    other = bootstrap_bt(rows, n_boot=300, seed=8)
    np.testing.assert_array_equal(first.replicates, again.replicates)
    assert not np.array_equal(first.replicates, other.replicates)
    assert first.replicates.shape == (300, 4)
    np.testing.assert_allclose(first.ratings, fit_bt(rows).ratings)
    assert np.all(first.ci_low < first.median) and np.all(first.median < first.ci_high)
    assert np.all(first.ci_low < first.ratings) and np.all(first.ratings < first.ci_high)
    # Every replicate is mean-anchored like the point estimate.
    np.testing.assert_allclose(first.replicates.mean(axis=1), 1000.0)


def test_multinomial_bootstrap_matches_resampling_rows():
    # The fast path draws cell counts; the textbook one resamples rows and refits. Their spreads agree.
    rng = np.random.default_rng(1)
    rows = _simulate(rng, np.array([0.0, 0.8, -0.4]), 600)
    fast = bootstrap_bt(rows, n_boot=400, seed=2).replicates.std(axis=0)
    refits = [fit_bt([rows[k] for k in rng.integers(0, 600, 600)]).ratings for _ in range(400)]
    slow = np.std(refits, axis=0)
    np.testing.assert_allclose(fast, slow, rtol=0.2)


def test_bootstrap_ci_coverage():
    # 60 simulated studies with known strengths (no ties): the 95% intervals should contain the true
    # mean-anchored ratings about 95% of the time.
    strengths = np.array([0.0, 0.6, -0.6, 1.2])
    truth = 1000 + ELO * (strengths - strengths.mean())
    rng = np.random.default_rng(11)
    hits = []
    for study in range(60):
        boot = bootstrap_bt(_simulate(rng, strengths, 800), n_boot=200, seed=study)
        hits.extend((boot.ci_low <= truth) & (truth <= boot.ci_high))
    assert 0.88 <= np.mean(hits) <= 0.995


def test_bootstrap_rejects_degenerate_replicates():
    # One A-B game each way: many resamples lose one of them and leave an undefeated model.
    rows = [("A", "B", "a"), ("A", "B", "b")]
    with pytest.raises(ValueError, match="bootstrap replicate"):
        bootstrap_bt(rows, n_boot=50, seed=0)
    assert np.all(np.isfinite(bootstrap_bt(rows, n_boot=50, seed=0, prior=1.0).replicates))


def test_leaderboard_rows():
    # Ten copies of the closed-form example plus two B-C ties (enough games that no bootstrap
    # replicate leaves a model undefeated).
    rows = leaderboard(CLOSED_FORM * 10 + games("B", "C", 0, 0, ties=2), n_boot=200, seed=0)
    assert [r.model for r in rows] == ["A", "B", "C"]
    a, b, c = rows
    # Games: A 30 + 50 = 80, B 30 + 30 + 2 = 62, C 50 + 30 + 2 = 82.
    assert (a.n_games, b.n_games, c.n_games) == (80, 62, 82)
    # Points (wins + ties/2): A 20 + 40 = 60 of 80, B 10 + 20 + 1 = 31 of 62, C 10 + 10 + 1 = 21 of 82.
    assert (a.win_rate, b.win_rate, c.win_rate) == pytest.approx((0.75, 0.5, 21 / 82))
    assert a.rating > b.rating > c.rating
    for row in rows:
        assert row.ci_low < row.rating < row.ci_high


def test_bootstrap_in_memory_bounded_chunks(monkeypatch):
    # Many models make (replicates, models, models) arrays big, so replicates are fitted in batches.
    # Batching must not change the result: with 3 models a cap of 36 elements gives batches of
    # 36 // 9 = 4 replicates; the multinomial draws continue the same random stream.
    rows = CLOSED_FORM * 20
    whole = bootstrap_bt(rows, n_boot=30, seed=4)
    monkeypatch.setattr(bradley_terry, "_MAX_BATCH_ELEMENTS", 36)
    batched = bootstrap_bt(rows, n_boot=30, seed=4)
    np.testing.assert_allclose(batched.replicates, whole.replicates, atol=1e-9)
