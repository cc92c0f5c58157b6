import json

import pytest
from apel_testing import DDL, SPIDER_ENTRY

from ml.apel.errors import ApelError
from ml.apel.schema import (
    Schema,
    load_spider_tables,
    schema_from_ddl,
    schema_from_spider,
    schema_from_sqlite,
    type_kind,
)


def signature(schema: Schema):
    """What all three readers can agree on: names, coarse types, primary and foreign keys."""
    return (
        [(t.name, [(c.name, c.family) for c in t.columns], t.primary_key) for t in schema.tables],
        schema.fk_pairs(),
    )


def test_ddl_reader_reads_keys_and_constraints(schema):
    singer, concert, ticket = schema.tables
    assert [c.name for c in singer.columns] == [
        "singer_id",
        "name",
        "country",
        "age",
        "net_worth",
        "mentor_id",
    ]
    assert singer.primary_key == ["singer_id"]
    assert singer.unique == [["name"]]
    assert singer.column("NAME").not_null and not singer.column("country").not_null
    assert ticket.primary_key == ["concert_id", "seat"]
    assert concert.required("singer_id") and ticket.required("seat")
    assert schema.fk_pairs() == {
        ("singer", "mentor_id", "singer", "singer_id"),
        ("concert", "singer_id", "singer", "singer_id"),
        ("ticket", "concert_id", "concert", "concert_id"),
    }
    assert [singer.column(c).kind for c in ("singer_id", "name", "net_worth")] == ["integer", "text", "real"]


def test_three_readers_agree(schema, db_file, tmp_path):
    from_file = schema_from_sqlite(db_file)
    from_spider = schema_from_spider(SPIDER_ENTRY)
    path = tmp_path / "tables.json"
    path.write_text(json.dumps([SPIDER_ENTRY]))
    assert signature(from_file) == signature(schema) == signature(from_spider)
    assert signature(load_spider_tables(path)["concerts"]) == signature(schema)
    assert from_spider.table("ticket").primary_key == ["concert_id", "seat"]


def test_ddl_round_trip_through_sqlite(schema):
    again = schema_from_ddl(schema.to_ddl())
    assert signature(again) == signature(schema)
    assert again.table("singer").unique == [["name"]]
    assert Schema.from_dict(json.loads(json.dumps(schema.to_dict()))) == schema


@pytest.mark.parametrize(
    "ddl, message",
    [
        ("", "empty"),
        ("CREATE TABLE t (a INT", "invalid DDL"),
        ("CREATE TABEL t (a INT);", "invalid DDL"),
        ("ATTACH DATABASE '/tmp/apel_should_not_exist.db' AS x;", "invalid DDL"),
        ("CREATE TABLE t (a INT); VACUUM INTO '/tmp/apel_should_not_exist.db';", "invalid DDL"),
        ("SELECT 1;", "no tables"),
    ],
)
def test_bad_ddl_is_a_clear_error(ddl, message):
    with pytest.raises(ApelError, match=message):
        schema_from_ddl(ddl)


def test_bad_files_are_clear_errors(tmp_path):
    with pytest.raises(ApelError, match="no SQLite database"):
        schema_from_sqlite(tmp_path / "missing.sqlite")
    junk = tmp_path / "junk.sqlite"
    junk.write_text("this is not a database at all" * 50)
    with pytest.raises(ApelError, match="not a readable SQLite database"):
        schema_from_sqlite(junk)
    bad_json = tmp_path / "tables.json"
    bad_json.write_text("{")
    with pytest.raises(ApelError, match="cannot read tables.json"):
        load_spider_tables(bad_json)
    with pytest.raises(ApelError, match="not a Spider"):
        schema_from_spider({"db_id": "x"})


def test_broken_foreign_keys_are_dropped_not_fatal():
    schema = schema_from_ddl(
        "CREATE TABLE a (id INT PRIMARY KEY); CREATE TABLE b (x INT REFERENCES nowhere(id), y INT REFERENCES a);"
    )
    assert schema.fk_pairs() == {("b", "y", "a", "id")}  # the implicit parent key is resolved


def test_type_kinds():
    assert [type_kind(t) for t in ("INT", "varchar(20)", "DOUBLE", "NUMERIC", "DATETIME", "BOOL", "")] == [
        "integer", "text", "real", "number", "time", "boolean", "text",
    ]  # fmt: skip


def test_ddl_written_back_is_case_insensitive_for_text(schema):
    assert "COLLATE NOCASE" in schema.to_ddl() and "COLLATE" not in schema.to_ddl(nocase=False)
    assert "PRIMARY KEY" not in schema.to_ddl(constraints=False)
    assert DDL  # the fixture text itself is what the other readers were checked against
