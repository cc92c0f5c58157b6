"""The fuzzer never produces a database that breaks the schema's constraints."""

import random
import sqlite3

import pytest
from apel_testing import DDL

from ml.apel.execute import Sandbox
from ml.apel.fuzz import FuzzConfig, build_pools, original_sample, pools_for, random_database
from ml.apel.literals import extract_literals
from ml.apel.parsing import parse

QUERIES = [
    "SELECT name FROM singer WHERE age > 30 AND country = 'France'",
    "SELECT T1.name FROM singer AS T1 JOIN concert AS T2 ON T1.singer_id = T2.singer_id WHERE T2.year BETWEEN 2019 AND 2021",
    "SELECT count(*) FROM ticket WHERE seat IN ('A1', 'B2') AND price < 30.5",
    "SELECT name FROM singer WHERE name LIKE '%li%'",
]


def fuzz_many(schema, n, original=None, seed=0):
    trees = [parse(q, schema) for q in QUERIES]
    pools = pools_for(schema, trees, original)
    rng = random.Random(seed)
    tables = schema.fk_order(schema.with_ancestors(["ticket", "singer"]))
    return [random_database(schema, tables, pools, rng, FuzzConfig(max_rows=8)) for _ in range(n)]


def test_every_database_satisfies_every_constraint(schema, original_db):
    dbs = fuzz_many(schema, 60, original_sample(original_db, schema))
    for db in dbs:
        # 1. Our own sandbox, with PRAGMA foreign_keys=ON and the constraints from Schema.to_ddl.
        with Sandbox(schema) as box:
            box.load(db)
            assert box.foreign_key_violations() == []
        # 2. An independent database built from the original DDL text.
        conn = sqlite3.connect(":memory:")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.executescript(DDL)
        for table in ("singer", "concert", "ticket"):
            for row in db.get(table, []):
                conn.execute(f"INSERT INTO {table} VALUES ({', '.join('?' * len(row))})", row)
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        conn.close()
        # 3. Direct checks of keys and NOT NULL (names are UNIQUE case-insensitively under NOCASE).
        singers = db["singer"]
        assert len({r[0] for r in singers}) == len(singers)
        assert len({r[1].casefold() for r in singers}) == len(singers)
        assert all(r[0] is not None and r[1] is not None for r in singers)
        assert len({(r[0], r[1].casefold()) for r in db["ticket"]}) == len(db["ticket"])
        assert all(r[1] is not None and r[2] is not None for r in db["concert"])


def test_self_references_point_at_existing_rows(schema):
    for db in fuzz_many(schema, 30, seed=3):
        ids = {r[0] for r in db["singer"]}
        assert all(r[5] is None or r[5] in ids for r in db["singer"])


def test_literals_and_their_perturbations_are_seeded(schema):
    dbs = fuzz_many(schema, 40, seed=1)
    ages = {r[3] for db in dbs for r in db["singer"]}
    countries = {r[2] for db in dbs for r in db["singer"]}
    years = {r[2] for db in dbs for r in db.get("concert", [])}
    seats = {r[1] for db in dbs for r in db.get("ticket", [])}
    names = {r[1] for db in dbs for r in db["singer"]}
    assert {29, 30, 31} <= ages  # literal 30 and 30 +- 1
    assert {"France", "Francex", "aFrance"} <= countries  # a string with a suffix and a prefix
    assert {2018, 2019, 2021, 2022} <= years  # BETWEEN bounds and their neighbours
    assert {"A1", "B2"} <= seats  # IN list, typed to the TEXT column
    assert any("li" in str(n) for n in names)  # the LIKE pattern's core


def test_literals_follow_foreign_keys(schema):
    lits = extract_literals([parse("SELECT * FROM concert WHERE singer_id = 7", schema)], schema)
    assert lits[("concert", "singer_id")] == [7]
    assert lits[("singer", "singer_id")] == [7]  # the parent key it joins
    assert lits[("singer", "mentor_id")] == [7]  # and the other child of that key


def test_double_quoted_strings_are_literals(schema):
    lits = extract_literals([parse('SELECT name FROM singer WHERE country = "Peru"', schema)], schema)
    assert lits[("singer", "country")] == ["Peru"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_original_values_are_used(schema, original_db, seed):
    pools = build_pools(schema, {}, original_sample(original_db, schema))
    assert set(pools[("singer", "country")].original) == {"France", "USA", "Japan"}
    rng = random.Random(seed)
    seen = set()
    for _ in range(20):
        db = random_database(schema, ["singer"], pools, rng)
        seen |= {r[2] for r in db["singer"]}
    assert seen & {"France", "USA", "Japan"}
