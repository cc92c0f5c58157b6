"""Random databases that respect the schema: types, NOT NULL, PRIMARY KEY, UNIQUE and FOREIGN KEY.

Each column draws from a pool: the candidates' literals, their perturbations, a sample of the
original database's values (when we have it) and a few generic values of the column's kind. Each
database picks a small random palette from every pool, so values repeat (GROUP BY, DISTINCT and
COUNT differ only when they do) and boundary values appear often. Tables are filled parents
first; a child row takes its foreign-key values from an existing parent row. A row that would
break a key is repaired with a fresh value where possible, otherwise dropped.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from ml.apel.execute import Database
from ml.apel.literals import ColumnKey, extract_literals, perturb
from ml.apel.parsing import order_key_columns
from ml.apel.schema import Schema, Table

WORDS = (
    "Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy", "Kim", "Leo",
    "Mia", "Nina", "Omar", "Paul", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Victor", "Wendy", "Yuri",
)  # fmt: skip


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


@dataclass
class ColumnPool:
    literals: list[Any] = field(default_factory=list)  # constants from the candidates
    nearby: list[Any] = field(default_factory=list)  # their perturbations
    original: list[Any] = field(default_factory=list)  # values seen in the original database
    distinct: bool = False  # a sort key of some candidate: prefer values that do not repeat


@dataclass
class FuzzConfig:
    max_rows: int = 6  # rows per table are drawn from 1..max_rows
    null_prob: float = 0.1  # chance that a nullable cell is NULL
    attempts: int = 3  # tries per wanted row before giving up on it


def original_sample(db: Database, schema: Schema, limit: int = 20) -> dict[ColumnKey, list[Any]]:
    """Up to `limit` distinct non-NULL values per column, most frequent first (ties by first seen)."""
    out: dict[ColumnKey, list[Any]] = {}
    for t in schema.tables:
        rows = db.get(t.name, [])
        for i, c in enumerate(t.columns):
            counts: dict[Any, int] = {}
            for r in rows:
                v = r[i]
                if v is not None and not isinstance(v, bytes):
                    counts[v] = counts.get(v, 0) + 1
            ranked = sorted(counts, key=lambda v: -counts[v])
            if ranked:
                out[(t.name, c.name)] = ranked[:limit]
    return out


def build_pools(
    schema: Schema,
    literals: dict[ColumnKey, list[Any]],
    original: dict[ColumnKey, list[Any]] | None = None,
    sort_keys: set[ColumnKey] | None = None,
) -> dict[ColumnKey, ColumnPool]:
    """One pool per column. `sort_keys` are columns some candidate orders by: repeated values there
    make ORDER BY ... LIMIT ambiguous, so their palettes are kept mostly distinct."""
    pools: dict[ColumnKey, ColumnPool] = {}
    for t in schema.tables:
        for c in t.columns:
            key = (t.name, c.name)
            lits = list(literals.get(key, []))
            near = [p for v in lits for p in perturb(v, c.kind) if p not in lits]
            pools[key] = ColumnPool(
                lits,
                list(dict.fromkeys(near)),
                list((original or {}).get(key, [])),
                key in (sort_keys or set()),
            )
    return pools


def pools_for(
    schema: Schema, trees: list[exp.Expression], original: dict[ColumnKey, list[Any]] | None = None
) -> dict[ColumnKey, ColumnPool]:
    """Pools seeded from parsed candidate queries (literals, sort keys) and original values."""
    return build_pools(schema, extract_literals(trees, schema), original, order_key_columns(trees, schema))


def value_kind(kind: str, pool: ColumnPool) -> str:
    """The column's kind, refined by the values it really holds: a TEXT column of ISO dates is
    filled with dates, one of integers with integers (as text, like Spider's car_1.Horsepower)."""
    if kind != "text":
        return kind
    seen = [v for v in pool.original + pool.literals if v is not None]
    if seen and all(isinstance(v, str) and _ISO_DATE.match(v) for v in seen):
        return "time"
    if seen and all(isinstance(v, str) and v.strip().lstrip("-").isdigit() for v in seen):
        return "digits"
    return kind


def generic_value(kind: str, rng: random.Random, pool: ColumnPool, fresh: int = 0) -> Any:
    """A plausible value of a kind, near the pool's numbers when it has some. `fresh` > 0 asks for a
    value unlikely to repeat (used to repair key collisions)."""
    kind = value_kind(kind, pool)
    if kind == "digits":
        return str(
            generic_value(
                "integer", rng, ColumnPool(_as_ints(pool.literals), [], _as_ints(pool.original)), fresh
            )
        )
    numbers = [
        v for v in pool.literals + pool.original if isinstance(v, (int, float)) and not isinstance(v, bool)
    ]
    if kind in ("integer", "number", "boolean"):
        if kind == "boolean":
            return rng.randint(0, 1)
        if fresh:
            return (max(numbers, default=0) if numbers else 0) + fresh + rng.randint(1, 50)
        if numbers:
            value = int(rng.choice(numbers)) + rng.randint(-3, 3)
            return max(value, 0) if min(numbers) >= 0 else value  # no negative ids or counts
        return rng.randint(1, 10)
    if kind == "real":
        base = rng.choice(numbers) if numbers else rng.uniform(1, 100)
        return round(base + rng.uniform(-5, 5) + fresh * 10.5, 1)
    if kind == "time":
        dates = [v for v in pool.literals + pool.original if isinstance(v, str) and _ISO_DATE.match(v)]
        start = dt.date.fromisoformat(rng.choice(dates)[:10]) if dates else dt.date(2000, 1, 1)
        day = start + dt.timedelta(days=rng.randint(-400, 400) + fresh * 3)
        return str(day)
    word = rng.choice(WORDS)
    return f"{word} {fresh}" if fresh else word


def _as_ints(values: list[Any]) -> list[int]:
    out = []
    for v in values:
        try:
            out.append(int(str(v).strip()))
        except ValueError:
            pass
    return out


def _palette(pool: ColumnPool, kind: str, rng: random.Random, size_hint: int) -> list[Any]:
    """This database's values for one column: most literals, some neighbours, a few others."""
    pal = [v for v in pool.literals if rng.random() < 0.8]
    pal += [v for v in pool.nearby if rng.random() < 0.4]
    # Palette sizes vary between databases: small ones repeat values (GROUP BY, DISTINCT, ties),
    # large ones keep rows apart (which row has the maximum).
    if pool.original:
        pal += rng.sample(pool.original, min(len(pool.original), rng.randint(1, max(1, size_hint))))
    extra = size_hint + 2 if pool.distinct else rng.randint(1, max(1, size_hint))
    for _ in range(extra):
        pal.append(generic_value(kind, rng, pool))
    return list(dict.fromkeys(pal))


def random_database(
    schema: Schema,
    tables: list[str],
    pools: dict[ColumnKey, ColumnPool],
    rng: random.Random,
    config: FuzzConfig | None = None,
) -> Database:
    """One random database over `tables` (which should include their FK ancestors)."""
    config = config or FuzzConfig()
    db: Database = {}
    for name in schema.fk_order(tables):
        table = schema.table(name)
        n = rng.randint(1, config.max_rows)
        palettes = [
            _palette(pools.get((name, c.name)) or ColumnPool(), c.kind, rng, n) for c in table.columns
        ]
        db[name] = _fill_table(schema, table, n, db, palettes, pools, rng, config)
    return db


def _fill_table(
    schema: Schema,
    table: Table,
    n: int,
    db: Database,
    palettes: list[list[Any]],
    pools: dict[ColumnKey, ColumnPool],
    rng: random.Random,
    config: FuzzConfig,
) -> list[list[Any]]:
    cols = table.columns
    required = [table.required(c.name) for c in cols]
    key_idx = [[table.index(k) for k in key] for key in table.keys()]
    pk_idx = set(key_idx[0]) if table.primary_key else set()
    fk_plans = []
    for fk in table.foreign_keys:
        parent = schema.table(fk.ref_table)
        if parent.name != table.name and parent.name not in db:
            continue  # part of a cycle filled later: the FK is not declared (see Schema.declarable)
        fk_plans.append(
            ([table.index(c) for c in fk.columns], parent, [parent.index(c) for c in fk.ref_columns])
        )
    fk_cols = {i for idxs, _, _ in fk_plans for i in idxs}
    text = [c.kind in ("text", "time") for c in cols]
    seen: list[set[tuple[Any, ...]]] = [set() for _ in key_idx]
    rows: list[list[Any]] = []
    for _ in range(n * config.attempts):
        if len(rows) >= n:
            break
        row = []
        for i in range(len(cols)):
            if not required[i] and rng.random() < config.null_prob:
                row.append(None)
            else:
                row.append(rng.choice(palettes[i]))
        if not _link_parents(row, fk_plans, table, rows, db, required, rng, config):
            continue
        fresh = 1
        for k, idxs in enumerate(key_idx):
            free = [i for i in idxs if i not in fk_cols]
            while free and fresh < 20 and _collides(row, idxs, seen[k], pk_idx, text):
                i = rng.choice(free)
                pool = pools.get((table.name, cols[i].name)) or ColumnPool()
                row[i] = generic_value(cols[i].kind, rng, pool, fresh)
                fresh += 1
        if any(_collides(row, idxs, seen[k], pk_idx, text) for k, idxs in enumerate(key_idx)):
            continue  # could not repair: drop the row
        if not _parents_exist(row, fk_plans, table, rows, db):
            continue  # a repair moved a self-reference away from its own key
        for k, idxs in enumerate(key_idx):
            seen[k].add(_key(row, idxs, text))
        rows.append(row)
    return rows


def _key(row: list[Any], idxs: list[int], text: list[bool]) -> tuple[Any, ...]:
    """Key values as SQLite compares them: text columns are NOCASE, numbers ignore int/float."""
    out = []
    for i in idxs:
        v = row[i]
        if v is None:
            out.append(None)
        elif text[i]:
            out.append(str(v).casefold())
        elif isinstance(v, (int, float)):
            out.append(float(v))
        else:
            out.append(str(v))
    return tuple(out)


def _collides(
    row: list[Any], idxs: list[int], seen: set[tuple[Any, ...]], pk_idx: set[int], text: list[bool]
) -> bool:
    key = _key(row, idxs, text)
    if any(v is None for v in key):
        return bool(set(idxs) & pk_idx)  # NULL never collides in UNIQUE, but a PK may not hold it
    return key in seen


def _parents_exist(
    row: list[Any],
    fk_plans: list[tuple[list[int], Table, list[int]]],
    table: Table,
    rows: list[list[Any]],
    db: Database,
) -> bool:
    for idxs, parent, ref_idxs in fk_plans:
        vals = [row[i] for i in idxs]
        if any(v is None for v in vals):
            continue
        source = rows + [row] if parent.name == table.name else db.get(parent.name, [])
        if not any([r[j] for j in ref_idxs] == vals for r in source):
            return False
    return True


def _link_parents(
    row: list[Any],
    fk_plans: list[tuple[list[int], Table, list[int]]],
    table: Table,
    rows: list[list[Any]],
    db: Database,
    required: list[bool],
    rng: random.Random,
    config: FuzzConfig,
) -> bool:
    """Point each foreign key at an existing parent row (or NULL). False if that is impossible."""
    for idxs, parent, ref_idxs in fk_plans:
        self_ref = parent.name == table.name
        source = rows if self_ref else db.get(parent.name, [])
        choices = [r for r in source if all(r[j] is not None for j in ref_idxs)]
        nullable = not any(required[i] for i in idxs)
        if nullable and (not choices or rng.random() < config.null_prob):
            for i in idxs:
                row[i] = None
        elif choices:
            target = rng.choice(choices)
            for i, j in zip(idxs, ref_idxs, strict=True):
                row[i] = target[j]
        elif self_ref and all(row[j] is not None for j in ref_idxs):
            for i, j in zip(idxs, ref_idxs, strict=True):
                row[i] = row[j]  # the first row of a self-referencing table points at itself
        else:
            return False
    return True


def mutable_columns(schema: Schema, table: Table) -> list[int]:
    """Columns whose values can change freely: in no key, no foreign key, and referenced by none."""
    fixed = {c.lower() for key in table.keys() for c in key}
    fixed |= {c.lower() for fk in table.foreign_keys for c in fk.columns}
    for other in schema.tables:
        for fk in other.foreign_keys:
            if fk.ref_table.lower() == table.name.lower():
                fixed |= {c.lower() for c in fk.ref_columns}
    return [i for i, c in enumerate(table.columns) if c.name.lower() not in fixed]


def mutate(
    db: Database,
    schema: Schema,
    tables: list[str],
    pools: dict[ColumnKey, ColumnPool],
    rng: random.Random,
    config: FuzzConfig | None = None,
    only: set[ColumnKey] | None = None,
) -> Database | None:
    """A copy of `db` with one free cell redrawn from its column's pool (None if nothing can
    change), optionally `only` among the given columns. Keys and foreign keys are never touched,
    so every constraint still holds."""
    config = config or FuzzConfig()
    spots = [
        (t, i)
        for t in tables
        if db.get(t)
        for i in mutable_columns(schema, schema.table(t))
        if only is None or (t, schema.table(t).columns[i].name) in only
    ]
    if not spots:
        return None
    name, col = rng.choice(spots)
    table = schema.table(name)
    column = table.columns[col]
    pool = pools.get((name, column.name)) or ColumnPool()
    choices = pool.literals + pool.nearby + pool.original
    if not table.required(column.name) and rng.random() < config.null_prob:
        value = None
    elif choices and rng.random() < 0.7:
        value = rng.choice(choices)
    else:
        value = generic_value(column.kind, rng, pool)
    out = {t: list(rows) for t, rows in db.items()}
    r = rng.randrange(len(out[name]))
    row = list(out[name][r])
    row[col] = value
    out[name][r] = row
    return out
