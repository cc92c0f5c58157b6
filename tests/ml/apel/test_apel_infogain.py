"""Information measures on cases small enough to check by hand."""

import math

import pytest

from ml.apel.infogain import (
    entropy,
    expected_entropy,
    group_masses,
    information_gain,
    noisy_expected_entropy,
    noisy_mutual_information,
    response_probs,
)


def test_entropy():
    assert entropy([0.5, 0.5]) == pytest.approx(1.0)
    assert entropy([0.25] * 4) == pytest.approx(2.0)
    assert entropy([1.0, 0.0]) == 0.0
    assert entropy([2, 2]) == pytest.approx(1.0)  # normalised first
    assert entropy([0.5, 0.25, 0.25]) == pytest.approx(1.5)


def test_expected_entropy_and_gain():
    p = [0.5, 0.25, 0.25]
    # Output A: {0}; output B: {1, 2}. E[H] = 0.5 * H(1) + 0.5 * H(0.5, 0.5) = 0.5.
    assert expected_entropy(p, [[0], [1, 2]]) == pytest.approx(0.5)
    assert information_gain(p, [[0], [1, 2]]) == pytest.approx(1.0)
    assert information_gain(p, [[0], [1], [2]]) == pytest.approx(1.5)  # all separated: everything learned
    assert information_gain(p, [[0, 1, 2]]) == pytest.approx(0.0)  # nobody separated: nothing learned
    assert group_masses(p, [[0], [1, 2]]) == [0.5, 0.5]


def test_noise_free_mi_is_the_entropy_of_the_option_masses():
    assert noisy_mutual_information([0.5, 0.5], 0.0) == pytest.approx(1.0)
    assert noisy_mutual_information([0.5, 0.25, 0.25], 0.0) == pytest.approx(1.5)


def test_noisy_mi_binary_symmetric_channel():
    # K = 2 options with equal mass and eps = 0.1 is a binary symmetric channel: I = 1 - H_b(0.1).
    hb = -(0.1 * math.log2(0.1) + 0.9 * math.log2(0.9))
    assert noisy_mutual_information([0.5, 0.5], 0.1) == pytest.approx(1 - hb)


def test_noisy_mi_three_options_by_hand():
    # Masses (0.5, 0.5) on two outputs plus an empty "none of these" option: K = 3, eps = 0.1.
    # P(r) = (0.9*0.5 + 0.05*0.5, same, 0.05) = (0.475, 0.475, 0.05).
    h_r = -(2 * 0.475 * math.log2(0.475) + 0.05 * math.log2(0.05))
    h_r_given_s = -(0.9 * math.log2(0.9) + 0.1 * math.log2(0.05))
    assert response_probs([0.5, 0.5, 0.0], 0.1) == pytest.approx([0.475, 0.475, 0.05])
    assert noisy_mutual_information([0.5, 0.5, 0.0], 0.1) == pytest.approx(h_r - h_r_given_s)


def test_noise_lowers_information_and_more_options_help():
    clean = noisy_mutual_information([0.5, 0.5, 0.0], 0.0)
    noisy = noisy_mutual_information([0.5, 0.5, 0.0], 0.2)
    assert noisy < clean
    split_two = noisy_mutual_information([0.5, 0.5, 0.0], 0.1)
    split_four = noisy_mutual_information([0.25, 0.25, 0.25, 0.25, 0.0], 0.1)
    assert split_four > split_two
    assert noisy_mutual_information([1.0, 0.0], 0.1) == pytest.approx(
        0.0
    )  # one live option: nothing to learn


def test_noisy_expected_entropy_is_prior_entropy_minus_mi():
    p = [0.5, 0.3, 0.2]
    option_of = [0, 1, 1]  # options 0, 1 and an empty "none" (2)
    mi = noisy_mutual_information([0.5, 0.5, 0.0], 0.1)
    assert noisy_expected_entropy(p, option_of, 3, 0.1) == pytest.approx(entropy(p) - mi)
