"""Checks for Assay's APEL demo set in ml/apel/demo_data (Spider format, authored for Assay).

Covers: the Spider ``tables.json`` format and its agreement with the SQLite files and with a fresh
rebuild by ``build.py``; the shape of the data; and every gold query in ``dev.json`` (runs, mostly
non-empty, deterministic, parses with sqlglot) plus coverage of the SQL constructs APEL needs.
Only the standard library is required; sqlglot is used when it is installed.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[3] / "ml" / "apel" / "demo_data"
SPIDER_KEYS = {
    "db_id",
    "table_names_original",
    "table_names",
    "column_names_original",
    "column_names",
    "column_types",
    "primary_keys",
    "foreign_keys",
}
SPIDER_TYPES = {"text", "number", "time", "boolean", "others"}
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

TABLES = json.loads((DATA / "tables.json").read_text(encoding="utf-8"))
EXAMPLES = json.loads((DATA / "dev.json").read_text(encoding="utf-8"))
SCHEMAS = {entry["db_id"]: entry for entry in TABLES}
EXAMPLE_IDS = [f"{i}-{ex['db_id']}" for i, ex in enumerate(EXAMPLES)]


def db_path(db_id: str) -> Path:
    return DATA / "database" / db_id / f"{db_id}.sqlite"


def connect(db_id: str) -> sqlite3.Connection:
    con = sqlite3.connect(f"{db_path(db_id).as_uri()}?mode=ro", uri=True)
    con.execute("PRAGMA foreign_keys=ON")
    return con


def run_query(db_id: str, query: str, reverse_unordered: bool = False) -> list[tuple]:
    con = connect(db_id)
    try:
        con.execute(f"PRAGMA reverse_unordered_selects={'ON' if reverse_unordered else 'OFF'}")
        return con.execute(query).fetchall()
    finally:
        con.close()


def load_build_module():
    spec = importlib.util.spec_from_file_location("assay_apel_demo_data_build", DATA / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def normalised_sql(query: str) -> str:
    """Upper-cased query with string literals blanked and whitespace collapsed, for feature counting."""
    without_literals = re.sub(r"'(?:[^']|'')*'", "''", query)
    return " ".join(without_literals.upper().split())


FEATURES = {
    "join": lambda q: " JOIN " in q,
    "join_3_tables": lambda q: q.count(" JOIN ") >= 2,
    "group_by": lambda q: " GROUP BY " in q,
    "having": lambda q: " HAVING " in q,
    "nested": lambda q: re.search(r"\(\s*SELECT\b", q) is not None,
    "order_by_limit": lambda q: " ORDER BY " in q and " LIMIT " in q,
    "order_by_asc_limit": lambda q: re.search(r" ORDER BY .*\bASC LIMIT\b", q) is not None,
    "order_by_desc_limit": lambda q: re.search(r" ORDER BY .*\bDESC LIMIT\b", q) is not None,
    "order_by_no_limit": lambda q: " ORDER BY " in q and " LIMIT " not in q,
    "set_operation": lambda q: re.search(r"\b(UNION|INTERSECT|EXCEPT)\b", q) is not None,
    "union": lambda q: " UNION " in q,
    "intersect": lambda q: " INTERSECT " in q,
    "except": lambda q: " EXCEPT " in q,
    "not_in_subquery": lambda q: re.search(r"\bNOT IN \(\s*SELECT\b", q) is not None,
    "in_subquery": lambda q: re.search(r"(?<!NOT) IN \(\s*SELECT\b", q) is not None,
    "scalar_avg_subquery": lambda q: re.search(r"[<>=] \(\s*SELECT AVG\(", q) is not None,
    "distinct": lambda q: "DISTINCT" in q,
    "count": lambda q: "COUNT(" in q,
    "min": lambda q: "MIN(" in q,
    "max": lambda q: "MAX(" in q,
    "avg": lambda q: "AVG(" in q,
    "sum": lambda q: "SUM(" in q,
    "where_eq": lambda q: re.search(r" WHERE .*[^<>!]= ", q) is not None,
    "where_lt": lambda q: re.search(r" WHERE .* < ", q) is not None,
    "where_gt": lambda q: re.search(r" WHERE .* > ", q) is not None,
    "like": lambda q: " LIKE " in q,
    "between": lambda q: " BETWEEN " in q,
    "in_list": lambda q: re.search(r" IN \((?!\s*SELECT)", q) is not None,
    "is_null": lambda q: " IS NULL" in q,
}
MINIMUM_COUNTS = {
    "join": 8,
    "group_by": 8,
    "having": 5,
    "nested": 8,
    "order_by_limit": 8,
    "set_operation": 5,
}


def feature_counts() -> Counter:
    counts: Counter = Counter()
    for example in EXAMPLES:
        query = normalised_sql(example["query"])
        counts.update(name for name, test in FEATURES.items() if test(query))
    return counts


# --- tables.json: Spider format --------------------------------------------------------------------


def test_tables_json_has_enough_schemas_with_unique_ids():
    assert len(TABLES) >= 7
    ids = [entry["db_id"] for entry in TABLES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("entry", TABLES, ids=[entry["db_id"] for entry in TABLES])
def test_tables_json_entry_is_spider_format(entry):
    assert set(entry) == SPIDER_KEYS
    tables, nl_tables = entry["table_names_original"], entry["table_names"]
    assert 2 <= len(tables) <= 5
    assert len(nl_tables) == len(tables)
    assert nl_tables == [t.replace("_", " ").lower() for t in tables]

    columns, nl_columns, types = entry["column_names_original"], entry["column_names"], entry["column_types"]
    assert columns[0] == [-1, "*"] and nl_columns[0] == [-1, "*"]
    assert len(columns) == len(nl_columns) == len(types)
    previous_table = 0
    for (t_index, name), (nl_t_index, nl_name) in zip(columns[1:], nl_columns[1:], strict=True):
        assert 0 <= t_index < len(tables)
        assert t_index >= previous_table, "columns must be grouped by table, in table order"
        previous_table = t_index
        assert nl_t_index == t_index
        assert nl_name == name.replace("_", " ").lower()
    assert {t for t, _ in columns[1:]} == set(range(len(tables))), "every table needs columns"
    for t_index in range(len(tables)):
        names = [name.lower() for t, name in columns if t == t_index]
        assert len(names) == len(set(names)), f"duplicate column in {tables[t_index]}"
    assert set(types) <= SPIDER_TYPES

    n = len(columns)
    pks = entry["primary_keys"]
    assert len(pks) == len(set(pks))
    assert all(isinstance(i, int) and 1 <= i < n for i in pks)
    assert {columns[i][0] for i in pks} == set(range(len(tables))), "every table has a primary key"

    pk_or_unique_by_table = {}
    con = connect(entry["db_id"])
    try:
        for t_index, table in enumerate(tables):
            keys = {tuple(sorted(columns[i][1].lower() for i in pks if columns[i][0] == t_index))}
            for _seq, index_name, unique, _origin, _partial in con.execute(f'PRAGMA index_list("{table}")'):
                if unique:
                    info = con.execute(f'PRAGMA index_info("{index_name}")').fetchall()
                    keys.add(tuple(sorted(row[2].lower() for row in info)))
            pk_or_unique_by_table[t_index] = keys
        declared_fks = set()
        for table in tables:
            for row in con.execute(f'PRAGMA foreign_key_list("{table}")'):
                declared_fks.add((table.lower(), row[3].lower(), row[2].lower(), row[4].lower()))
    finally:
        con.close()

    fks = entry["foreign_keys"]
    assert fks, "each schema links its tables with foreign keys"
    for pair in fks:
        assert isinstance(pair, list) and len(pair) == 2
        child, parent = pair
        assert 1 <= child < n and 1 <= parent < n and child != parent
        (child_t, child_col), (parent_t, parent_col) = columns[child], columns[parent]
        assert types[child] == types[parent], f"type mismatch in foreign key {pair}"
        assert (parent_col.lower(),) in pk_or_unique_by_table[parent_t], f"{pair} must reference a key"
        key = (tables[child_t].lower(), child_col.lower(), tables[parent_t].lower(), parent_col.lower())
        assert key in declared_fks, f"{pair} is not a declared foreign key"
    assert len(fks) == len(declared_fks)


def test_tables_json_matches_what_build_py_regenerates(tmp_path):
    build = load_build_module()
    rebuilt = build.build_all(DATA / "sql", tmp_path)
    assert rebuilt == TABLES
    stored_text = (DATA / "tables.json").read_text(encoding="utf-8")
    assert (tmp_path / "tables.json").read_text(encoding="utf-8") == stored_text
    assert build.tables_from_databases(DATA / "database") == TABLES
    for entry in TABLES:
        db_id = entry["db_id"]
        fresh = sqlite3.connect(tmp_path / "database" / db_id / f"{db_id}.sqlite")
        stored = connect(db_id)
        try:
            assert list(fresh.iterdump()) == list(stored.iterdump()), f"{db_id}.sqlite is stale; run build.py"
        finally:
            fresh.close()
            stored.close()


def test_every_sql_script_has_a_database_and_a_schema_entry():
    scripts = sorted(p.stem for p in (DATA / "sql").glob("*.sql"))
    databases = sorted(p.name for p in (DATA / "database").iterdir() if p.is_dir())
    assert scripts == databases == sorted(SCHEMAS)
    for db_id in scripts:
        assert db_path(db_id).is_file()


# --- the data itself --------------------------------------------------------------------------------


@pytest.mark.parametrize("db_id", sorted(SCHEMAS))
def test_database_content_is_varied_enough_for_apel(db_id):
    con = connect(db_id)
    try:
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        declared_types, has_null, has_numeric_tie, has_date = set(), False, False, False
        for table in SCHEMAS[db_id]["table_names_original"]:
            (rows,) = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()
            assert 8 <= rows <= 40, f"{table} has {rows} rows"
            for _cid, column, declared, _notnull, _default, pk in con.execute(
                f'PRAGMA table_info("{table}")'
            ):
                declared_types.add(declared.upper())
                values = [row[0] for row in con.execute(f'SELECT "{column}" FROM "{table}"')]
                present = [v for v in values if v is not None]
                has_null |= len(present) < len(values)
                if not pk and declared.upper() in ("INTEGER", "REAL"):
                    has_numeric_tie |= len(present) != len(set(present))
                if declared.upper() == "TEXT" and present:
                    has_date |= all(isinstance(v, str) and ISO_DATE.match(v) for v in present)
    finally:
        con.close()
    assert {"INTEGER", "REAL", "TEXT"} <= declared_types
    assert has_null, "some nullable column should hold NULLs"
    assert has_numeric_tie, "some numeric column should have ties (ORDER BY ... LIMIT ambiguity)"
    assert has_date, "some TEXT column should hold YYYY-MM-DD dates"


def test_demo_folder_is_small():
    size = sum(p.stat().st_size for p in DATA.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    assert size < 2 * 1024 * 1024


# --- dev.json ----------------------------------------------------------------------------------------


def test_dev_json_format_and_size():
    assert len(EXAMPLES) >= 100
    per_db = Counter(example["db_id"] for example in EXAMPLES)
    assert set(per_db) == set(SCHEMAS), "every schema has examples and every example a schema"
    assert min(per_db.values()) >= 10
    seen = set()
    for example in EXAMPLES:
        assert {"db_id", "question", "query"} <= set(example)
        assert isinstance(example["question"], str) and example["question"].strip()
        assert isinstance(example["query"], str) and example["query"].strip()
        assert example["question"].rstrip()[-1] in ".?"
        assert db_path(example["db_id"]).is_file()
        key = (example["db_id"], example["question"])
        assert key not in seen, f"duplicate question {key}"
        seen.add(key)


@pytest.mark.parametrize("example", EXAMPLES, ids=EXAMPLE_IDS)
def test_gold_query_executes(example):
    run_query(example["db_id"], example["query"])


def test_most_gold_queries_return_rows():
    non_empty = sum(bool(run_query(ex["db_id"], ex["query"])) for ex in EXAMPLES)
    assert non_empty >= 0.9 * len(EXAMPLES)


def _rounded(rows: list[tuple]) -> list[tuple]:
    return [tuple(round(v, 6) if isinstance(v, float) else v for v in row) for row in rows]


@pytest.mark.parametrize("example", EXAMPLES, ids=EXAMPLE_IDS)
def test_gold_result_does_not_depend_on_scan_order(example):
    """A tie at a LIMIT boundary, or an ORDER BY that leaves rows tied, would make the gold ambiguous."""
    forward = _rounded(run_query(example["db_id"], example["query"]))
    reverse = _rounded(run_query(example["db_id"], example["query"], reverse_unordered=True))
    if " ORDER BY " in normalised_sql(example["query"]):
        assert forward == reverse
    else:
        assert Counter(forward) == Counter(reverse)


def test_gold_queries_cover_the_sql_constructs():
    counts = feature_counts()
    for feature, minimum in MINIMUM_COUNTS.items():
        assert counts[feature] >= minimum, f"only {counts[feature]} queries with {feature}"
    missing = [feature for feature in FEATURES if counts[feature] == 0]
    assert not missing, f"no gold query uses {missing}"


@pytest.mark.parametrize("example", EXAMPLES, ids=EXAMPLE_IDS)
def test_gold_query_parses_with_sqlglot(example):
    sqlglot = pytest.importorskip("sqlglot")
    parsed = sqlglot.parse(example["query"], read="sqlite", error_level=sqlglot.ErrorLevel.RAISE)
    assert len(parsed) == 1 and parsed[0] is not None
