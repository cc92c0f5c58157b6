"""Running candidate SQL on small databases with real SQLite, inside a sandbox.

A `Sandbox` holds one in-memory database with the schema created once. `load` fills it inside a
transaction and the next `load` rolls that back, so trying hundreds of databases costs only the
inserts. While a candidate runs, an authorizer allows reading and nothing else (no writes, no
ATTACH/DETACH, no PRAGMA, no load_extension), a progress handler enforces a wall-clock timeout,
and at most `row_cap` rows are fetched.

String comparisons are case-insensitive because text columns are created COLLATE NOCASE (see
`Schema.to_ddl`); output comparison also folds case (see `equivalence`).
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from ml.apel.errors import ApelError, ExecutionError
from ml.apel.schema import Schema, quote

# table name -> rows, each row a list of values in the table's column order.
Database = dict[str, list[list[Any]]]

_ALLOWED = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_RECURSIVE}
_DENIED_FUNCTIONS = {"load_extension", "readfile", "writefile", "edit", "fts3_tokenizer"}


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]


def _read_only(action: int, arg1: str | None, arg2: str | None, db: str | None, src: str | None) -> int:
    if action in _ALLOWED:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() not in _DENIED_FUNCTIONS:
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


class Sandbox:
    """An in-memory SQLite database for one schema that candidates can only read.

    `constraints=False` creates the tables without keys (for original data that may violate them).
    """

    def __init__(
        self, schema: Schema, *, constraints: bool = True, timeout_ms: float = 1000.0, row_cap: int = 10_000
    ):
        self.schema = schema
        self.timeout_ms = timeout_ms
        self.row_cap = row_cap
        self.conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA foreign_keys = ON")
        try:
            self.conn.executescript(schema.to_ddl(constraints=constraints))
        except sqlite3.Error as e:
            self.conn.close()
            raise ApelError(f"cannot create the schema: {e}") from None
        self._inserts = {
            t.name: f"INSERT INTO {quote(t.name)} VALUES ({', '.join('?' * len(t.columns))})"
            for t in schema.tables
        }

    def load(self, db: Database) -> None:
        """Replace the contents with `db`, parents first. Raises ApelError on a constraint violation."""
        unknown = [name for name in db if self.schema.table(name) is None]
        if unknown:
            raise ApelError(f"the database has tables the schema lacks: {', '.join(unknown)}")
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
        self.conn.execute("BEGIN")
        try:
            for name in self.schema.fk_order([t for t in db if db[t]]):
                self.conn.executemany(self._inserts[self.schema.table(name).name], db[name])
        except (sqlite3.Error, KeyError) as e:
            self.conn.execute("ROLLBACK")
            raise ApelError(f"the database breaks a constraint: {e}") from None

    def run(self, sql: str) -> QueryResult:
        """Run one read-only query on the loaded data. Raises ExecutionError."""
        deadline = time.perf_counter() + self.timeout_ms / 1000.0
        timed_out = False

        def check() -> int:
            nonlocal timed_out
            timed_out = time.perf_counter() > deadline
            return int(timed_out)

        self.conn.set_authorizer(_read_only)
        self.conn.set_progress_handler(check, 1000)
        try:
            cur = self.conn.execute(sql)
            rows: list[tuple[Any, ...]] = []
            while batch := cur.fetchmany(256):
                rows.extend(batch)
                if len(rows) > self.row_cap:
                    raise ExecutionError(f"more than {self.row_cap} rows")
            columns = [d[0] for d in cur.description or []]
        except sqlite3.Warning as e:
            raise ExecutionError(f"not a single statement: {e}") from None
        except sqlite3.Error as e:
            if timed_out:
                raise ExecutionError(f"timed out after {self.timeout_ms:.0f} ms") from None
            raise ExecutionError(str(e)) from None
        finally:
            self.conn.set_authorizer(None)
            self.conn.set_progress_handler(None, 0)
        return QueryResult(columns, rows)

    def try_run(self, sql: str) -> QueryResult | ExecutionError:
        try:
            return self.run(sql)
        except ExecutionError as e:
            return e

    def foreign_key_violations(self) -> list[tuple[Any, ...]]:
        return self.conn.execute("PRAGMA foreign_key_check").fetchall()

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_database(path: str, schema: Schema) -> Database:
    """Every row of every schema table in a SQLite file, in the schema's column order."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as e:
        raise ApelError(f"cannot open {path}: {e}") from None
    conn.text_factory = lambda b: b.decode("utf-8", errors="replace")
    db: Database = {}
    try:
        for t in schema.tables:
            cols = ", ".join(quote(c.name) for c in t.columns)
            db[t.name] = [list(r) for r in conn.execute(f"SELECT {cols} FROM {quote(t.name)}")]
    except sqlite3.Error as e:
        raise ApelError(f"cannot read {path}: {e}") from None
    finally:
        conn.close()
    return db


def row_count(db: Database, tables: list[str] | None = None) -> int:
    return sum(len(rows) for name, rows in db.items() if tables is None or name in tables)
