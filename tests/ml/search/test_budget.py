import numpy as np
import pytest

from ml.search.budget import (
    Pool,
    compute_optimal,
    cross_validated,
    difficulty_bins,
    efficiency_multiplier,
    pool_accuracy,
    pool_correct,
)


def test_pool_accuracy_draws_at_random_from_the_pool():
    # the right answer sits only in the last sample: taking the first n would never find it below n = 4
    pool = Pool(["1", "2", "3", "7"], [0.1, 0.1, 0.1, 0.9], correct_answer="7")
    accuracy = pool_accuracy([pool], "best_of_n", budgets=[1, 2, 4], repeats=400, seed=0)
    assert accuracy[1][0] == pytest.approx(0.25, abs=0.06)
    assert accuracy[2][0] == pytest.approx(0.5, abs=0.07)
    assert accuracy[4][0] == 1.0
    with pytest.raises(ValueError):
        pool_correct([pool], "majority", 5, 1, 0)


def test_weighted_and_majority_differ_on_a_pool():
    pool = Pool(["5", "5", "5", "8", "8"], [0.1, 0.1, 0.1, 0.9, 0.9], correct_answer="8")
    assert pool_accuracy([pool], "majority", [5], repeats=3)[5][0] == 0.0
    assert pool_accuracy([pool], "weighted_best_of_n", [5], repeats=3)[5][0] == 1.0
    assert pool.pass_at_1() == pytest.approx(0.4)


def test_difficulty_bins_are_quantiles_from_hard_to_easy():
    bins = difficulty_bins(np.linspace(0, 1, 100), n_bins=5)
    assert np.bincount(bins).tolist() == [20] * 5
    assert bins[0] == 0 and bins[-1] == 4 and (np.diff(bins) >= 0).all()
    assert difficulty_bins([0.5] * 10).tolist() == [4] * 10  # all tied: one bin


def test_compute_optimal_picks_per_bin_on_selection_and_scores_on_evaluation():
    # strategy "beam" wins on the hard bin 0, "bon" on the easy bin 1
    sel_bins = np.array([0, 0, 1, 1])
    sel = {"beam": {4: np.array([1.0, 1.0, 0.0, 0.0])}, "bon": {4: np.array([0.0, 0.0, 1.0, 1.0])}}
    ev_bins = np.array([0, 1, 1])
    ev = {"beam": {4: np.array([1.0, 0.0, 1.0])}, "bon": {4: np.array([0.0, 1.0, 0.0])}}
    accuracy, choice = compute_optimal(sel, sel_bins, ev, ev_bins, budget=4)
    assert choice == {0: "beam", 1: "bon"} and accuracy == pytest.approx(1 / 3 + 1 / 3)
    # a bin never seen at selection time takes the overall best
    single = {"beam": {4: np.array([1.0])}, "bon": {4: np.array([0.0])}}
    sel["bon"][4] = np.array([0.0, 0.0, 1.0, 0.0])  # beam is now best overall
    accuracy, fallback = compute_optimal(sel, sel_bins, single, np.array([2]), budget=4)
    assert fallback == {2: "beam"} and accuracy == 1.0


def test_cross_validated_compute_optimal_beats_either_strategy_when_bins_disagree():
    bins = np.repeat([0, 1], 50)
    scores = {"a": {8: (bins == 0).astype(float)}, "b": {8: (bins == 1).astype(float)}}
    assert cross_validated(scores, bins, 8) == 1.0  # each fold learns a for bin 0 and b for bin 1


def test_efficiency_multiplier():
    baseline = {1: 0.2, 4: 0.4, 16: 0.6, 64: 0.7}
    assert efficiency_multiplier(0.6, 4, baseline) == pytest.approx(4.0)
    assert efficiency_multiplier(0.5, 2, baseline) == pytest.approx(8.0 / 2)  # halfway from 4 to 16 in log
    assert efficiency_multiplier(0.9, 4, baseline) is None
    assert efficiency_multiplier(0.1, 1, baseline) == 1.0
