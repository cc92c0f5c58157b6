"""Ties under ORDER BY ... LIMIT: when the last row kept ties with the first row cut off.

On such a database the query's answer depends on SQLite's arbitrary tie-breaking, so an annotator
cannot judge it (Spider's gold SQL had 27 tie-breaking errors). Synthesis rejects databases where
any candidate has such a tie; if no tie-free informative database is found, the question is shown
with its `tie` flag set so the interface can ask about the tie itself.

The check runs a probe per ORDER BY ... LIMIT n: the same SELECT with its sort keys appended as
extra columns and no LIMIT. The rows tied with row n on the sort keys are the ones the cut may
choose among; the answer is ambiguous only if those tied rows do not all show the same values
(swapping identical rows changes nothing). Probes of correlated subqueries cannot run on their
own and are skipped.
"""

from __future__ import annotations

import sqlite3
from functools import lru_cache

from sqlglot import exp

from ml.apel.equivalence import normalize_value
from ml.apel.errors import ApelError, ExecutionError
from ml.apel.execute import Sandbox
from ml.apel.parsing import parse, to_sql


@lru_cache(maxsize=4096)
def tie_probes(sql: str) -> tuple[tuple[str, int, int], ...]:
    """(probe SQL, rows kept n, number of key columns) for every SELECT with ORDER BY and LIMIT."""
    try:
        tree = parse(sql)
    except ApelError:
        return ()
    probes = []
    for select in tree.find_all(exp.Select):
        order, limit = select.args.get("order"), select.args.get("limit")
        if order is None or limit is None:
            continue
        n = _int_literal(limit.args.get("expression") or limit.this)
        offset = select.args.get("offset")
        skip = _int_literal(offset.args.get("expression") or offset.this) if offset is not None else 0
        if n is None or n <= 0 or skip is None:
            continue
        keys = [_resolve_key(select, o.this) for o in order.expressions]
        probe = select.copy()
        outer_with = tree.args.get("with_")
        if select is not tree and outer_with is not None and probe.args.get("with_") is None:
            probe.set("with_", outer_with.copy())  # a subquery may read the outer query's CTEs
        for i, key in enumerate(keys):
            probe.append("expressions", exp.alias_(key.copy(), f"apel_tie_key_{i}"))
        probe.set("limit", None)
        probe.set("offset", None)
        probes.append((to_sql(probe), skip + n, len(keys)))  # the cut that matters is after row skip+n
    return tuple(probes)


def _int_literal(node: exp.Expression | None) -> int | None:
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return int(node.this)
        except ValueError:
            return None
    return None


def _resolve_key(select: exp.Select, key: exp.Expression) -> exp.Expression:
    """ORDER BY 2 and ORDER BY alias refer to select items; use the item's expression instead."""
    items = select.expressions
    position = _int_literal(key)
    if position is not None and 1 <= position <= len(items):
        item = items[position - 1]
        return item.this if isinstance(item, exp.Alias) else item
    if isinstance(key, exp.Column) and not key.table:
        for item in items:
            if isinstance(item, exp.Alias) and item.alias.lower() == key.name.lower():
                return item.this
    return key


def has_order_limit_tie(sql: str, db: Sandbox | sqlite3.Connection) -> bool:
    """Whether `sql` has an ORDER BY ... LIMIT whose cut falls inside a tie on the loaded database."""
    for probe, n, width in tie_probes(sql):
        try:
            if isinstance(db, Sandbox):
                rows = db.run(probe).rows
            else:
                rows = db.execute(probe).fetchall()
        except (ExecutionError, sqlite3.Error):
            continue
        if len(rows) <= n:
            continue
        keys = [[normalize_value(v) for v in r[-width:]] for r in rows]
        boundary = keys[n - 1]
        if keys[n] != boundary:
            continue
        shown = {
            repr([normalize_value(v) for v in r[:-width]])
            for r, k in zip(rows, keys, strict=True)
            if k == boundary
        }
        if len(shown) > 1:
            return True
    return False
