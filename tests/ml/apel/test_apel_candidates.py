import re

import pytest

from ml.apel.candidates import Candidate, check_sql, prepare_candidates
from ml.apel.canonical import canonical_sql
from ml.apel.errors import ApelError


@pytest.mark.parametrize(
    "sql, reason",
    [
        ("DROP TABLE singer", "not a read-only query"),
        ("INSERT INTO singer (singer_id, name) VALUES (9, 'x')", "not a read-only query"),
        ("PRAGMA foreign_keys = OFF", "not a read-only query"),
        ("SELECT 1; SELECT 2", "expected one statement"),
        ("SELECT name FROM singer; DELETE FROM singer", "expected one statement"),
        ("SELEC name FROM singer", "cannot parse|not a read-only"),
        ("", "empty SQL"),
        ("SELECT nope FROM singer", "fails on the schema: no such column"),
        ("SELECT name FROM nowhere", "reads no table"),
        ("SELECT 1 + 1", "reads no table"),
    ],
)
def test_rejections_say_why(schema, sql, reason):
    result = prepare_candidates([(sql, 1.0), ("SELECT name FROM singer", 1.0)], schema, test_dbs=2)
    assert [c.sql for c in result.candidates] == ["SELECT name FROM singer"]
    assert len(result.rejected) == 1
    assert result.rejected[0].sql == sql
    assert re.search(reason, result.rejected[0].reason)


def test_bad_weights_are_rejected(schema):
    result = prepare_candidates(
        [("SELECT name FROM singer", -1), ("SELECT age FROM singer", float("nan"))], schema
    )
    assert not result.candidates
    assert all("weight" in r.reason for r in result.rejected)


def test_with_and_compound_queries_are_accepted(schema):
    ok = [
        "WITH old AS (SELECT * FROM singer WHERE age > 40) SELECT name FROM old",
        "SELECT name FROM singer WHERE age > 40 UNION SELECT name FROM singer WHERE country = 'USA'",
        "SELECT name FROM singer EXCEPT SELECT name FROM singer WHERE age < 30",
    ]
    for sql in ok:
        check_sql(sql, schema)
    with pytest.raises(ApelError, match="read-only"):
        check_sql("WITH x AS (SELECT 1) DELETE FROM singer", schema)


def test_duplicates_merge_and_weights_add(schema):
    result = prepare_candidates(
        [
            ("SELECT name FROM singer WHERE age > 30 AND country = 'France'", 0.5),
            ("select NAME from SINGER where country='France' and age>30", 0.2),  # same spelling, canonically
            (
                "SELECT T1.name FROM singer AS T1 WHERE 30 < T1.age AND T1.country = 'France'",
                0.1,
            ),  # same outputs
            ("SELECT name FROM singer WHERE age >= 30", 0.2),
        ],
        schema,
    )
    assert len(result.candidates) == 2
    top = result.candidates[0]
    assert top.weight == pytest.approx(0.8)
    assert top.sql.startswith("SELECT name FROM singer WHERE age > 30")
    assert len(top.aliases) == 2


def test_canonical_form_ignores_case_and_conjunct_order(schema):
    a = canonical_sql("SELECT name FROM singer WHERE age > 30 AND country = 'France'", schema)
    b = canonical_sql("select NAME from singer where COUNTRY = 'France' and AGE > 30", schema)
    assert a == b
    assert a != canonical_sql("SELECT name FROM singer WHERE age >= 30 AND country = 'France'", schema)


def test_neighbours_get_a_small_share_of_the_mass(schema, original_db):
    result = prepare_candidates(
        [("SELECT name FROM singer WHERE age > 30", 1.0)], schema, neighbour_mass=0.1, original_db=original_db
    )
    origins = {c.origin for c in result.candidates}
    assert origins == {"user", "neighbour"}
    total = sum(c.weight for c in result.candidates)
    user = next(c for c in result.candidates if c.origin == "user")
    assert user.weight / total >= 0.9 - 1e-9 and total == pytest.approx(1.1)


def test_candidate_records_pass_through(schema):
    result = prepare_candidates([Candidate("SELECT age FROM singer", 2.0, "lm")], schema)
    assert result.candidates[0].origin == "lm" and result.candidates[0].weight == 2.0
