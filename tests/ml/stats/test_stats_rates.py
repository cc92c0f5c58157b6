"""Win/tie/loss rates and position bias."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ml.stats import Comparison, head_to_head, position_bias, win_tie_loss


def test_win_tie_loss_hand_rates():
    # a, a, b, tie: wins 2/4, losses 1/4, ties 1/4.
    result = win_tie_loss(["a", "a", "b", "tie"], n_boot=500, seed=0)
    assert (result.win.estimate, result.loss.estimate, result.tie.estimate) == (0.5, 0.25, 0.25)
    assert (result.n, result.n_clusters) == (4, 4)
    for rate in (result.win, result.loss, result.tie):
        assert 0.0 <= rate.ci_low <= rate.estimate <= rate.ci_high <= 1.0
    assert win_tie_loss(["a", "a", "b", "tie"], n_boot=500, seed=0) == result
    with pytest.raises(ValueError, match="outcomes"):
        win_tie_loss(["a", "win"])


def test_clustered_rates_are_wider_when_prompts_repeat():
    # 30 prompts judged 8 times each, all 8 verdicts identical per prompt: 30 independent verdicts.
    rng = np.random.default_rng(0)
    per_prompt = rng.choice(["a", "b", "tie"], size=30, p=[0.5, 0.3, 0.2])
    outcomes = list(np.repeat(per_prompt, 8))
    prompts = list(np.repeat(np.arange(30), 8))
    clustered = win_tie_loss(outcomes, prompts, n_boot=1000, seed=1)
    plain = win_tie_loss(outcomes, n_boot=1000, seed=1)
    assert clustered.n_clusters == 30 and plain.n_clusters == 240
    assert clustered.win.estimate == plain.win.estimate
    width = clustered.win.ci_high - clustered.win.ci_low
    assert width > 2 * (plain.win.ci_high - plain.win.ci_low)


def test_head_to_head_flips_sides():
    comparisons = [
        ("X", "Y", "a"),  # X wins
        Comparison("Y", "X", "a"),  # Y wins: a loss for X
        ("Y", "X", "tie"),
        ("Y", "X", "b"),  # X wins
        ("X", "Z", "a"),  # not X vs Y: ignored
    ]
    result = head_to_head(comparisons, "X", "Y", clusters=["p1", "p1", "p2", "p3", "p4"], n_boot=200)
    # X vs Y: 2 wins, 1 loss, 1 tie over 4 games in 3 prompts.
    assert (result.win.estimate, result.loss.estimate, result.tie.estimate) == (0.5, 0.25, 0.25)
    assert (result.n, result.n_clusters) == (4, 3)
    with pytest.raises(ValueError, match="no comparisons"):
        head_to_head(comparisons, "Y", "Z")


def test_position_bias_hand_case():
    # First shown wins 30, second shown wins 10, 10 ties: share 30/40 = 0.75, tie rate 10/50.
    # Two-sided exact binomial p = 2 * sum_{k>=30} C(40, k) / 2^40.
    outcomes = ["a"] * 30 + ["b"] * 10 + ["tie"] * 10
    bias = position_bias(outcomes, n_boot=1000, seed=0)
    assert (bias.n, bias.n_decisive, bias.first_wins) == (50, 40, 30)
    assert bias.first_win_share.estimate == 0.75 and bias.tie_rate == 0.2
    assert bias.p_value == pytest.approx(2 * sum(math.comb(40, k) for k in range(30, 41)) / 2**40)
    assert bias.first_win_share.ci_low < 0.75 < bias.first_win_share.ci_high
    assert bias.first_win_share.ci_low > 0.5  # bias this strong excludes 1/2


def test_position_bias_without_bias():
    rng = np.random.default_rng(4)
    outcomes = list(rng.choice(["a", "b", "tie"], size=2000, p=[0.45, 0.45, 0.1]))
    bias = position_bias(outcomes, clusters=[k // 4 for k in range(2000)], n_boot=500, seed=0)
    assert bias.first_win_share.ci_low < 0.5 < bias.first_win_share.ci_high
    assert bias.p_value > 0.05


def test_position_bias_all_ties():
    bias = position_bias(["tie", "tie"])
    assert bias.n_decisive == 0 and bias.tie_rate == 1.0
    assert math.isnan(bias.first_win_share.estimate) and math.isnan(bias.p_value)
