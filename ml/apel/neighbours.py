"""Neighbour queries: small AST edits of a candidate that a parser could plausibly have produced.

Following Test-Suite evaluation (Zhong, Yu, Klein 2020), each neighbour makes one edit:
- swap within a family: aggregates {count, min, max, avg, sum}; comparisons {=, !=, <, <=, >, >=};
  ASC/DESC; AND/OR; LIKE/NOT LIKE; IN/NOT IN;
- replace a column by another column of the same table and type family;
- perturb a numeric literal (integers +-1, floats +-0.5);
- drop a clause: WHERE, one conjunct of WHERE/HAVING, ORDER BY, LIMIT, DISTINCT, GROUP BY, HAVING.
Only edits that still parse and run on the (empty) schema are kept.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

from sqlglot import exp

from ml.apel.errors import ApelError
from ml.apel.execute import Sandbox
from ml.apel.literals import literal_value
from ml.apel.parsing import cte_names, parse, resolve_column, to_sql
from ml.apel.schema import Schema

_AGGREGATES = (exp.Count, exp.Min, exp.Max, exp.Avg, exp.Sum)
_COMPARISONS = (exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE)

Edit = Callable[[exp.Expression], exp.Expression | None]  # node -> replacement (None removes it)


def _node_edits(node: exp.Expression, schema: Schema, ctes: set[str]) -> Iterator[Edit]:
    """The single edits that apply at one node."""
    if type(node) in _AGGREGATES:
        arg = node.this
        for cls in _AGGREGATES:
            if cls is not type(node) and not (isinstance(arg, exp.Star) and cls is not exp.Count):
                yield lambda n, cls=cls: cls(this=n.this.copy())
    if type(node) in _COMPARISONS:
        for cls in _COMPARISONS:
            if cls is not type(node):
                yield lambda n, cls=cls: cls(this=n.this.copy(), expression=n.expression.copy())
    if isinstance(node, exp.Ordered):
        # SQLite sorts NULLs first ascending and last descending; say so, or sqlglot spells it out.
        yield lambda n: exp.Ordered(
            this=n.this.copy(), desc=not n.args.get("desc"), nulls_first=bool(n.args.get("desc"))
        )
    if isinstance(node, exp.And):
        yield lambda n: exp.Or(this=n.this.copy(), expression=n.expression.copy())
    if isinstance(node, exp.Or):
        yield lambda n: exp.And(this=n.this.copy(), expression=n.expression.copy())
    if isinstance(node, exp.Like) and not isinstance(node.parent, exp.Not):
        yield lambda n: exp.Like(
            this=n.this.copy(), expression=n.expression.copy(), negate=not n.args.get("negate")
        )
    if isinstance(node, exp.Not) and isinstance(node.this, (exp.Like, exp.In)):
        yield lambda n: n.this.copy()  # NOT LIKE -> LIKE, NOT IN -> IN
    if isinstance(node, exp.In) and not isinstance(node.parent, exp.Not):
        yield lambda n: exp.Not(this=n.copy())
    if isinstance(node, exp.Column) and isinstance(node.this, exp.Identifier):
        hits = resolve_column(node, schema, ctes)
        if len(hits) == 1:
            table = schema.table(hits[0][0])
            mine = table.column(hits[0][1])
            for other in table.columns:
                if other.name != mine.name and other.family == mine.family:
                    yield lambda n, name=other.name: exp.Column(
                        this=exp.to_identifier(name), table=n.args.get("table")
                    )
    if isinstance(node, exp.Literal) and not node.is_string and not isinstance(node.parent, exp.Neg):
        value = literal_value(node)
        if isinstance(value, int):
            for v in (value - 1, value + 1):
                if v >= 1 or not isinstance(node.parent, exp.Limit):  # LIMIT 0 is never meant
                    yield (
                        lambda n, v=v: (
                            exp.Literal.number(v) if v >= 0 else exp.Neg(this=exp.Literal.number(-v))
                        )
                    )
        elif isinstance(value, float):
            for v in (value - 0.5, value + 0.5):
                yield lambda n, v=v: exp.Literal.number(v) if v >= 0 else exp.Neg(this=exp.Literal.number(-v))
    if isinstance(node, exp.Select):
        for arg in ("where", "order", "limit", "distinct", "having"):
            if node.args.get(arg) is not None:
                yield lambda n, arg=arg: _without(n, arg)
        if node.args.get("group") is not None:
            yield lambda n: _without(_without(n, "having"), "group")
    if isinstance(node, (exp.Where, exp.Having)) and isinstance(node.this, exp.And):
        parts = list(node.this.flatten())
        for i in range(len(parts)):
            yield lambda n, i=i: type(n)(
                this=exp.and_(*[p.copy() for j, p in enumerate(n.this.flatten()) if j != i])
            )


def _without(node: exp.Expression, arg: str) -> exp.Expression:
    out = node.copy()
    out.set(arg, None)
    return out


def neighbours(
    sql: str, schema: Schema, *, limit: int | None = None, seed: int = 0, check: bool = True
) -> list[str]:
    """Distinct one-edit variants of `sql`, shuffled by `seed` and cut to `limit`.

    With `check`, only variants that run on an empty database of the schema are returned.
    """
    tree = parse(sql, schema)
    ctes = cte_names(tree)
    original = to_sql(tree)
    nodes = list(tree.walk())
    variants: list[str] = []
    for index, node in enumerate(nodes):
        if node.find_ancestor(exp.Join) is not None:
            continue  # join conditions follow the foreign keys; parsers rarely get them wrong
        for edit in _node_edits(node, schema, ctes):
            copy = tree.copy()
            target = list(copy.walk())[index]
            replacement = edit(target)
            if target is copy:
                copy = replacement
            else:
                target.replace(replacement)
            text = to_sql(copy)
            if text != original and text not in variants:
                variants.append(text)
    random.Random(seed).shuffle(variants)
    if check:
        with Sandbox(schema) as box:
            box.load({})
            variants = [v for v in variants if _runs(v, schema, box)]
    return variants[:limit] if limit is not None else variants


def _runs(sql: str, schema: Schema, box: Sandbox) -> bool:
    try:
        parse(sql, schema)
    except ApelError:
        return False
    return not isinstance(box.try_run(sql), Exception)
