"""A canonical spelling of a query, so trivially different spellings merge into one candidate.

sqlglot's `qualify` resolves every column to its table and normalises identifier case; then the
operands of AND/OR chains and of = and != are sorted, and the text is lower-cased (string
comparisons are case-insensitive in APEL anyway). Queries it cannot qualify fall back to the
parsed, re-printed form. Anything this misses is caught by the fuzzed test suite in `candidates`.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.qualify import qualify

from ml.apel.parsing import DIALECT, parse
from ml.apel.schema import Schema


def _mapping(schema: Schema) -> dict[str, dict[str, str]]:
    return {t.name.lower(): {c.name.lower(): (c.type or "TEXT") for c in t.columns} for t in schema.tables}


def _sort_commutative(tree: exp.Expression) -> exp.Expression:
    def visit(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Connector) and not isinstance(node.parent, type(node)):
            parts = sorted(node.flatten(), key=lambda e: e.sql(dialect=DIALECT))
            rebuilt = parts[0].copy()
            for p in parts[1:]:
                rebuilt = type(node)(this=rebuilt, expression=p.copy())
            return rebuilt
        if isinstance(node, (exp.EQ, exp.NEQ)):
            left, right = node.this, node.expression
            if left.sql(dialect=DIALECT) > right.sql(dialect=DIALECT):
                return type(node)(this=right.copy(), expression=left.copy())
        return node

    return tree.transform(visit)


def canonical_sql(sql: str, schema: Schema | None = None) -> str:
    """The canonical text of `sql` (raises ApelError if it does not parse)."""
    tree = parse(sql, schema)
    if schema is not None:
        try:
            tree = qualify(
                tree.copy(), schema=_mapping(schema), dialect=DIALECT, quote_identifiers=False,
                identify=False, validate_qualify_columns=False,
            )  # fmt: skip
        except (SqlglotError, KeyError, ValueError, AttributeError):
            pass  # keep the unqualified tree
    return _sort_commutative(tree).sql(dialect=DIALECT).lower()
