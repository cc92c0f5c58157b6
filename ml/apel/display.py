"""What the annotator sees: the relevant part of a database, and where the options differ.

Only tables the candidates mention are shown, and in them only the mentioned columns, primary key
first (a table read only through COUNT(*) still shows its key, so rows can be counted). Foreign-key
parents are merged in: when a shown table references another shown table, the parent's mentioned
columns are repeated beside the child's foreign key (as "parent.column"), so a join can be read
off one row. Parents are still shown on their own too (their unreferenced rows matter).

Everything returned is plain lists and dicts, ready for a template or JSON.
"""

from __future__ import annotations

from typing import Any

from ml.apel.equivalence import normalize_value
from ml.apel.execute import Database
from ml.apel.parsing import columns_in, parse, tables_in
from ml.apel.schema import Schema

Tables = dict[str, dict[str, list[Any]]]  # {table: {"columns": [...], "rows": [[...], ...]}}


def plain(value: Any) -> Any:
    """A JSON-safe cell: blobs become hex text, everything else is kept."""
    return value.hex() if isinstance(value, bytes) else value


def shown_columns(schema: Schema, sqls: list[str]) -> dict[str, list[str]]:
    """Per shown table, its displayed columns in order: primary key, then the rest by schema order."""
    trees = [parse(s, schema) for s in sqls]
    mentioned = columns_in(trees, schema)
    shown = tables_in(trees, schema)
    out = {}
    for name in shown:
        table = schema.table(name)
        want = {c.lower() for c in mentioned.get(name, set())}
        for fk in table.foreign_keys:
            parent = schema.table(fk.ref_table)
            if parent is not None and parent.name in shown and parent.name != name:
                want.update(c.lower() for c in fk.columns)  # keep the link to a shown parent visible
        pk = list(table.primary_key)
        rest = [c.name for c in table.columns if c.name.lower() in want and c.name not in pk]
        cols = pk + rest
        out[name] = cols or [table.columns[0].name]
    return out


def display_tables(schema: Schema, db: Database, sqls: list[str]) -> Tables:
    """The displayed tables for database `db` and candidate queries `sqls`."""
    columns = shown_columns(schema, sqls)
    out: Tables = {}
    for name, cols in columns.items():
        table = schema.table(name)
        idx = [table.index(c) for c in cols]
        header = list(cols)
        lookups = []
        for fk in table.foreign_keys:
            parent = schema.table(fk.ref_table)
            if parent is None or parent.name == name or parent.name not in columns:
                continue
            extra = [
                c for c in columns[parent.name] if c not in fk.ref_columns and c not in parent.primary_key
            ]
            if not extra:
                continue
            ref_idx = [parent.index(c) for c in fk.ref_columns]
            extra_idx = [parent.index(c) for c in extra]
            index = {tuple(r[j] for j in ref_idx): [r[j] for j in extra_idx] for r in db.get(parent.name, [])}
            lookups.append(([table.index(c) for c in fk.columns], index, len(extra)))
            header += [f"{parent.name}.{c}" for c in extra]
        rows = []
        for r in db.get(name, []):
            row = [plain(r[i]) for i in idx]
            for own_idx, index, width in lookups:
                row += [plain(v) for v in index.get(tuple(r[i] for i in own_idx), [None] * width)]
            rows.append(row)
        out[name] = {"columns": header, "rows": rows}
    return out


def rows_shown(tables: Tables) -> int:
    return sum(len(t["rows"]) for t in tables.values())


def mark_differences(outputs: list[list[list[Any]]]) -> list[dict[str, list[Any]]]:
    """For each option's rows, which rows and cells are not shared by every option.

    A row is marked when some other option lacks it (compared as a multiset of normalised values,
    ignoring column order). A cell is marked when some other option has no equal value in the same
    column position (or anywhere, when the options have different widths).
    """

    def row_key(row: list[Any]) -> str:
        return repr(sorted((normalize_value(v) for v in row), key=lambda p: (p[0], p[1])))

    row_sets = [[row_key(r) for r in rows] for rows in outputs]
    marks = []
    for k, rows in enumerate(outputs):
        others = [j for j in range(len(outputs)) if j != k]
        row_marks, cell_marks = [], []
        for i, row in enumerate(rows):
            key = row_sets[k][i]
            row_marks.append(any(key not in row_sets[j] for j in others))
            cells = []
            for c, v in enumerate(row):
                nv = normalize_value(v)
                missing = False
                for j in others:
                    same_width = all(len(r) == len(row) for r in outputs[j])
                    pool = (
                        [normalize_value(r[c]) for r in outputs[j]]
                        if same_width
                        else [normalize_value(x) for r in outputs[j] for x in r]
                    )
                    missing = missing or nv not in pool
                cells.append(missing)
            cell_marks.append(cells)
        marks.append({"rows": row_marks, "cells": cell_marks})
    return marks
