import json

import pytest

from ml.apel.equivalence import canonical_output, normalize_value


def same(a, b, *, ordered_a=False, ordered_b=False, mode="list"):
    return canonical_output(a, ordered=ordered_a, mode=mode) == canonical_output(
        b, ordered=ordered_b, mode=mode
    )


def test_list_mode_order_counts_only_with_order_by():
    rows, flipped = [(1, "a"), (2, "b")], [(2, "b"), (1, "a")]
    assert same(rows, flipped)  # no ORDER BY: a multiset
    assert not same(rows, flipped, ordered_a=True, ordered_b=True)
    assert same(rows, rows, ordered_a=True, ordered_b=True)
    assert not same([(1,), (1,)], [(1,)])  # duplicates still count


def test_set_and_multiset_modes():
    assert same([(1,), (1,), (2,)], [(2,), (1,)], mode="set")
    assert not same([(1,), (1,), (2,)], [(2,), (1,)], mode="multiset")
    assert same([(1,), (2,)], [(2,), (1,)], ordered_a=True, ordered_b=True, mode="multiset")
    assert same([(1,), (2,)], [(2,), (1,)], ordered_a=True, ordered_b=True, mode="set")


def test_values_are_normalised():
    assert same([(1.0,)], [(1,)])  # integral floats equal ints
    assert same([(0.1 + 0.2,)], [(0.3,)])  # rounded
    assert not same([(0.3,)], [(0.31,)])
    assert same([("Paris",)], [("PARIS",)])  # case-insensitive strings
    assert same([("x", 1)], [(1, "x")])  # column order does not matter
    assert not same([(None,)], [(0,)]) and not same([("1",)], [(1,)])


def test_mixed_types_sort_and_serialise():
    rows = [(None, "b", 2.5), (b"\x00", 1, "a"), (float("nan"),)]
    key = canonical_output(rows, ordered=False)
    assert json.loads(key)  # valid JSON, so it can be stored in a session
    assert normalize_value(None) < normalize_value(3) < normalize_value("a")


def test_unknown_mode_is_rejected():
    with pytest.raises(ValueError, match="mode"):
        canonical_output([], ordered=False, mode="bag")
