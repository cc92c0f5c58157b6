"""Cohen's kappa, Fleiss' kappa and Krippendorff's alpha on textbook and hand-worked examples."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ml.stats import cohens_kappa, fleiss_kappa, krippendorff_alpha, ratings_to_counts


def _two_raters(yy: int, yn: int, ny: int, nn: int) -> tuple[list[str], list[str]]:
    first = ["yes"] * (yy + yn) + ["no"] * (ny + nn)
    second = ["yes"] * yy + ["no"] * yn + ["yes"] * ny + ["no"] * nn
    return first, second


def test_cohens_kappa_textbook_table():
    # 50 proposals, 2x2 table (rows rater 1, columns rater 2): yes/yes 20, yes/no 5, no/yes 10,
    # no/no 15. p_o = (20 + 15) / 50 = 0.7. Rater 1 says yes 25/50, rater 2 says yes 30/50, so
    # p_e = 0.5 * 0.6 + 0.5 * 0.4 = 0.5 and kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4.
    assert cohens_kappa(*_two_raters(20, 5, 10, 15)) == pytest.approx(0.4)


def test_cohens_kappa_second_table_and_missing():
    # yes/yes 45, yes/no 15, no/yes 25, no/no 15 (100 items): p_o = 0.6, rater 1 yes 0.6, rater 2
    # yes 0.7, p_e = 0.6 * 0.7 + 0.4 * 0.3 = 0.54, kappa = 0.06 / 0.46 = 0.130435.
    first, second = _two_raters(45, 15, 25, 15)
    assert cohens_kappa(first, second) == pytest.approx(0.06 / 0.46)
    # Items missing either label are dropped, so they change nothing.
    assert cohens_kappa(first + [None, "yes"], second + ["no", float("nan")]) == pytest.approx(0.06 / 0.46)


def test_cohens_kappa_extremes():
    labels = ["a", "b", "c", "a"]
    assert cohens_kappa(labels, labels) == 1.0
    # Systematic disagreement: p_o = 0, p_e = 0.5 * 0.5 * 2 = 0.5, kappa = -1.
    assert cohens_kappa(["x", "y"] * 5, ["y", "x"] * 5) == pytest.approx(-1.0)
    # One label everywhere: chance agreement is already 1, kappa is 0/0.
    assert math.isnan(cohens_kappa(["x"] * 4, ["x"] * 4))
    with pytest.raises(ValueError):
        cohens_kappa(["x"], ["x", "y"])


# The classic worked example (Fleiss 1971 style, as on Wikipedia): 10 items, 14 raters, 5 categories.
FLEISS_TABLE = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


def test_fleiss_kappa_classic_example():
    # Column totals 20, 28, 39, 21, 32 of 140 ratings: P_e = (20^2 + 28^2 + 39^2 + 21^2 + 32^2) / 140^2
    # = 4170 / 19600 = 0.212755.
    # P_i = (sum_c n_ic^2 - 14) / (14 * 13): numerators 182, 46, 56, 80, 60, 84, 44, 32, 52, 52 over 182,
    # so P_bar = 688 / 1820 = 0.378022.
    # kappa = (688/1820 - 4170/19600) / (1 - 4170/19600) = 0.209931.
    expected = (688 / 1820 - 4170 / 19600) / (1 - 4170 / 19600)
    assert expected == pytest.approx(0.209931, abs=1e-6)
    assert fleiss_kappa(FLEISS_TABLE) == pytest.approx(expected)


def test_fleiss_kappa_from_label_lists_and_variable_counts():
    ratings = [["a", "a", "a"], ["a", "b", None], ["b", "b", "b"], ["c"]]
    table, categories = ratings_to_counts(ratings)
    assert categories == ["a", "b", "c"]
    np.testing.assert_array_equal(table, [[3, 0, 0], [1, 1, 0], [0, 3, 0], [0, 0, 1]])
    # The one-rating item is skipped. P_i: item 1 (9 - 3) / 6 = 1, item 2 (1 + 1 - 2) / 2 = 0,
    # item 3 = 1, so P_bar = 2/3. Pooled shares over 8 ratings: a 4/8, b 4/8, P_e = 1/2.
    # kappa = (2/3 - 1/2) / (1 - 1/2) = 1/3.
    assert fleiss_kappa(table) == pytest.approx(1 / 3)


def test_fleiss_kappa_perfect_and_degenerate():
    assert fleiss_kappa([[3, 0], [0, 3], [3, 0]]) == 1.0
    assert math.isnan(fleiss_kappa([[3, 0], [3, 0]]))
    with pytest.raises(ValueError):
        fleiss_kappa([[1, 0], [0, 1]])


def test_krippendorff_nominal_hand_example():
    # Units (missing = None): [a, a], [a, b], [b, b, b], [b, None].
    # Coincidences (each ordered pair of values from different raters, weight 1 / (m_u - 1)):
    #   unit 1: (a, a) x 2, weight 1 -> o_aa += 2; unit 2: o_ab += 1, o_ba += 1;
    #   unit 3: 6 ordered (b, b) pairs, weight 1/2 -> o_bb += 3; unit 4 has one value: not pairable.
    # o = [[2, 1], [1, 3]], n_a = 3, n_b = 4, n = 7. Observed disagreement sum o_ab + o_ba = 2,
    # expected sum n_a n_b + n_b n_a = 24, alpha = 1 - (n - 1) * 2 / 24 = 1 - 6 * 2 / 24 = 0.5.
    units = [["a", "a"], ["a", "b"], ["b", "b", "b"], ["b", None]]
    assert krippendorff_alpha(units, "nominal") == pytest.approx(0.5)


def test_krippendorff_published_example():
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability": 4 observers, 12 units.
    # Published: nominal 0.743, ordinal 0.815, interval 0.849, ratio 0.797.
    n = None
    observers = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, n, n, n],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, n, 3],
        [n, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, n],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, n],
    ]
    units = list(zip(*observers, strict=True))
    published = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}
    for level, value in published.items():
        assert krippendorff_alpha(units, level) == pytest.approx(value, abs=5e-4), level
    # The same data as a units x raters float array with NaN for missing.
    as_array = np.array(units, dtype=float)
    assert krippendorff_alpha(as_array, "interval") == pytest.approx(krippendorff_alpha(units, "interval"))


def test_krippendorff_ordinal_credits_near_misses():
    # Agreement on [1,1], [2,2], [3,3] plus two adjacent disagreements [1,2], [2,3].
    # Margins n_1 = 3, n_2 = 4, n_3 = 3, n = 10.
    # Nominal: observed 4 (o_12 = o_21 = o_23 = o_32 = 1), expected 100 - (9 + 16 + 9) = 66,
    #   alpha = 1 - 9 * 4 / 66 = 5/11.
    # Ordinal: d_12 = (3 + 4 - (3 + 4)/2)^2 = 12.25 = d_23, d_13 = (3 + 4 + 3 - 3)^2 = 49.
    #   observed 4 * 12.25 = 49, expected 2 * (12 * 12.25 + 12 * 12.25 + 9 * 49) = 1470,
    #   alpha = 1 - 9 * 49 / 1470 = 0.7.
    near = [[1, 1], [2, 2], [3, 3], [1, 2], [2, 3]]
    assert krippendorff_alpha(near, "nominal") == pytest.approx(5 / 11)
    assert krippendorff_alpha(near, "ordinal") == pytest.approx(0.7)


def test_krippendorff_ordinal_penalises_far_misses():
    # [1,1], [2,2], [3,3] plus [1,3] twice. Margins n_1 = 4, n_2 = 2, n_3 = 4, n = 10.
    # Nominal: observed 4, expected 100 - 36 = 64, alpha = 1 - 36/64 = 0.4375.
    # Ordinal: d_13 = (4 + 2 + 4 - 4)^2 = 36, d_12 = d_23 = (4 + 2 - 3)^2 = 9.
    #   observed 4 * 36 = 144, expected 2 * (8 * 9 + 8 * 9 + 16 * 36) = 1440, alpha = 1 - 0.9 = 0.1.
    far = [[1, 1], [2, 2], [3, 3], [1, 3], [1, 3]]
    assert krippendorff_alpha(far, "nominal") == pytest.approx(0.4375)
    assert krippendorff_alpha(far, "ordinal") == pytest.approx(0.1)


def test_krippendorff_value_order_for_labels():
    # Labels ranked by value_order must give the same ordinal alpha as their ranks.
    near = [["lo", "lo"], ["mid", "mid"], ["hi", "hi"], ["lo", "mid"], ["mid", "hi"]]
    assert krippendorff_alpha(near, "ordinal", value_order=["lo", "mid", "hi"]) == pytest.approx(0.7)
    with pytest.raises(ValueError, match="value_order"):
        krippendorff_alpha(near, "ordinal", value_order=["lo", "mid"])


def test_krippendorff_perfect_and_degenerate():
    perfect = [[1, 1, None], [2, 2, 2], [3, None, 3], [1, 1, 1]]
    for level in ("nominal", "ordinal", "interval", "ratio"):
        assert krippendorff_alpha(perfect, level) == pytest.approx(1.0)
    assert math.isnan(krippendorff_alpha([[1, 1], [1, 1]], "nominal"))
    with pytest.raises(ValueError):
        krippendorff_alpha([[1], [2, None]])
    with pytest.raises(ValueError, match="level"):
        krippendorff_alpha(perfect, "cardinal")
