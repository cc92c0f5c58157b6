"""The sandbox: candidates can read the synthesized database and do nothing else."""

import time

import pytest

from ml.apel.errors import ApelError, ExecutionError
from ml.apel.execute import QueryResult, Sandbox


@pytest.fixture
def box(schema, original_db):
    with Sandbox(schema, timeout_ms=300, row_cap=50) as b:
        b.load(original_db)
        yield b


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO singer VALUES (9, 'Eve', 'UK', 1, 1.0, NULL)",
        "UPDATE singer SET age = 0",
        "DELETE FROM singer",
        "DROP TABLE ticket",
        "CREATE TABLE evil (x)",
        "ALTER TABLE singer ADD COLUMN evil INT",
        "ATTACH DATABASE ':memory:' AS other",
        "PRAGMA foreign_keys = OFF",
        "PRAGMA writable_schema = ON",
        "SELECT load_extension('/nonexistent/lib')",
        "CREATE TRIGGER t AFTER INSERT ON singer BEGIN DELETE FROM singer; END",
    ],
)
def test_writes_and_escapes_are_denied(box, sql):
    with pytest.raises(ExecutionError):
        box.run(sql)
    assert len(box.run("SELECT * FROM singer").rows) == 4  # nothing changed


def test_foreign_keys_stay_on(box):
    box.conn.set_authorizer(None)
    assert box.conn.execute("PRAGMA foreign_keys").fetchone() == (1,)


def test_runaway_recursion_is_stopped_by_the_timeout(box):
    start = time.perf_counter()
    with pytest.raises(ExecutionError, match="timed out"):
        box.run("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c")
    assert time.perf_counter() - start < 3


def test_row_cap(box):
    with pytest.raises(ExecutionError, match="more than 50 rows"):
        box.run("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c")


def test_two_statements_are_refused(box):
    with pytest.raises(ExecutionError):
        box.run("SELECT 1; DELETE FROM singer")
    assert len(box.run("SELECT * FROM singer").rows) == 4


def test_reads_work_and_strings_compare_case_insensitively(box):
    r = box.run("SELECT name FROM singer WHERE country = 'FRANCE' ORDER BY name")
    assert isinstance(r, QueryResult) and r.rows == [("Alice",), ("Carol",)] and r.columns == ["name"]
    assert box.run("SELECT count(*) FROM singer WHERE name IN ('alice', 'BOB')").rows == [(2,)]
    assert box.run("WITH x AS (SELECT age FROM singer) SELECT max(age) FROM x").rows == [(51,)]


def test_load_replaces_contents_and_checks_constraints(box, original_db):
    box.load({"singer": [[1, "Solo", None, None, None, None]]})
    assert box.run("SELECT count(*) FROM concert").rows == [(0,)]
    with pytest.raises(ApelError, match="constraint"):
        box.load({"concert": [[1, 99, 2000, "x"]]})  # no singer 99
    with pytest.raises(ApelError, match="constraint"):
        box.load(
            {"singer": [[1, "A", None, None, None, None], [2, "a", None, None, None, None]]}
        )  # NOCASE UNIQUE
    box.load(original_db)
    assert box.foreign_key_violations() == []
