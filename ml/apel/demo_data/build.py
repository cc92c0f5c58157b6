"""Build Assay's APEL demo databases and their Spider-format ``tables.json``.

Standalone, standard library only.  Every ``sql/<db_id>.sql`` script (DDL plus INSERTs) is executed
into a fresh ``database/<db_id>/<db_id>.sqlite`` with ``PRAGMA foreign_keys=ON``, so a row that breaks
a foreign key, NOT NULL or UNIQUE constraint stops the build.  ``tables.json`` is then regenerated
from the built databases' own catalogues (``sqlite_master``, ``PRAGMA table_info``,
``foreign_key_list``, ``index_list``), so the schema file and the databases cannot disagree.

Usage::

    python ml/apel/demo_data/build.py            # rebuild databases and tables.json in place
    python ml/apel/demo_data/build.py --check    # exit 1 if tables.json is stale w.r.t. the databases
    python ml/apel/demo_data/build.py --out DIR  # build into DIR instead (DIR/database, DIR/tables.json)

``tables.json`` carries exactly Spider's keys.  NOT NULL and UNIQUE constraints, which Spider's format
has no place for, are available from :func:`describe_database` (and, of course, the DDL).
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SQL_DIR = HERE / "sql"

SPIDER_KEYS = (
    "db_id",
    "table_names_original",
    "table_names",
    "column_names_original",
    "column_names",
    "column_types",
    "primary_keys",
    "foreign_keys",
)

_NUMBER_AFFINITIES = ("INT", "REAL", "FLOA", "DOUB", "NUM", "DEC")
_TEXT_AFFINITIES = ("CHAR", "CLOB", "TEXT")


def natural_name(identifier: str) -> str:
    """``ticket_price`` -> ``ticket price`` (Spider's natural-language names are lower-case words)."""
    return " ".join(part for part in identifier.split("_") if part).lower()


def spider_type(column: str, declared: str) -> str:
    """Map a column to Spider's type vocabulary: text, number, time, boolean or others.

    The DDL only uses INTEGER/REAL/TEXT, so dates and flags are recognised by name:
    ``*_date`` / ``*_time`` columns are "time", ``is_*`` / ``has_*`` columns are "boolean".
    """
    name = column.lower()
    decl = declared.upper()
    if name.startswith(("is_", "has_")):
        return "boolean"
    if name.endswith(("_date", "_time")) or name in ("date", "time"):
        return "time"
    if any(token in decl for token in _NUMBER_AFFINITIES):
        return "number"
    if any(token in decl for token in _TEXT_AFFINITIES):
        return "text"
    return "others"


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def build_database(sql_path: Path, db_path: Path) -> None:
    """Execute one SQL script into a fresh SQLite file at ``db_path`` (replacing any old one)."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = db_path.with_name(db_path.name + ".tmp")
    tmp_path.unlink(missing_ok=True)
    con = sqlite3.connect(tmp_path)
    try:
        con.execute("PRAGMA foreign_keys=ON")
        con.executescript(sql_path.read_text(encoding="utf-8"))
        violations = con.execute("PRAGMA foreign_key_check").fetchall()
        if violations:
            raise ValueError(f"{sql_path.name}: foreign key violations {violations}")
        (integrity,) = con.execute("PRAGMA integrity_check").fetchone()
        if integrity != "ok":
            raise ValueError(f"{sql_path.name}: integrity check failed: {integrity}")
        con.commit()
    except BaseException:
        con.close()
        tmp_path.unlink(missing_ok=True)
        raise
    con.close()
    tmp_path.replace(db_path)


def describe_database(db_path: Path, db_id: str | None = None) -> dict:
    """Read a database's schema: Spider's keys plus ``not_null`` and ``unique`` column indices.

    Column indices are Spider's global indices (0 is ``*``).  ``unique`` lists each UNIQUE
    constraint (not the primary key) as a list of column indices.
    """
    db_id = db_id or db_path.stem
    con = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        tables = [
            row[0]
            for row in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                "ORDER BY rowid"
            )
        ]
        column_names_original: list[list] = [[-1, "*"]]
        column_types = ["text"]
        primary_keys: list[int] = []
        not_null: list[int] = []
        index_of: dict[tuple[str, str], int] = {}
        for t_index, table in enumerate(tables):
            info = con.execute(f"PRAGMA table_info({_quote(table)})").fetchall()
            pk_columns = []
            for _cid, name, declared, notnull, _default, pk in info:
                index = len(column_names_original)
                index_of[(table.lower(), name.lower())] = index
                column_names_original.append([t_index, name])
                column_types.append(spider_type(name, declared or ""))
                if notnull:
                    not_null.append(index)
                if pk:
                    pk_columns.append((pk, index))
            primary_keys.extend(index for _, index in sorted(pk_columns))

        foreign_keys: list[list[int]] = []
        unique: list[list[int]] = []
        for table in tables:
            rows = con.execute(f"PRAGMA foreign_key_list({_quote(table)})").fetchall()
            for _id, seq, parent, child_column, parent_column, *_ in sorted(rows, key=lambda r: (r[0], r[1])):
                if parent_column is None:  # REFERENCES parent without a column list: the parent's PK
                    parent_info = con.execute(f"PRAGMA table_info({_quote(parent)})").fetchall()
                    parent_pk = sorted((r[5], r[1]) for r in parent_info if r[5])
                    parent_column = parent_pk[seq][1]
                foreign_keys.append(
                    [
                        index_of[(table.lower(), child_column.lower())],
                        index_of[(parent.lower(), parent_column.lower())],
                    ]
                )
            for _seq, index_name, is_unique, origin, _partial in con.execute(
                f"PRAGMA index_list({_quote(table)})"
            ).fetchall():
                if is_unique and origin != "pk":
                    columns = con.execute(f"PRAGMA index_info({_quote(index_name)})").fetchall()
                    unique.append(sorted(index_of[(table.lower(), c[2].lower())] for c in columns))
        foreign_keys.sort()
        unique.sort()
    finally:
        con.close()

    return {
        "db_id": db_id,
        "table_names_original": tables,
        "table_names": [natural_name(t) for t in tables],
        "column_names_original": column_names_original,
        "column_names": [[t, name if t < 0 else natural_name(name)] for t, name in column_names_original],
        "column_types": column_types,
        "primary_keys": primary_keys,
        "foreign_keys": foreign_keys,
        "not_null": sorted(not_null),
        "unique": unique,
    }


def spider_entry(db_path: Path, db_id: str | None = None) -> dict:
    """The ``tables.json`` entry (exactly Spider's keys) for one database."""
    full = describe_database(db_path, db_id)
    return {key: full[key] for key in SPIDER_KEYS}


def tables_from_databases(database_dir: Path) -> list[dict]:
    """Spider entries for every ``<database_dir>/<db_id>/<db_id>.sqlite``, sorted by db_id."""
    entries = []
    for folder in sorted(p for p in Path(database_dir).iterdir() if p.is_dir()):
        db_path = folder / f"{folder.name}.sqlite"
        if db_path.is_file():
            entries.append(spider_entry(db_path, folder.name))
    return entries


_PAIR = re.compile(r'\[\s+(-?\d+),\s+(-?\d+|"(?:[^"\\]|\\.)*")\s+\]')


def dump_tables_json(entries: list[dict]) -> str:
    """Serialise entries the way tables.json is stored: indented, each column or key pair on one line."""
    return _PAIR.sub(r"[\1, \2]", json.dumps(entries, indent=2, ensure_ascii=False)) + "\n"


def build_all(sql_dir: Path = SQL_DIR, out_dir: Path = HERE) -> list[dict]:
    """Rebuild ``out_dir/database/*/*.sqlite`` from ``sql_dir/*.sql`` and write ``out_dir/tables.json``."""
    sql_dir, out_dir = Path(sql_dir), Path(out_dir)
    scripts = sorted(sql_dir.glob("*.sql"))
    if not scripts:
        raise FileNotFoundError(f"no .sql scripts in {sql_dir}")
    entries = []
    for script in scripts:
        db_id = script.stem
        db_path = out_dir / "database" / db_id / f"{db_id}.sqlite"
        build_database(script, db_path)
        entries.append(spider_entry(db_path, db_id))
    (out_dir / "tables.json").write_text(dump_tables_json(entries), encoding="utf-8")
    return entries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sql-dir", type=Path, default=SQL_DIR, help="folder of <db_id>.sql scripts")
    parser.add_argument(
        "--out", type=Path, default=HERE, help="folder that receives database/ and tables.json"
    )
    parser.add_argument(
        "--check", action="store_true", help="only check that tables.json matches the built databases"
    )
    args = parser.parse_args(argv)
    if args.check:
        stored = json.loads((args.out / "tables.json").read_text(encoding="utf-8"))
        current = tables_from_databases(args.out / "database")
        if stored != current:
            print("tables.json is out of date; run build.py", file=sys.stderr)
            return 1
        print(f"tables.json is up to date ({len(current)} databases)")
        return 0
    entries = build_all(args.sql_dir, args.out)
    for entry in entries:
        n_columns = len(entry["column_names_original"]) - 1
        print(f"{entry['db_id']}: {len(entry['table_names_original'])} tables, {n_columns} columns")
    print(f"wrote {args.out / 'tables.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
