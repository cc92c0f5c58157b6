"""Expected calibration error and the reliability table."""

from __future__ import annotations

import math

import pytest

from ml.stats import expected_calibration_error, reliability_table


def test_ece_single_bin():
    # All four at confidence 0.9 (bin [0.9, 1.0]), 3 of 4 right: |0.75 - 0.9| = 0.15.
    assert expected_calibration_error([0.9] * 4, [1, 1, 1, 0]) == pytest.approx(0.15)


def test_ece_two_bins():
    # Bin [0.2, 0.3): confidence 0.2, accuracy 1/2, gap 0.3. Bin [0.8, 0.9): confidence 0.8,
    # accuracy 1, gap 0.2. ECE = 2/4 * 0.3 + 2/4 * 0.2 = 0.25.
    assert expected_calibration_error([0.2, 0.2, 0.8, 0.8], [0, 1, 1, 1]) == pytest.approx(0.25)
    # With a single bin [0, 1] the gaps cancel: mean confidence 0.5, accuracy 0.75, ECE 0.25.
    assert expected_calibration_error([0.2, 0.2, 0.8, 0.8], [0, 1, 1, 1], n_bins=1) == pytest.approx(0.25)
    # Two bins [0, 0.5), [0.5, 1]: same as the ten-bin case here.
    assert expected_calibration_error([0.2, 0.2, 0.8, 0.8], [0, 1, 1, 1], n_bins=2) == pytest.approx(0.25)


def test_ece_perfectly_calibrated():
    # Confidence 0.25 right 1 in 4; confidence 0.75 right 3 in 4.
    conf = [0.25] * 4 + [0.75] * 4
    correct = [1, 0, 0, 0, 1, 1, 1, 0]
    assert expected_calibration_error(conf, correct) == pytest.approx(0.0)


def test_reliability_table_bins_and_edges():
    # 0.3 sits on an edge and belongs to [0.3, 0.4); 1.0 belongs to the last bin; 0.0 to the first.
    rows = reliability_table([0.0, 0.3, 0.35, 1.0, 0.95], [False, True, False, True, True])
    assert len(rows) == 10
    assert [r.count for r in rows] == [1, 0, 0, 2, 0, 0, 0, 0, 0, 2]
    assert (rows[3].low, rows[3].high) == (0.3, 0.4)
    assert rows[3].mean_confidence == pytest.approx(0.325) and rows[3].accuracy == 0.5
    assert rows[3].gap == pytest.approx(0.175)
    assert rows[9].accuracy == 1.0 and rows[9].mean_confidence == pytest.approx(0.975)
    assert rows[0].gap == 0.0
    assert math.isnan(rows[1].accuracy) and math.isnan(rows[1].mean_confidence)
    # Edges k / n_bins land in bin k for awkward bin counts too (22 * (15/22) rounds below 15).
    rows = reliability_table([15 / 22], [1], n_bins=22)
    assert rows[15].count == 1


def test_invalid_inputs():
    with pytest.raises(ValueError):
        expected_calibration_error([1.2], [1])
    with pytest.raises(ValueError):
        expected_calibration_error([0.5], [2])
    with pytest.raises(ValueError):
        expected_calibration_error([0.5, 0.6], [1])
    with pytest.raises(ValueError):
        expected_calibration_error([], [])
