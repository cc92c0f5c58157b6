"""Database schemas: tables, columns, types, keys and constraints, read from SQLite, DDL or Spider.

All three readers return the same `Schema` record. Names keep their original spelling; lookups are
case-insensitive because SQL identifiers are. `to_ddl` writes the schema back as CREATE TABLE
statements for the in-memory databases APEL synthesizes.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ml.apel.errors import ApelError

# Kinds drive value generation; families are what the three readers can all agree on
# (a Spider entry only says "number", while SQLite says INTEGER or REAL).
KINDS = ("integer", "real", "number", "text", "time", "boolean")
_FAMILY = {"integer": "number", "real": "number", "number": "number", "boolean": "number"}


def type_kind(declared: str) -> str:
    """Map a declared SQL type to a value kind, following SQLite's affinity rules loosely."""
    t = declared.upper()
    if "INT" in t:
        return "integer"
    if "BOOL" in t:
        return "boolean"
    if any(k in t for k in ("DATE", "TIME", "YEAR")):
        return "time"
    if any(k in t for k in ("CHAR", "CLOB", "TEXT")):
        return "text"
    if any(k in t for k in ("REAL", "FLOA", "DOUB")):
        return "real"
    if any(k in t for k in ("NUM", "DEC")):
        return "number"
    return "text"  # no type or BLOB: values are free-form, treat them as text


@dataclass
class Column:
    name: str
    type: str = ""  # the declared type as written
    not_null: bool = False

    @property
    def kind(self) -> str:
        return type_kind(self.type)

    @property
    def family(self) -> str:
        return _FAMILY.get(self.kind, self.kind)


@dataclass
class ForeignKey:
    columns: list[str]
    ref_table: str
    ref_columns: list[str]


@dataclass
class Table:
    name: str
    columns: list[Column]
    primary_key: list[str] = field(default_factory=list)
    unique: list[list[str]] = field(default_factory=list)  # UNIQUE constraints other than the PK
    foreign_keys: list[ForeignKey] = field(default_factory=list)

    def column(self, name: str) -> Column | None:
        low = name.lower()
        return next((c for c in self.columns if c.name.lower() == low), None)

    def index(self, name: str) -> int:
        low = name.lower()
        for i, c in enumerate(self.columns):
            if c.name.lower() == low:
                return i
        raise KeyError(name)

    def required(self, name: str) -> bool:
        """True when the column may not hold NULL (declared NOT NULL or part of the primary key)."""
        col = self.column(name)
        return bool(col and (col.not_null or name.lower() in {k.lower() for k in self.primary_key}))

    def keys(self) -> list[list[str]]:
        """Every column set whose values must be unique: the primary key, then UNIQUE constraints."""
        return ([self.primary_key] if self.primary_key else []) + [u for u in self.unique if u]


