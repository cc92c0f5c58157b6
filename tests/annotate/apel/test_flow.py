"""A full annotation through the API: two annotators, a gold item, combined labels, exactly-once rounds."""

import json

import pytest

from annotate.apel.models import ApelLabel
from annotate.models import Assignment, Response
from tests.annotate.apel.conftest import UTTERANCES, correct_position
from tests.conftest import api_client_for


def label_everything(client, study) -> list[dict]:
    """Answer correctly until the queue is empty; returns every answer response body."""
    bodies = []
    r = client.get(f"/api/apel/studies/{study.pk}/next/")
    while r.status_code == 200:
        q = r.json()
        choice = correct_position(q["assignment"])
        r = client.post(
            f"/api/apel/studies/{study.pk}/answer/",
            {"assignment": q["assignment"], "question": q["question"], "choice": choice},
            format="json",
        )
        assert r.status_code == 201, r.content
        body = r.json()
        bodies.append(body)
        if body["done"]:
            r = client.get(f"/api/apel/studies/{study.pk}/next/")
        else:
            r.status_code = 200
            r.json = lambda body=body: body["next"]
    assert r.status_code == 204
    return bodies


def test_two_annotators_label_to_completion(make_study, two_annotators):
    study = make_study(annotators=two_annotators)
    for user in two_annotators:
        bodies = label_everything(api_client_for(user), study)
        assert any(b["done"] for b in bodies)

    gold_by_id = {u["id"]: u["gold_sql"] for u in UTTERANCES}
    for label in ApelLabel.objects.filter(item__study=study).select_related("item"):
        assert label.n_annotators == 2
        assert label.label_sql == gold_by_id[label.item.external_id]
        assert label.confidence >= 0.9
        assert len(label.evidence) == 2 and all(e["rounds"] for e in label.evidence)
    # Each answered round is one Response, recorded exactly once.
    for a in Assignment.objects.filter(study=study):
        assert a.status == Assignment.Status.DONE
        rounds = [h["round"] for h in a.state["history"]]
        stored = list(Response.objects.filter(assignment=a).order_by("round").values_list("round", flat=True))
        assert stored == rounds == list(range(1, len(rounds) + 1))
    # The gold item scored both annotators.
    gold = Assignment.objects.filter(study=study, item__is_gold=True)
    assert [a.state["gold_correct"] for a in gold] == [True, True]


def test_retried_submit_does_not_double_count(make_study, two_annotators):
    user = two_annotators[0]
    study = make_study(annotators=[user], config={"max_rounds": 3, "tau": 0.999})
    client = api_client_for(user)
    q = client.get(f"/api/apel/studies/{study.pk}/next/").json()
    payload = {
        "assignment": q["assignment"],
        "question": q["question"],
        "choice": correct_position(q["assignment"]),
    }
    first = client.post(f"/api/apel/studies/{study.pk}/answer/", payload, format="json")
    again = client.post(f"/api/apel/studies/{study.pk}/answer/", payload, format="json")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["created"] is False
    assert again.json()["posterior"] == first.json()["posterior"]
    assert Response.objects.filter(assignment_id=q["assignment"]).count() == 1
    a = Assignment.objects.get(pk=q["assignment"])
    assert len(a.state["history"]) == 1 and a.state["session"]["rounds"] == 1


def test_stopping_rules_are_surfaced(make_study, two_annotators):
    user = two_annotators[0]
    single = [{"id": "s", "question": "All names", "candidates": [["SELECT name FROM singer", 1]]}]
    study = make_study(
        records=UTTERANCES[:1] + single, config={"max_rounds": 1, "tau": 0.999}, k=1, annotators=[user]
    )
    client = api_client_for(user)
    q = client.get(f"/api/apel/studies/{study.pk}/next/").json()
    body = client.post(
        f"/api/apel/studies/{study.pk}/answer/",
        {"assignment": q["assignment"], "question": q["question"], "choice": "unsure"},
        format="json",
    ).json()
    assert body["done"] and body["stop_reason"] == "max_rounds"
    # One candidate (prior 0.98 < tau): no database tells it from "some other program" by much,
    # so the session stops for low gain before any question; the queue completes it silently.
    assert client.get(f"/api/apel/studies/{study.pk}/next/").status_code == 204
    labels = {lab.item.external_id: lab for lab in ApelLabel.objects.filter(item__study=study)}
    assert labels["s"].stop_reasons == ["low_gain"]
    assert labels["u1"].stop_reasons == ["max_rounds"]


def test_export_has_label_and_evidence(make_study, two_annotators, owner):
    user = two_annotators[0]
    study = make_study(annotators=[user], k=1)
    label_everything(api_client_for(user), study)
    r = api_client_for(owner).get(f"/api/apel/studies/{study.pk}/labels/export/")
    assert r.status_code == 200 and r["Content-Type"] == "application/x-ndjson"
    lines = [json.loads(x) for x in b"".join(r.streaming_content).decode().splitlines()]
    assert len(lines) == 3
    for line in lines:
        assert line["label_sql"] == line["reference_sql"]
        assert line["evidence"][0]["annotator"] == user.username
        assert line["evidence"][0]["rounds"][0]["database"]
        assert len(line["candidates"]) == len([c for c in line["candidates"] if "posterior" in c])
    page = api_client_for(owner).get(f"/apel/{study.pk}/labels.jsonl")
    assert page.status_code == 401 or page.status_code == 302  # pages use session login, not tokens


@pytest.mark.parametrize("k", [1])
def test_researcher_pages_show_labels_and_history(make_study, two_annotators, owner, client, k):
    user = two_annotators[0]
    study = make_study(annotators=[user], k=k)
    label_everything(api_client_for(user), study)
    client.force_login(owner)
    listing = client.get(f"/apel/{study.pk}/utterances/")
    assert listing.status_code == 200 and b"= reference" in listing.content
    item = study.items.get(external_id="u1")
    history = client.get(f"/apel/{study.pk}/utterances/{item.pk}/")
    assert (
        history.status_code == 200
        and b"Database 1" in history.content
        and user.username.encode() in history.content
    )
    export = client.get(f"/apel/{study.pk}/labels.jsonl")
    assert export.status_code == 200 and b'"evidence"' in b"".join(export.streaming_content)


def test_generic_endpoints_neither_leak_the_session_nor_accept_apel_answers(make_study, two_annotators):
    ann, _ = two_annotators
    study = make_study(annotators=[ann])
    client = api_client_for(ann)
    question = client.get(f"/api/apel/studies/{study.pk}/next/").json()
    generic = client.get(f"/api/studies/{study.pk}/next/")
    assert generic.status_code == 409 and "SELECT" not in generic.content.decode()
    r = client.post(
        "/api/responses/", {"assignment": question["assignment"], "answer": {"choice": 0}}, format="json"
    )
    assert r.status_code == 409
    assert Response.objects.filter(assignment_id=question["assignment"]).count() == 0


def test_generic_item_import_refuses_apel_studies(make_study, owner):
    study = make_study()
    before = study.items.count()
    client = api_client_for(owner)
    r = client.post(
        f"/api/studies/{study.pk}/items/import/", [{"external_id": "x", "payload": {}}], format="json"
    )
    assert r.status_code == 400 and "own page or API" in r.json()["detail"]
    assert study.items.count() == before
    from django.test import Client

    from tests.factories import PASSWORD

    browser = Client()
    browser.login(username=owner.username, password=PASSWORD)
    html = browser.get(f"/studies/{study.pk}/").content.decode()
    assert f"/apel/{study.pk}/utterances/" in html and "import-panel" not in html
