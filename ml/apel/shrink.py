"""Shrinking an informative database while keeping it informative.

Repeatedly delete a random block of rows, largest tables first; deleting a parent row also deletes
the child rows that pointed at it (a cascade, so foreign keys stay valid). A deletion is kept if
the expected remaining entropy does not rise. When a whole pass keeps nothing, the least harmful
deletion is forced so the search can keep trading information for size. Every state visited is
offered to a Pareto frontier of (rows shown, expected entropy); the caller picks from it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from ml.apel.execute import Database, row_count
from ml.apel.schema import Schema

EPS_TOL = 1e-9


@dataclass
class FrontierPoint:
    rows: int  # rows in the displayed tables
    expected_entropy: float
    db: Database


Link = tuple[str, list[int], str, list[int]]  # child table, its FK columns, parent table, parent columns


def fk_links(schema: Schema) -> list[Link]:
    """The foreign keys the fuzzer enforces (all but those in a cycle between tables), as indices."""
    links = []
    for t in schema.tables:
        for fk in t.foreign_keys:
            parent = schema.table(fk.ref_table)
            if parent is not None and schema.acyclic(t, fk):
                links.append(
                    (
                        t.name,
                        [t.index(c) for c in fk.columns],
                        parent.name,
                        [parent.index(c) for c in fk.ref_columns],
                    )
                )
    return links


def cascade_delete(
    db: Database, schema: Schema, table: str, indices: set[int], links: list[Link] | None = None
) -> Database:
    """A copy of `db` without the given rows of `table` and without rows that referenced them."""
    links = fk_links(schema) if links is None else links
    out = {name: list(rows) for name, rows in db.items()}
    out[table] = [r for i, r in enumerate(out[table]) if i not in indices]
    changed = True
    while changed:  # to a fixpoint: grandchildren, and self-references within a table
        changed = False
        for child, own_idx, parent, ref_idx in links:
            if child not in out or parent not in out:
                continue
            rows = out[child]
            present = {tuple(r[j] for j in ref_idx) for r in out[parent]}
            kept = [
                r
                for r in rows
                if any(r[i] is None for i in own_idx) or tuple(r[i] for i in own_idx) in present
            ]
            if len(kept) != len(rows):
                out[child] = kept
                changed = True
    return out


def add_to_frontier(frontier: list[FrontierPoint], point: FrontierPoint) -> list[FrontierPoint]:
    """Insert a point and drop every point it dominates (fewer or equal rows and entropy)."""
    for p in frontier:
        if p.rows <= point.rows and p.expected_entropy <= point.expected_entropy + EPS_TOL:
            return frontier  # dominated (or equal): keep the older point
    kept = [
        p
        for p in frontier
        if not (point.rows <= p.rows and point.expected_entropy <= p.expected_entropy + EPS_TOL)
    ]
    return sorted(kept + [point], key=lambda p: p.rows)


def shrink(
    db: Database,
    *,
    schema: Schema,
    shown: list[str],
    score: Callable[[Database], float | None],
    rng: random.Random,
    max_evals: int = 80,
    block_count: int = 4,
) -> list[FrontierPoint]:
    """Shrink `db` and return the Pareto frontier found. `score` gives expected entropy (lower is
    better) or None when a database is unusable (a candidate errors, or a tie)."""
    current, current_h = db, score(db)
    if current_h is None:
        return []
    frontier = [FrontierPoint(row_count(db, shown), current_h, db)]
    links = fk_links(schema)
    evals = 0
    while evals < max_evals and row_count(current, shown) > 1:
        kept_any = False
        forced: tuple[float, Database] | None = None
        order = sorted((t for t in current if current[t]), key=lambda t: (-len(current[t]), t not in shown))
        for table in order:
            period = min(len(current[table]), block_count)
            for _ in range(period):
                size = len(current[table])
                if evals >= max_evals or size == 0:
                    break
                block = set(rng.sample(range(size), max(1, round(size / period))))
                trial = cascade_delete(current, schema, table, block, links)
                evals += 1
                h = score(trial)
                if h is None:
                    continue
                if h <= current_h + EPS_TOL:
                    current, current_h, kept_any = trial, h, True
                    frontier = add_to_frontier(frontier, FrontierPoint(row_count(trial, shown), h, trial))
                elif forced is None or h < forced[0]:
                    forced = (h, trial)
        if not kept_any:
            if forced is None:
                break
            current_h, current = forced
            frontier = add_to_frontier(frontier, FrontierPoint(row_count(current, shown), current_h, current))
    return frontier