@dataclass
class Schema:
    tables: list[Table]
    name: str = ""

    def table(self, name: str) -> Table | None:
        low = name.lower()
        return next((t for t in self.tables if t.name.lower() == low), None)

    def has_column(self, table: str, column: str) -> bool:
        t = self.table(table)
        return bool(t and t.column(column))

    def fk_pairs(self) -> set[tuple[str, str, str, str]]:
        """Foreign keys flattened to lower-cased (table, column, parent table, parent column) pairs."""
        pairs = set()
        for t in self.tables:
            for fk in t.foreign_keys:
                for c, rc in zip(fk.columns, fk.ref_columns, strict=True):
                    pairs.add((t.name.lower(), c.lower(), fk.ref_table.lower(), rc.lower()))
        return pairs

    def parents(self, table: str) -> list[str]:
        t = self.table(table)
        if t is None:
            return []
        out = []
        for fk in t.foreign_keys:
            parent = self.table(fk.ref_table)
            if parent is not None and parent.name != t.name and parent.name not in out:
                out.append(parent.name)
        return out

    def with_ancestors(self, tables: list[str]) -> list[str]:
        """The given tables plus every table they reference through foreign keys, transitively."""
        seen: list[str] = []
        stack = [t.name for name in tables if (t := self.table(name)) is not None]
        while stack:
            name = stack.pop()
            if name not in seen:
                seen.append(name)
                stack.extend(self.parents(name))
        return seen

    def fk_order(self, tables: list[str] | None = None) -> list[str]:
        """Tables ordered parents first. Cycles are broken by schema order (see `cyclic_fks`)."""
        names = [t.name for t in self.tables] if tables is None else [self.table(n).name for n in tables]
        order: list[str] = []
        pending = list(names)
        while pending:
            ready = [n for n in pending if all(p in order or p not in names for p in self.parents(n))]
            pick = ready[0] if ready else pending[0]  # a cycle: take the first and carry on
            order.append(pick)
            pending.remove(pick)
        return order

    def declarable(self, table: Table, fk: ForeignKey) -> bool:
        """Whether SQLite can enforce this FK: its parent exists, the parent columns form a key, and
        it is not part of a cycle between tables (a cycle could never be filled row by row)."""
        parent = self.table(fk.ref_table)
        if parent is None or any(parent.column(c) is None for c in fk.ref_columns):
            return False
        if {c.lower() for c in fk.ref_columns} not in [{c.lower() for c in k} for k in parent.keys()]:
            return False
        return self.acyclic(table, fk)

    def acyclic(self, table: Table, fk: ForeignKey) -> bool:
        """False when the FK's parent (a different table) also depends on `table`, directly or not."""
        parent = self.table(fk.ref_table)
        if parent is None or parent.name == table.name:
            return parent is not None
        return table.name not in self.with_ancestors([parent.name])

    def to_ddl(self, *, constraints: bool = True, nocase: bool = True) -> str:
        """CREATE TABLE statements. `nocase` gives text columns COLLATE NOCASE, which is how APEL
        makes string comparisons case-insensitive; `constraints=False` keeps only columns and types
        (used to load original data that may break its own declared constraints)."""
        statements = []
        for t in self.tables:
            parts = []
            for c in t.columns:
                piece = f"{quote(c.name)} {c.type}".rstrip()
                if nocase and c.kind in ("text", "time"):
                    piece += " COLLATE NOCASE"
                if constraints and c.not_null:
                    piece += " NOT NULL"
                parts.append(piece)
            if constraints:
                if t.primary_key:
                    parts.append(f"PRIMARY KEY ({', '.join(quote(k) for k in t.primary_key)})")
                for u in t.unique:
                    parts.append(f"UNIQUE ({', '.join(quote(k) for k in u)})")
                for fk in t.foreign_keys:
                    if self.declarable(t, fk):
                        cols = ", ".join(quote(c) for c in fk.columns)
                        refs = ", ".join(quote(c) for c in fk.ref_columns)
                        parent = self.table(fk.ref_table).name
                        parts.append(f"FOREIGN KEY ({cols}) REFERENCES {quote(parent)} ({refs})")
            statements.append(f"CREATE TABLE {quote(t.name)} (\n  " + ",\n  ".join(parts) + "\n);")
        return "\n".join(statements)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "tables": [
                {
                    "name": t.name,
                    "columns": [[c.name, c.type, c.not_null] for c in t.columns],
                    "primary_key": list(t.primary_key),
                    "unique": [list(u) for u in t.unique],
                    "foreign_keys": [[fk.columns, fk.ref_table, fk.ref_columns] for fk in t.foreign_keys],
                }
                for t in self.tables
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Schema:
        tables = [
            Table(
                name=t["name"],
                columns=[Column(n, ty, bool(nn)) for n, ty, nn in t["columns"]],
                primary_key=list(t["primary_key"]),
                unique=[list(u) for u in t["unique"]],
                foreign_keys=[ForeignKey(list(c), rt, list(rc)) for c, rt, rc in t["foreign_keys"]],
            )
            for t in data["tables"]
        ]
        return cls(tables=tables, name=data.get("name", ""))


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def schema_from_sqlite(path: str | Path) -> Schema:
    """Read a schema from a SQLite database file (opened read-only)."""
    path = Path(path)
    if not path.is_file():
        raise ApelError(f"no SQLite database at {path}")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as e:
        raise ApelError(f"cannot open {path}: {e}") from None
    try:
        schema = read_schema(conn)
    except sqlite3.DatabaseError as e:
        raise ApelError(f"{path} is not a readable SQLite database: {e}") from None
    finally:
        conn.close()
    schema.name = path.stem
    return schema


def schema_from_ddl(ddl: str, name: str = "") -> Schema:
    """Read a schema from CREATE TABLE text by running it in a scratch in-memory database.

    SQLite itself is the parser, so whatever SQLite accepts works. Statements that could touch
    the file system (ATTACH, VACUUM INTO) or load code are refused; the scratch DB is discarded.
    """
    if not ddl.strip():
        raise ApelError("the DDL text is empty")
    conn = sqlite3.connect(":memory:")
    deadline = time.monotonic() + 2.0
    conn.set_authorizer(_ddl_authorizer)
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 1000)
    try:
        conn.executescript(ddl)
        conn.set_authorizer(None)
        conn.set_progress_handler(None, 0)
        schema = read_schema(conn)
    except sqlite3.Error as e:
        raise ApelError(f"invalid DDL: {e}") from None
    finally:
        conn.close()
    if not schema.tables:
        raise ApelError("the DDL defines no tables")
    schema.name = name
    return schema


