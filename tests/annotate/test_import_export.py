"""Bulk import (all or nothing, errors name the line) and export round-trips."""

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from annotate import queue
from annotate.models import Event, Item
from tests.conftest import api_client_for
from tests.factories import ItemFactory, ResearcherFactory, StudyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def study():
    return StudyFactory(owner=ResearcherFactory())


def upload(study, name: str, content: bytes):
    client = api_client_for(study.owner)
    return client.post(
        f"/api/studies/{study.pk}/items/import/",
        {"file": SimpleUploadedFile(name, content)},
        format="multipart",
    )


def test_jsonl_import(study):
    lines = [
        {"external_id": "a", "payload": {"text": "first", "n": 1}},
        {"id": "b", "text": "second"},  # no payload key: the other fields are the payload
        {"external_id": "g", "text": "gold", "is_gold": True, "gold_answer": {"choice": "yes"}},
    ]
    body = "\n".join(json.dumps(x) for x in lines).encode() + b"\n\n"
    response = upload(study, "items.jsonl", body)
    assert response.status_code == 201, response.data
    assert response.data == {"imported": 3}
    items = {i.external_id: i for i in Item.objects.filter(study=study)}
    assert items["a"].payload == {"text": "first", "n": 1}
    assert items["b"].payload == {"text": "second"}
    assert items["g"].is_gold and items["g"].gold_answer == {"choice": "yes"}
    assert Event.objects.filter(verb="items.imported", study=study).exists()


def test_csv_import(study):
    body = 'external_id,text,is_gold,gold_answer\nx1,hello,false,\nx2,"multi\nline",true,"[1,2]"\n'
    response = upload(study, "items.csv", body.encode("utf-8-sig"))  # a BOM, as spreadsheets write it
    assert response.status_code == 201, response.data
    x1, x2 = Item.objects.filter(study=study).order_by("external_id")
    assert x1.payload == {"text": "hello"} and not x1.is_gold and x1.gold_answer is None
    assert x2.payload == {"text": "multi\nline"} and x2.is_gold and x2.gold_answer == [1, 2]


def test_json_list_import(study):
    client = api_client_for(study.owner)
    response = client.post(
        f"/api/studies/{study.pk}/items/import/",
        [{"external_id": 1, "text": "one"}, {"external_id": "2", "payload": {"t": 2}}],
        format="json",
    )
    assert response.status_code == 201
    assert sorted(Item.objects.filter(study=study).values_list("external_id", flat=True)) == ["1", "2"]


BAD_FILES = [
    ("bad json", "items.jsonl", b'{"external_id": "a"}\n{"external_id": \n', "Line 2", "invalid JSON"),
    ("not an object", "items.jsonl", b'{"external_id": "a"}\n[1, 2]\n', "Line 2", "expected a JSON object"),
    (
        "missing id",
        "items.jsonl",
        b'{"external_id": "a"}\n{"x": 1}\n{"text": "no id"}\n',
        "Line 2",
        "missing external_id",
    ),
    (
        "duplicate in file",
        "items.jsonl",
        b'{"id": "a"}\n{"id": "b"}\n{"id": "a"}\n',
        "Line 3",
        "duplicate external_id 'a' (first on line 1)",
    ),
    ("already in study", "items.jsonl", b'{"id": "new"}\n{"id": "exists"}\n', "Line 2", "already exists"),
    (
        "payload not object",
        "items.jsonl",
        b'{"id": "a", "payload": [1]}\n',
        "Line 1",
        "payload must be a JSON object",
    ),
    ("bad is_gold", "items.jsonl", b'{"id": "a", "is_gold": "maybe"}\n', "Line 1", "is_gold"),
    ("gold without answer", "items.jsonl", b'{"id": "a", "is_gold": true}\n', "Line 1", "gold_answer"),
    ("wrong type", "items.txt", b'{"id": "a"}\n', "unsupported file type", ".txt"),
    ("bad encoding", "items.jsonl", b'{"id": "a"}\n{"id": "\xff\xfe"}\n', "Line 2", "not UTF-8"),
    ("empty", "items.jsonl", b"  \n\n", "empty", "empty"),
    ("empty csv", "items.csv", b"", "empty", "empty"),
    ("csv without id column", "items.csv", b"text,label\nhi,1\n", "Line 1", "external_id"),
    ("csv extra field", "items.csv", b"external_id,text\na,hi\nb,hi,extra\n", "Line 3", "3 fields"),
    ("csv missing field", "items.csv", b"external_id,text\na,hi\nb\n", "Line 3", "fewer fields"),
    ("csv header only", "items.csv", b"external_id,text\n", "no records", "no records"),
    ("csv blank id", "items.csv", b"external_id,text\na,hi\n ,hi\n", "Line 3", "missing external_id"),
]


