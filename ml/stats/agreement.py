"""Inter-annotator agreement: Cohen's kappa, Fleiss' kappa and Krippendorff's alpha.

All three are "observed vs chance agreement" statistics: 1 is perfect agreement, 0 is what raters
labelling at random with the observed label frequencies would reach, negative is worse than that.
When chance agreement is already perfect (everybody used one label) they are 0/0 and we return NaN.
Missing ratings are None or NaN.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence

import numpy as np

LEVELS = ("nominal", "ordinal", "interval", "ratio")


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float | np.floating) and math.isnan(value))


def cohens_kappa(rater1: Sequence[Hashable], rater2: Sequence[Hashable]) -> float:
    """Cohen's kappa for two raters labelling the same items; items missing either label are dropped.

    kappa = (p_o - p_e) / (1 - p_e), p_o the share of items labelled alike and p_e = sum_c p1_c p2_c
    from each rater's own label frequencies."""
    if len(rater1) != len(rater2):
        raise ValueError("both raters must label the same items")
    pairs = [(a, b) for a, b in zip(rater1, rater2, strict=True) if not (_missing(a) or _missing(b))]
    if not pairs:
        raise ValueError("no item has labels from both raters")
    categories = {c: k for k, c in enumerate(dict.fromkeys(c for pair in pairs for c in pair))}
    table = np.zeros((len(categories), len(categories)))
    for a, b in pairs:
        table[categories[a], categories[b]] += 1
    table /= len(pairs)
    observed = np.trace(table)
    expected = float(table.sum(axis=1) @ table.sum(axis=0))
    return _kappa(observed, expected)


def fleiss_kappa(counts: Sequence[Sequence[float]] | np.ndarray) -> float:
    """Fleiss' kappa from an items x categories table: counts[i, c] raters put item i in category c.

    With n raters per item: P_i = (sum_c n_ic^2 - n) / (n (n - 1)), P_bar their mean, p_c the share of
    all ratings in category c, P_e = sum_c p_c^2, kappa = (P_bar - P_e) / (1 - P_e).

    Variable counts per item (missing ratings) are allowed: each item's P_i uses its own n_i, items
    with fewer than two ratings are skipped (they carry no agreement information), P_bar is the plain
    mean over the remaining items and p_c is pooled over their ratings. With equal counts this is
    exactly Fleiss' kappa; for heavily unbalanced data prefer Krippendorff's alpha."""
    table = np.asarray(counts, dtype=float)
    if table.ndim != 2 or np.any(table < 0):
        raise ValueError("counts must be a 2-D table of non-negative counts")
    per_item = table.sum(axis=1)
    table, per_item = table[per_item >= 2], per_item[per_item >= 2]
    if len(table) == 0:
        raise ValueError("no item has two or more ratings")
    agreement = ((table**2).sum(axis=1) - per_item) / (per_item * (per_item - 1))
    shares = table.sum(axis=0) / table.sum()
    return _kappa(float(agreement.mean()), float(shares @ shares))


def ratings_to_counts(
    ratings: Sequence[Sequence[Hashable]], categories: Sequence[Hashable] | None = None
) -> tuple[np.ndarray, list[Hashable]]:
    """Per-item label lists (missing labels None/NaN) -> (items x categories counts, categories)."""
    if categories is None:
        categories = list(dict.fromkeys(v for item in ratings for v in item if not _missing(v)))
    index = {c: k for k, c in enumerate(categories)}
    table = np.zeros((len(ratings), len(index)))
    for i, item in enumerate(ratings):
        for value in item:
            if not _missing(value):
                table[i, index[value]] += 1
    return table, list(categories)


def krippendorff_alpha(
    units: Sequence[Sequence[Hashable | float | None]] | np.ndarray,
    level: str = "nominal",
    value_order: Sequence[Hashable] | None = None,
) -> float:
    """Krippendorff's alpha, coincidence-matrix form: alpha = 1 - (n - 1) * D_o / D_e with

        D_o = sum_ck o_ck d_ck,   D_e = sum_ck n_c n_k d_ck,

    o the coincidence matrix (each unit with m >= 2 values adds every ordered pair of its values from
    different raters with weight 1 / (m - 1)), n_c its margins, n the number of pairable values.

    `units` holds one row of values per unit (item); rows may have different lengths and contain
    None/NaN for missing ratings (a units x raters array works). Units with fewer than two values are
    not pairable and ignored. `level` picks the distance d_ck: nominal (0/1), ordinal (squared count
    of values between c and k, ranks from `value_order` or sorted values), interval ((c - k)^2) or
    ratio (((c - k) / (c + k))^2)."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}")
    rows = [[v for v in unit if not _missing(v)] for unit in units]
    rows = [row for row in rows if len(row) >= 2]
    if not rows:
        raise ValueError("no unit has two or more values")
    seen = list(dict.fromkeys(v for row in rows for v in row))
    if value_order is not None:
        unknown = [v for v in seen if v not in value_order]
        if unknown:
            raise ValueError(f"values not in value_order: {unknown}")
        values = [v for v in value_order if v in set(seen)]
    else:
        values = sorted(seen) if level != "nominal" else seen
    index = {v: k for k, v in enumerate(values)}
    table = np.zeros((len(rows), len(values)))
    for u, row in enumerate(rows):
        for v in row:
            table[u, index[v]] += 1
    weight = 1.0 / (table.sum(axis=1) - 1.0)
    # sum over units of (n_uc n_uk - [c == k] n_uc) / (m_u - 1): the pairs of distinct raters' values.
    coincidence = (table * weight[:, None]).T @ table - np.diag(weight @ table)
    margins = coincidence.sum(axis=1)
    n = margins.sum()
    distance = _distances(level, values, margins)
    expected = margins @ distance @ margins
    if expected == 0:
        return math.nan  # only one value in use: agreement is not measurable
    return float(1.0 - (n - 1.0) * (coincidence * distance).sum() / expected)


def _distances(level: str, values: list, margins: np.ndarray) -> np.ndarray:
    k = len(values)
    if level == "nominal":
        return 1.0 - np.eye(k)
    if level == "ordinal":
        # d_ck = (sum_{g=c..k} n_g - (n_c + n_k) / 2)^2: rank distance measured in pairable values.
        cumulative = np.concatenate([[0.0], np.cumsum(margins)])
        lo, hi = np.minimum.outer(np.arange(k), np.arange(k)), np.maximum.outer(np.arange(k), np.arange(k))
        between = cumulative[hi + 1] - cumulative[lo] - (margins[lo] + margins[hi]) / 2.0
        return between**2
    numbers = np.asarray(values, dtype=float)
    if level == "interval":
        return np.subtract.outer(numbers, numbers) ** 2
    total = np.add.outer(numbers, numbers)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(total == 0, 0.0, np.subtract.outer(numbers, numbers) / total)
    return ratio**2


def _kappa(observed: float, expected: float) -> float:
    if math.isclose(expected, 1.0):
        return math.nan
    return (observed - expected) / (1.0 - expected)