def _ddl_authorizer(action: int, arg1: str | None, arg2: str | None, db: str | None, src: str | None) -> int:
    if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH, sqlite3.SQLITE_CREATE_VTABLE):
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_PRAGMA and (arg1 or "").lower() != "foreign_keys":
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() == "load_extension":
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def read_schema(conn: sqlite3.Connection) -> Schema:
    """Read tables, columns, keys and constraints from an open SQLite connection."""
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
        )
    ]
    tables = []
    for name in names:
        info = conn.execute(f"PRAGMA table_info({quote(name)})").fetchall()
        columns = [Column(r[1], r[2] or "", bool(r[3])) for r in info]
        pk = [r[1] for r in sorted((r for r in info if r[5]), key=lambda r: r[5])]
        unique = []
        for idx in conn.execute(f"PRAGMA index_list({quote(name)})").fetchall():
            _, idx_name, is_unique, origin, partial = idx[:5]
            if not is_unique or origin == "pk" or partial:
                continue
            cols = [r[2] for r in conn.execute(f"PRAGMA index_info({quote(idx_name)})").fetchall()]
            if cols and all(c is not None for c in cols) and cols not in unique and cols != pk:
                unique.append(cols)
        fks: dict[int, ForeignKey] = {}
        for r in conn.execute(f"PRAGMA foreign_key_list({quote(name)})").fetchall():
            fk_id, _, parent, child_col, parent_col = r[:5]
            fk = fks.setdefault(fk_id, ForeignKey([], parent, []))
            fk.columns.append(child_col)
            fk.ref_columns.append(parent_col)  # None means "the parent's primary key"; resolved below
        tables.append(Table(name, columns, pk, unique, list(fks.values())))
    schema = Schema(tables)
    for t in tables:
        t.foreign_keys = [fk for fk in (_resolve_fk(schema, t, fk) for fk in t.foreign_keys) if fk]
    return schema


def _resolve_fk(schema: Schema, table: Table, fk: ForeignKey) -> ForeignKey | None:
    """Fix the parent's spelling, fill implicit parent columns, and drop FKs that point nowhere
    (real Spider files contain a few)."""
    parent = schema.table(fk.ref_table)
    if parent is None or any(table.column(c) is None for c in fk.columns):
        return None
    refs = fk.ref_columns
    if any(r is None for r in refs):
        if len(parent.primary_key) != len(fk.columns):
            return None
        refs = parent.primary_key
    resolved = [parent.column(r) for r in refs]
    if any(r is None for r in resolved):
        return None
    return ForeignKey([table.column(c).name for c in fk.columns], parent.name, [r.name for r in resolved])


_SPIDER_TYPES = {"text": "TEXT", "number": "NUMBER", "time": "DATETIME", "boolean": "BOOLEAN", "others": ""}


def schema_from_spider(entry: dict[str, Any]) -> Schema:
    """Build a schema from one entry of a Spider-format tables.json.

    Spider records no NOT NULL or UNIQUE constraints and only coarse types; a "number" column that
    is a key gets INTEGER, the others NUMBER (numeric affinity).
    """
    try:
        table_names = entry.get("table_names_original") or entry["table_names"]
        column_names = entry.get("column_names_original") or entry["column_names"]
        types = entry["column_types"]
        pks = entry.get("primary_keys", [])
        fk_pairs = entry.get("foreign_keys", [])
    except (KeyError, TypeError, AttributeError) as e:
        raise ApelError(f"not a Spider tables.json entry: missing {e}") from None
    if len(types) != len(column_names):
        raise ApelError("column_types and column_names differ in length")
    key_cols = set()
    for pk in pks:
        key_cols.update(pk if isinstance(pk, list) else [pk])
    for child, parent in fk_pairs:
        key_cols.update((child, parent))
    tables = [Table(str(name), []) for name in table_names]
    where: dict[int, tuple[Table, str]] = {}
    for i, ((t_idx, col), ty) in enumerate(zip(column_names, types, strict=True)):
        if t_idx < 0:
            continue  # the "*" pseudo-column
        if not 0 <= t_idx < len(tables):
            raise ApelError(f"column {col!r} points at missing table {t_idx}")
        declared = _SPIDER_TYPES.get(ty, "")
        if ty == "number" and i in key_cols:
            declared = "INTEGER"
        tables[t_idx].columns.append(Column(str(col), declared))
        where[i] = (tables[t_idx], str(col))
    for pk in pks:
        idxs = pk if isinstance(pk, list) else [pk]
        if all(i in where for i in idxs):
            owner = where[idxs[0]][0]
            if all(where[i][0] is owner for i in idxs):
                owner.primary_key = [where[i][1] for i in idxs]
    for child, parent in fk_pairs:
        if child in where and parent in where:
            (ct, cc), (pt, pc) = where[child], where[parent]
            ct.foreign_keys.append(ForeignKey([cc], pt.name, [pc]))
    return Schema(tables, name=str(entry.get("db_id", "")))


def load_spider_tables(path: str | Path) -> dict[str, Schema]:
    """Every schema in a Spider-format tables.json, by db_id."""
    try:
        entries = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise ApelError(f"cannot read tables.json at {path}: {e}") from None
    if not isinstance(entries, list):
        raise ApelError("tables.json must hold a list of schema entries")
    return {str(e.get("db_id")): schema_from_spider(e) for e in entries}
