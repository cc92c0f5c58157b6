"""Canonical query outputs: when do two candidates "return the same thing" on a database?

Each value is normalised (numbers rounded, integral floats made ints, strings case-folded), the
values within a row are sorted (so column order does not matter), and then, by mode:

- "list": row order counts only if the query has a top-level ORDER BY; otherwise rows are sorted
  (compared as a multiset). This is the reference default.
- "multiset": rows are sorted regardless of ORDER BY.
- "set": duplicate rows are dropped, then sorted.

The canonical form is a JSON string: hashable, and safe to store in a session.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

MODES = ("list", "set", "multiset")
DIGITS = 4  # floats are rounded to this many decimals before comparison


def normalize_value(v: Any) -> list[Any]:
    """A [rank, value] pair that sorts across types: NULL < numbers < strings < blobs < NaN."""
    if v is None:
        return [0, 0]
    if isinstance(v, bool):
        return [1, int(v)]
    if isinstance(v, int):
        return [1, v]
    if isinstance(v, float):
        if math.isnan(v):
            return [4, "nan"]  # its own rank: never equal to a number, and JSON-safe
        if math.isinf(v):
            return [1, 1e308 if v > 0 else -1e308]
        r = round(v, DIGITS)
        return [1, int(r)] if r.is_integer() else [1, r]
    if isinstance(v, bytes):
        return [3, v.hex()]
    return [2, str(v).casefold()]


def _row_key(row: Sequence[Any]) -> list[list[Any]]:
    return sorted((normalize_value(v) for v in row), key=_sort_key)


def _sort_key(pair: list[Any]) -> tuple[Any, ...]:
    return (pair[0], pair[1])


def canonical_output(rows: Sequence[Sequence[Any]], *, ordered: bool, mode: str = "list") -> str:
    """The canonical form of a query's rows; equal strings mean equal outputs under `mode`."""
    if mode not in MODES:
        raise ValueError(f"unknown comparison mode {mode!r}; expected one of {MODES}")
    keyed = [_row_key(r) for r in rows]
    if mode == "set":
        unique = {json.dumps(k) for k in keyed}
        keyed = [json.loads(k) for k in unique]
    if not (mode == "list" and ordered):
        keyed.sort(key=lambda k: [_sort_key(p) for p in k])
    return json.dumps(keyed, separators=(",", ":"))
