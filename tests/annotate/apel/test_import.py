"""Creating an APEL study by upload: all or nothing, every problem named with its line."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from annotate.apel.models import ApelDatabase, ApelLabel
from annotate.models import Item, Study
from tests.annotate.apel.conftest import DDL, UTTERANCES, jsonl
from tests.conftest import api_client_for

GOOD = jsonl(UTTERANCES)


def post(user, *, utterances=GOOD, ddl=DDL, schema=None, config=None):
    data = {"name": "Upload", "utterances": SimpleUploadedFile("u.jsonl", utterances.encode())}
    if ddl:
        data["ddl"] = ddl
    if schema is not None:
        data["schema"] = schema
    if config is not None:
        data["config"] = config
    return api_client_for(user).post("/api/apel/studies/", data, format="multipart")


def test_good_upload_creates_everything(owner):
    r = post(owner)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["items"] == 3 and body["databases"] == ["main"] and body["config"]["tau"] == 0.9
    study = Study.objects.get(pk=body["id"])
    assert study.kind == "apel" and ApelLabel.objects.filter(item__study=study).count() == 3
    gold = study.items.get(external_id="g1")
    assert gold.is_gold and gold.gold_answer == {"sql": UTTERANCES[2]["gold_sql"]}
    assert "gold_sql" not in gold.payload  # never reaches annotators through the generic /next/


def test_sqlite_and_spider_schemas(owner, tmp_path):
    import sqlite3

    path = tmp_path / "db.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(DDL + "INSERT INTO singer VALUES (1, 'Ann', 'France', 31);")
    conn.close()
    r = post(owner, ddl=None, schema=SimpleUploadedFile("db.sqlite", path.read_bytes()))
    assert r.status_code == 201, r.content
    assert ApelDatabase.objects.get(study_id=r.json()["id"]).sqlite is not None
    spider = {
        "db_id": "main",
        "table_names_original": ["singer"],
        "column_names_original": [[-1, "*"], [0, "singer_id"], [0, "name"], [0, "age"], [0, "country"]],
        "column_types": ["text", "number", "text", "number", "text"],
        "primary_keys": [1],
        "foreign_keys": [],
    }
    r = post(
        owner,
        ddl=None,
        utterances=jsonl(UTTERANCES[:2]),
        schema=SimpleUploadedFile("tables.json", json.dumps([spider]).encode()),
    )
    assert r.status_code == 201, r.content


BAD_LINE = {"id": "x", "question": "q", "candidates": [["SELECT name FROM nowhere", 1]]}


@pytest.mark.parametrize(
    "utterances, line, words",
    [
        (GOOD + "{not json\n", 4, "not valid JSON"),
        (GOOD + json.dumps(BAD_LINE) + "\n", 4, "no usable candidate"),
        (json.dumps({**UTTERANCES[0], "candidates": [["DELETE FROM singer", 1]]}) + "\n", 1, "read-only"),
        (GOOD + json.dumps({**UTTERANCES[0], "id": "z", "db_id": "other"}) + "\n", 4, "unknown db_id"),
        (GOOD + json.dumps({**UTTERANCES[0]}) + "\n", 4, "duplicate id"),
        (json.dumps({"id": "a", "candidates": [["SELECT 1 FROM singer", 1]]}) + "\n", 1, '"question"'),
        (json.dumps({**UTTERANCES[0], "is_gold": True, "gold_sql": ""}) + "\n", 1, "gold"),
        (json.dumps({**UTTERANCES[0], "candidates": [["SELECT name FROM singer", -1]]}) + "\n", 1, "weight"),
        (json.dumps({**UTTERANCES[0], "gold_sql": "SELECT nope FROM singer"}) + "\n", 1, "gold_sql"),
    ],
)
def test_bad_lines_name_the_line_and_import_nothing(owner, utterances, line, words):
    before = (Study.objects.count(), Item.objects.count(), ApelDatabase.objects.count())
    r = post(owner, utterances=utterances)
    assert r.status_code == 400, r.content
    errors = r.json()["errors"]
    assert any(
        e["line"] == line and words in e["message"] and f"Line {line}:" in e["message"] for e in errors
    ), errors
    assert (Study.objects.count(), Item.objects.count(), ApelDatabase.objects.count()) == before


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"ddl": "CREATE TABLE oops ("}, "invalid DDL"),
        (
            {"ddl": None, "schema": SimpleUploadedFile("x.sqlite", b"SQLite format 3\x00garbage" * 10)},
            "bad schema",
        ),
        ({"ddl": None}, "exactly one schema"),
        ({"config": '{"tau": 2}'}, "tau"),
        ({"config": '{"colour": 1}'}, "unknown config"),
        ({"utterances": ""}, "empty"),
    ],
)
def test_bad_schema_or_config_is_a_400(owner, kwargs, words):
    before = Study.objects.count()
    r = post(owner, **kwargs)
    assert r.status_code == 400, r.content
    assert words in json.dumps(r.json())
    assert Study.objects.count() == before


def test_annotators_cannot_create(annotator):
    assert post(annotator).status_code == 403
    assert Study.objects.count() == 0