@pytest.mark.parametrize("name,filename,content,where,what", BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_bad_import_imports_nothing(study, name, filename, content, where, what):
    ItemFactory(study=study, external_id="exists")
    response = upload(study, filename, content)
    assert response.status_code == 400
    messages = " ".join(e["message"] for e in response.data["errors"])
    assert where in messages and what in messages, response.data
    assert list(Item.objects.filter(study=study).values_list("external_id", flat=True)) == ["exists"]


def test_every_problem_is_reported_with_its_line(study):
    response = upload(study, "items.jsonl", b'{"id": "a"}\nnot json\n{"x": 1}\n{"id": "a"}\n')
    assert response.status_code == 400
    # Every malformed line at once; duplicates are checked once the file parses.
    assert [e["line"] for e in response.data["errors"]] == [2, 3]
    assert not Item.objects.filter(study=study).exists()


def test_bad_json_list_names_the_record(study):
    client = api_client_for(study.owner)
    response = client.post(
        f"/api/studies/{study.pk}/items/import/", [{"id": "a"}, {"nope": 1}], format="json"
    )
    assert response.status_code == 400
    assert response.data["detail"] == "Record 2: missing external_id (or id)"
    assert not Item.objects.exists()


def test_import_needs_a_file_or_list(study):
    client = api_client_for(study.owner)
    response = client.post(f"/api/studies/{study.pk}/items/import/", {"x": 1}, format="json")
    assert response.status_code == 400
    assert "file" in response.data


def _export(study, what, fmt):
    response = api_client_for(study.owner).get(f"/api/studies/{study.pk}/{what}/export/?format={fmt}")
    assert response.status_code == 200
    assert f"study-{study.pk}-{what}.{fmt}" in response["Content-Disposition"]
    return b"".join(response.streaming_content)


def test_jsonl_round_trip(study):
    ItemFactory(study=study, external_id="a", payload={"text": "x", "nested": {"k": [1, 2]}, "id": 7})
    ItemFactory(
        study=study, external_id="g", payload={"text": "y"}, is_gold=True, gold_answer={"choice": "no"}
    )
    data = _export(study, "items", "jsonl")
    copy = StudyFactory(owner=study.owner)
    assert upload(copy, "items.jsonl", data).status_code == 201
    fields = ("external_id", "payload", "is_gold", "gold_answer")
    assert list(Item.objects.filter(study=copy).values(*fields)) == list(
        Item.objects.filter(study=study).values(*fields)
    )


def test_csv_round_trip(study):
    ItemFactory(study=study, external_id="a", payload={"text": "hello, world", "label": "x"})
    ItemFactory(
        study=study, external_id="b", payload={"text": 'quote "q"\nnewline'}, is_gold=True, gold_answer=["l"]
    )
    data = _export(study, "items", "csv")
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert rows[0] == {
        "external_id": "a",
        "is_gold": "false",
        "gold_answer": "",
        "text": "hello, world",
        "label": "x",
    }
    copy = StudyFactory(owner=study.owner)
    assert upload(copy, "items.csv", data).status_code == 201
    a, b = Item.objects.filter(study=copy).order_by("external_id")
    assert a.payload == {"text": "hello, world", "label": "x"}
    assert b.payload == {"text": 'quote "q"\nnewline', "label": ""}  # CSV has no "missing": an empty cell
    assert b.is_gold and b.gold_answer == ["l"]


def test_response_export(study):
    item = ItemFactory(study=study)
    annotator = study.annotators.create(username="ann")
    a = queue.next_assignment(study, annotator)
    queue.submit(a.pk, annotator, {"choice": "yes"}, displayed_order=["yes", "no"], active_time_ms=1200)
    (line,) = _export(study, "responses", "jsonl").decode().splitlines()
    row = json.loads(line)
    assert row["item_external_id"] == item.external_id
    assert row["annotator_username"] == "ann"
    assert row["answer"] == {"choice": "yes"} and row["displayed_order"] == ["yes", "no"]
    assert row["active_time_ms"] == 1200
    rows = list(csv.DictReader(io.StringIO(_export(study, "responses", "csv").decode())))
    assert json.loads(rows[0]["answer"]) == {"choice": "yes"}
    assert rows[0]["annotator_username"] == "ann"


def test_unknown_export_format_is_400(study):
    response = api_client_for(study.owner).get(f"/api/studies/{study.pk}/items/export/?format=xml")
    assert response.status_code == 400
    assert "format" in response.json()
