"""Literals the candidates compare columns against, typed to those columns, and their perturbations.

Candidates usually disagree right at their constants (`> 5` vs `>= 5`, `= 'x'` vs `LIKE '%x%'`),
so databases are seeded with those constants and values just beside them: integers +-1, floats
+-0.5, dates +-1 day, strings with a suffix (sorts above) or an "a" prefix (sorts below).
Literals reach through foreign keys: a constant compared with `orders.customer_id` is also a
useful `customers.id`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlglot import exp

from ml.apel.parsing import cte_names, resolve_column
from ml.apel.schema import Schema

ColumnKey = tuple[str, str]  # (table, column), spelled as in the schema

_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Like, exp.ILike, exp.Glob)


def literal_value(node: exp.Expression) -> Any:
    """The Python value of a literal node, or None when the node is not a plain literal."""
    if isinstance(node, exp.Paren):
        return literal_value(node.this)
    if isinstance(node, exp.Neg):
        inner = literal_value(node.this)
        return -inner if isinstance(inner, (int, float)) and not isinstance(inner, bool) else None
    if isinstance(node, exp.Boolean):
        return int(node.this)
    if isinstance(node, exp.Literal):
        if node.is_string:
            return node.this
        text = node.this
        try:
            return int(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                return None
    return None


def coerce(value: Any, kind: str) -> Any:
    """Type a literal to a column kind the way a user would store it; None if it cannot fit."""
    if kind in ("integer", "number", "real", "boolean"):
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                return None
        if kind in ("integer", "boolean"):
            return int(value) if float(value).is_integer() else None
        return int(value) if float(value).is_integer() and kind == "number" else value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def like_examples(pattern: str) -> list[str]:
    """Strings that a LIKE pattern matches, filling wildcards two ways ('' and a letter)."""
    plain = pattern.replace("%", "").replace("_", "a")
    padded = pattern.replace("%", "z").replace("_", "a")
    return [v for v in dict.fromkeys([plain, padded]) if v]


def perturb(value: Any, kind: str) -> list[Any]:
    """Values just beside a literal, to tell strict from non-strict comparisons and exact from LIKE."""
    if isinstance(value, bool):
        return [1 - int(value)]
    if isinstance(value, int):
        return [1 - value] if kind == "boolean" else [value - 1, value + 1]
    if isinstance(value, float):
        return [value - 0.5, value + 0.5]
    if isinstance(value, str):
        try:
            day = dt.date.fromisoformat(value[:10])
        except ValueError:
            day = None
        if day is not None and kind == "time":
            return [
                str(day - dt.timedelta(days=1)) + value[10:],
                str(day + dt.timedelta(days=1)) + value[10:],
            ]
        # A suffix sorts just above the literal and breaks LIKE 'v' / '%v' matches; an "a" prefix
        # sorts just below it (case-insensitively) and breaks 'v%' matches.
        return [value + "x", "a" + value] if value else ["x"]
    return []


def _comparison_pairs(tree: exp.Expression) -> Iterable[tuple[exp.Column, list[Any], bool]]:
    """(column, literal values, is_like) for every column-vs-constant comparison in the query."""
    for node in tree.find_all(*_COMPARISONS, exp.In, exp.Between):
        if isinstance(node, exp.In):
            if isinstance(node.this, exp.Column):
                vals = [literal_value(e) for e in node.expressions]
                yield node.this, [v for v in vals if v is not None], False
        elif isinstance(node, exp.Between):
            if isinstance(node.this, exp.Column):
                vals = [literal_value(node.args.get("low")), literal_value(node.args.get("high"))]
                yield node.this, [v for v in vals if v is not None], False
        else:
            left, right = node.this, node.expression
            if not isinstance(left, exp.Column):
                left, right = right, left
            is_like = isinstance(node, (exp.Like, exp.ILike, exp.Glob))
            value = literal_value(right) if right is not None else None
            if isinstance(left, exp.Column) and value is not None:
                yield left, [value], is_like


def extract_literals(trees: Iterable[exp.Expression], schema: Schema) -> dict[ColumnKey, list[Any]]:
    """Constants compared with each column, typed to that column, LIKE patterns expanded."""
    found: dict[ColumnKey, list[Any]] = {}
    for tree in trees:
        ctes = cte_names(tree)
        for col, values, is_like in _comparison_pairs(tree):
            for table, column in resolve_column(col, schema, ctes):
                kind = schema.table(table).column(column).kind
                bucket = found.setdefault((table, column), [])
                for v in values:
                    expanded = like_examples(str(v)) if is_like and isinstance(v, str) else [v]
                    for raw in expanded:
                        typed = coerce(raw, kind)
                        if typed is not None and typed not in bucket:
                            bucket.append(typed)
    return follow_foreign_keys(found, schema)


def follow_foreign_keys(values: dict[ColumnKey, list[Any]], schema: Schema) -> dict[ColumnKey, list[Any]]:
    """Share values across columns joined by foreign keys, in both directions, transitively."""
    links: dict[ColumnKey, set[ColumnKey]] = {}
    for t in schema.tables:
        for fk in t.foreign_keys:
            for c, rc in zip(fk.columns, fk.ref_columns, strict=True):
                a, b = (t.name, c), (fk.ref_table, rc)
                links.setdefault(a, set()).add(b)
                links.setdefault(b, set()).add(a)
    out = {k: list(v) for k, v in values.items()}
    for start, vals in values.items():
        seen, stack = {start}, [start]
        while stack:
            for nxt in links.get(stack.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
                    kind = schema.table(nxt[0]).column(nxt[1]).kind
                    bucket = out.setdefault(nxt, [])
                    for v in vals:
                        typed = coerce(v, kind)
                        if typed is not None and typed not in bucket:
                            bucket.append(typed)
    return out
