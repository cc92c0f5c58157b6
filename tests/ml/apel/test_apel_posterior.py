"""The noisy-channel Bayesian update, checked by hand."""

import pytest

from ml.apel.posterior import likelihood, update, update_many


def test_hand_computed_update():
    # Three hypotheses; 0 shows option A, 1 and 2 show option B; K = 3 with "none of these".
    prior = [0.5, 0.3, 0.2]
    post = update(prior, [0, 1, 1], 0, 3, 0.1)
    # Likelihoods: 0.9 for hypothesis 0, 0.1 / 2 = 0.05 for the others.
    z = 0.5 * 0.9 + 0.3 * 0.05 + 0.2 * 0.05
    assert post == pytest.approx([0.45 / z, 0.015 / z, 0.01 / z])
    post_b = update(prior, [0, 1, 1], 1, 3, 0.1)
    assert post_b[1] / post_b[2] == pytest.approx(0.3 / 0.2)  # same output: ratio unchanged


def test_none_moves_mass_to_the_other_program():
    # Hypothesis 2 is the implicit "other program": its correct option is "none" (index K-1 = 2).
    prior = [0.6, 0.38, 0.02]
    post = update(prior, [0, 1, 2], "none", 3, 0.1)
    z = 0.6 * 0.05 + 0.38 * 0.05 + 0.02 * 0.9
    assert post == pytest.approx([0.03 / z, 0.019 / z, 0.018 / z])
    assert post[2] > prior[2] * 10


def test_unsure_changes_nothing():
    prior = [0.5, 0.3, 0.2]
    assert update(prior, [0, 1, 1], "unsure", 3, 0.1) == pytest.approx(prior)


def test_several_annotators_each_with_their_own_eps():
    prior = [0.5, 0.5, 0.0]
    both = update_many(prior, [0, 1, 2], [(0, 0.1), (1, 0.3)], 3)
    one_then_other = update(update(prior, [0, 1, 2], 0, 3, 0.1), [0, 1, 2], 1, 3, 0.3)
    assert both == pytest.approx(one_then_other)
    # The more reliable annotator (eps 0.1) outweighs the less reliable one (eps 0.3).
    assert both[0] > both[1]
    # The odds move by exactly the product of the likelihood ratios.
    ratio = (likelihood(0, 0, 3, 0.1) * likelihood(0, 1, 3, 0.3)) / (
        likelihood(1, 0, 3, 0.1) * likelihood(1, 1, 3, 0.3)
    )
    assert both[0] / both[1] == pytest.approx(ratio)


def test_zero_eps_is_floored_so_one_slip_is_recoverable():
    post = update([0.5, 0.5, 0.0], [0, 1, 2], 1, 3, 0.0)
    assert 0 < post[0] < 1e-4
    back = update(post, [0, 1, 2], 0, 3, 0.0)
    assert back[0] == pytest.approx(0.5)


@pytest.mark.parametrize("bad", [3, -1, "maybe", True, 2.0])
def test_invalid_choices(bad):
    with pytest.raises(ValueError):
        update([0.5, 0.5, 0.0], [0, 1, 2], bad, 4 if bad == 3 else 3, 0.1)
