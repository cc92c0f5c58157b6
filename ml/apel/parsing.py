"""Reading candidate SQL with sqlglot: parsing, and finding which tables and columns it touches.

Spider-style SQL often writes string literals in double quotes ("John"); SQLite accepts that and
sqlglot reads it as a quoted identifier. `parse` turns such identifiers back into string literals
when they name no column, so literal extraction and rewriting see them as values.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from ml.apel.errors import ApelError
from ml.apel.schema import Schema

DIALECT = "sqlite"


def parse(sql: str, schema: Schema | None = None) -> exp.Expression:
    """Parse exactly one statement; raise ApelError with the reason otherwise."""
    try:
        statements = [s for s in sqlglot.parse(sql, read=DIALECT) if s is not None]
    except SqlglotError as e:
        raise ApelError(f"cannot parse SQL: {str(e).splitlines()[0]}") from None
    if not statements:
        raise ApelError("empty SQL")
    if len(statements) > 1:
        raise ApelError(f"expected one statement, found {len(statements)}")
    tree = statements[0]
    if schema is not None:
        _unquote_string_literals(tree, schema)
    return tree


def to_sql(tree: exp.Expression) -> str:
    return tree.sql(dialect=DIALECT)


def _unquote_string_literals(tree: exp.Expression, schema: Schema) -> None:
    known = {c.name.lower() for t in schema.tables for c in t.columns}
    aliases = {a.alias.lower() for a in tree.find_all(exp.Alias)}
    for col in list(tree.find_all(exp.Column)):
        ident = col.this
        if (
            isinstance(ident, exp.Identifier)
            and ident.quoted
            and not col.table
            and ident.name.lower() not in known
            and ident.name.lower() not in aliases
        ):
            col.replace(exp.Literal.string(ident.name))


def select_sources(select: exp.Select) -> list[exp.Expression]:
    """The FROM item and JOIN items of one SELECT (sqlglot renamed `from` to `from_` at some point)."""
    items = []
    src = select.args.get("from_") or select.args.get("from")
    if src is not None:
        items.append(src.this)
    for join in select.args.get("joins") or []:
        items.append(join.this)
    return items


def cte_names(tree: exp.Expression) -> set[str]:
    return {cte.alias.lower() for cte in tree.find_all(exp.CTE) if cte.alias}


def _scope_tables(select: exp.Select, schema: Schema, ctes: set[str]) -> dict[str, str]:
    """alias (lower-cased) -> real table name, for schema tables named directly in this SELECT."""
    out = {}
    for item in select_sources(select):
        if isinstance(item, exp.Table) and item.name.lower() not in ctes:
            table = schema.table(item.name)
            if table is not None:
                out[(item.alias or item.name).lower()] = table.name
                out.setdefault(table.name.lower(), table.name)
    return out


def resolve_column(col: exp.Column, schema: Schema, ctes: set[str] | None = None) -> list[tuple[str, str]]:
    """The (table, column) pairs a column reference may mean, innermost scope first.

    Qualified references follow their alias outward through enclosing SELECTs (correlated
    subqueries); unqualified ones take the first scope with a table having that column.
    """
    ctes = cte_names(col.root()) if ctes is None else ctes
    name = col.name
    qualifier = col.table.lower() if col.table else ""
    node = col.find_ancestor(exp.Select)
    while node is not None:
        tables = _scope_tables(node, schema, ctes)
        if qualifier:
            if qualifier in tables and schema.has_column(tables[qualifier], name):
                return [(tables[qualifier], schema.table(tables[qualifier]).column(name).name)]
        else:
            hits = []
            for t in dict.fromkeys(tables.values()):
                c = schema.table(t).column(name)
                if c is not None:
                    hits.append((t, c.name))
            if hits:
                return hits
        node = node.parent.find_ancestor(exp.Select) if node.parent is not None else None
    if qualifier and schema.has_column(qualifier, name):
        t = schema.table(qualifier)
        return [(t.name, t.column(name).name)]
    return []


def tables_in(trees: Iterable[exp.Expression], schema: Schema) -> list[str]:
    """Schema tables named anywhere in the queries, in schema order."""
    found = set()
    for tree in trees:
        ctes = cte_names(tree)
        for t in tree.find_all(exp.Table):
            if t.name.lower() not in ctes and schema.table(t.name) is not None:
                found.add(schema.table(t.name).name)
    return [t.name for t in schema.tables if t.name in found]


def columns_in(trees: Iterable[exp.Expression], schema: Schema) -> dict[str, set[str]]:
    """Columns each query mentions, by table; a bare `*` or `t.*` mentions every column of its tables."""
    out: dict[str, set[str]] = {}
    for tree in trees:
        ctes = cte_names(tree)
        for col in tree.find_all(exp.Column):
            if isinstance(col.this, exp.Star):
                continue
            for table, column in resolve_column(col, schema, ctes):
                out.setdefault(table, set()).add(column)
        for star in tree.find_all(exp.Star):
            if isinstance(star.parent, exp.Count):
                continue  # COUNT(*) reads no column
            select = star.find_ancestor(exp.Select)
            if select is None:
                continue
            tables = _scope_tables(select, schema, ctes)
            owner = star.parent.table.lower() if isinstance(star.parent, exp.Column) else ""
            for alias, table in tables.items():
                if not owner or alias == owner:
                    out.setdefault(table, set()).update(c.name for c in schema.table(table).columns)
    return out


def has_top_level_order(tree: exp.Expression) -> bool:
    """Whether the outermost query orders its rows (then row order is part of the output)."""
    return tree.args.get("order") is not None


def order_key_columns(trees: Iterable[exp.Expression], schema: Schema) -> set[tuple[str, str]]:
    """(table, column) pairs that some query sorts by directly (ORDER BY col)."""
    out = set()
    for tree in trees:
        ctes = cte_names(tree)
        for ordered in tree.find_all(exp.Ordered):
            if isinstance(ordered.this, exp.Column):
                out.update(resolve_column(ordered.this, schema, ctes))
    return out
