"""The researcher's and annotators' flow in Django: upload corpora, start describe.run, pick hypotheses
from the finished run, annotate, read the report."""

import json
import re
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections
from django.utils.html import escape

from annotate import queue
from annotate.hypotheses import services
from annotate.models import Assignment, Item, Response, Study
from evalhub.models import Run
from tests.annotate.hypotheses.conftest import page_for
from tests.annotate.hypotheses.factories import (
    D0,
    D1,
    HELD_D0,
    HELD_D1,
    HYPOTHESES,
    DescribeRunFactory,
    describe_params,
    jsonl,
    labelled_csv,
)
from tests.factories import ResearcherFactory, UserFactory

pytestmark = pytest.mark.django_db


def upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_upload_starts_describe_run_and_lands_on_its_run_page(owner):
    r = page_for(owner).post(
        "/hypotheses/",
        {
            "corpus_a": upload("sports.jsonl", jsonl(D1)),
            "corpus_b": upload("calm.jsonl", jsonl(D0)),
            "n_hypotheses": "8",
            "top_k": "3",
            "proposer": "discriminative",
            "verifier": "embedding",
        },
    )
    run = Run.objects.get(kind="describe.run")
    assert r.status_code == 302 and r["Location"] == f"/runs/{run.pk}/"  # evalhub's page, progress bar
    assert run.owner == owner and run.status == Run.Status.QUEUED
    assert run.params["n_hypotheses"] == 8 and run.params["top_k"] == 3
    stored_a, stored_b = Path(run.params["corpus_a"]), Path(run.params["corpus_b"])
    assert stored_a.is_relative_to(settings.ARTIFACT_ROOT)  # shared by the web app and the workers
    assert stored_a.read_bytes() == jsonl(D1) and stored_b.read_bytes() == jsonl(D0)


def test_one_labelled_csv_splits_by_its_label_column(owner):
    rows = [(t, "1") for t in D1] + [(t, "0") for t in D0]
    r = page_for(owner).post("/hypotheses/", {"corpus_a": upload("both.csv", labelled_csv(rows))})
    run = Run.objects.get(kind="describe.run")
    assert r.status_code == 302
    assert run.params["corpus_b"] == "" and run.params["corpus_a"].endswith("corpus_a.csv")


@pytest.mark.parametrize(
    "files, field, message",
    [
        ({}, "corpus_a", "Upload corpus A"),
        ({"corpus_a": ("a.jsonl", b"\n\n"), "corpus_b": ("b.jsonl", jsonl(D0))}, "corpus_a", "a.jsonl is empty"),
        ({"corpus_a": ("a.jsonl", jsonl(["", " "])), "corpus_b": ("b.jsonl", jsonl(D0))}, "corpus_a", "a.jsonl holds no non-empty texts"),
        ({"corpus_a": ("a.jsonl", jsonl(D1, "body")), "corpus_b": ("b.jsonl", jsonl(D0))}, "text_field", "no 'text' field"),
        ({"corpus_a": ("a.csv", b"title,label\nhello,1\n")}, "text_field", "a.csv has no 'text' column"),
        ({"corpus_a": ("a.csv", labelled_csv([(t, "1") for t in D1]))}, "corpus_a", "single class"),
        ({"corpus_a": ("a.jsonl", jsonl(D1))}, "label_field", "no 'label' field"),
        ({"corpus_a": ("a.txt", b"hello")}, "corpus_a", "a.txt is not a .jsonl or .csv file"),
        ({"corpus_a": ("a.jsonl", jsonl(D1[:2])), "corpus_b": ("b.jsonl", jsonl(D0))}, "corpus_a", "Group A has 2 texts"),
        ({"corpus_a": ("a.jsonl", b"{not json\n"), "corpus_b": ("b.jsonl", jsonl(D0))}, "corpus_a", "not valid JSON"),
    ],
)  # fmt: skip
def test_bad_corpora_are_a_400_naming_the_problem_and_nothing_is_kept(owner, files, field, message):
    data = {name: upload(*spec) for name, spec in files.items()}
    r = page_for(owner).post("/hypotheses/", data)
    assert r.status_code == 400
    problems = r.context["problems"]
    assert [p["field"] for p in problems] == [field], problems
    assert message in problems[0]["message"]
    assert str(settings.ARTIFACT_ROOT) not in problems[0]["message"]  # people see their file's name
    assert not Run.objects.exists()
    uploads = Path(settings.ARTIFACT_ROOT) / "uploads" / "describe"
    assert not uploads.exists() or not any(uploads.iterdir())


def test_bad_parameters_are_a_400(owner):
    data = {"corpus_a": upload("a.jsonl", jsonl(D1)), "corpus_b": upload("b.jsonl", jsonl(D0)), "top_k": "0"}
    r = page_for(owner).post("/hypotheses/", data)
    assert r.status_code == 400 and r.context["problems"][0]["field"] == "top_k"
    assert not Run.objects.exists()


def test_only_researchers_start_runs_and_see_only_their_own(owner, annotators):
    assert page_for(annotators[0]).get("/hypotheses/").status_code == 403
    run = DescribeRunFactory(owner=owner)
    other = DescribeRunFactory()
    page = page_for(owner).get("/hypotheses/")
    assert page.status_code == 200 and list(page.context["runs"]) == [run]
    assert page_for(owner).get(f"/hypotheses/runs/{other.pk}/verify/").status_code == 404
    assert page_for(annotators[0]).get(f"/hypotheses/runs/{run.pk}/verify/").status_code == 403


def test_run_page_links_a_finished_describe_run_to_verification(owner):
    run = DescribeRunFactory(owner=owner)
    html = page_for(owner).get(f"/runs/{run.pk}/").content.decode()
    assert f"/hypotheses/runs/{run.pk}/verify/" in html


def test_verify_page_lists_the_ranked_hypotheses_with_the_top_k_ticked(owner):
    run = DescribeRunFactory(owner=owner, params=describe_params(top_k=2))
    r = page_for(owner).get(f"/hypotheses/runs/{run.pk}/verify/")
    assert r.status_code == 200
    html = r.content.decode()
    assert all(h in html for h in HYPOTHESES)
    assert r.context["values"]["ranks"] == [1, 2]


def test_sending_hypotheses_creates_an_interleaved_study_of_heldout_samples_with_gold(owner):
    run = DescribeRunFactory(owner=owner)
    r = page_for(owner).post(
        f"/hypotheses/runs/{run.pk}/verify/",
        {"rank": ["1", "3"], "name": "Check them", "annotations_per_item": "3", "samples_per_group": "4",
         "n_gold": "4", "flag_gap": "0.25"},
    )  # fmt: skip
    study = Study.objects.get(kind="hypothesis")
    assert r.status_code == 302 and r["Location"] == f"/studies/{study.pk}/"
    assert study.name == "Check them" and study.annotations_per_item == 3 and study.owner == owner
    cfg = study.config
    assert cfg["run"] == run.pk and cfg["flag_gap"] == 0.25
    assert [(h["index"], h["hypothesis"], h["machine"]["rank"]) for h in cfg["hypotheses"]] == [
        (0, HYPOTHESES[0], 1),
        (1, HYPOTHESES[2], 3),
    ]
    assert cfg["hypotheses"][0]["machine"]["validity"] == 0.6

    items = list(Item.objects.filter(study=study).order_by("id"))
    real = [i for i in items if not i.is_gold]
    gold = [i for i in items if i.is_gold]
    assert len(real) == 2 * 2 * 4 and len(gold) == 4
    # Held out only: never a text the proposer saw.
    held_d1, held_d0 = HELD_D1, HELD_D0
    for item in real:
        assert item.payload["text"] in (held_d1 if item.payload["group"] == "D1" else held_d0)
    # Interleaved: consecutive real items come in D1/D0 pairs of one hypothesis, pair j of every
    # hypothesis before pair j + 1 of any.
    pairs = [real[i : i + 2] for i in range(0, len(real), 2)]
    assert all({a.payload["group"], b.payload["group"]} == {"D1", "D0"} for a, b in pairs)
    assert all(a.payload["hypothesis_index"] == b.payload["hypothesis_index"] for a, b in pairs)
    assert [a.payload["hypothesis_index"] for a, _ in pairs] == [0, 1, 0, 1, 0, 1, 0, 1]
    assert len({a.payload["group"] for a, _ in pairs}) == 2  # the coin does not always put D1 first
    # Gold: spread out, exact answers, half yes and half no.
    positions = [items.index(g) for g in gold]
    assert positions[0] > 0 and positions[-1] < len(items) - 1
    letter = cfg["control"]["letter"]
    for g in gold:
        assert (
            g.payload["hypothesis"] == cfg["control"]["hypothesis"] and g.payload["hypothesis_index"] is None
        )
        assert g.gold_answer["answer"] == ("yes" if letter in g.payload["text"].lower() else "no")
    assert sorted(g.gold_answer["answer"] for g in gold) == ["no", "no", "yes", "yes"]
    # Opaque ids: annotators may see an item id, never its group.
    assert all(i.external_id.startswith("p") and "D" not in i.external_id for i in items)


@pytest.mark.parametrize(
    "post, message",
    [
        ({"annotations_per_item": "3"}, "Pick at least one hypothesis"),
        ({"rank": "99"}, "no hypothesis ranked 99"),
        ({"rank": "1", "annotations_per_item": "0"}, "annotations per item must be a whole number"),
        ({"rank": "1", "samples_per_group": "x"}, "samples per group must be a whole number"),
        ({"rank": "1", "flag_gap": "nan"}, "flag gap must be above 0"),
    ],
)
def test_bad_verification_requests_are_a_400(owner, post, message):
    run = DescribeRunFactory(owner=owner)
    r = page_for(owner).post(f"/hypotheses/runs/{run.pk}/verify/", post)
    assert r.status_code == 400 and message in r.context["problems"][0]["message"]
    assert not Study.objects.exists()


def test_runs_that_cannot_be_verified_are_a_400_or_404(owner):
    client = page_for(owner)
    running = DescribeRunFactory(owner=owner, status=Run.Status.RUNNING)
    r = client.get(f"/hypotheses/runs/{running.pk}/verify/")
    assert r.status_code == 400 and "has not succeeded" in r.content.decode()
    other_kind = DescribeRunFactory(owner=owner, kind="lm.train_tiny")
    assert client.get(f"/hypotheses/runs/{other_kind.pk}/verify/").status_code == 404
    # A report that does not record its held-out samples cannot say which samples people may see.
    unrecorded = DescribeRunFactory(owner=owner)
    path = unrecorded.workdir / "report.json"
    path.write_text(json.dumps({k: v for k, v in json.loads(path.read_text()).items() if k != "heldout"}))
    r = client.post(f"/hypotheses/runs/{unrecorded.pk}/verify/", {"rank": "1"})
    assert r.status_code == 400 and "does not record its held-out samples" in r.content.decode()
    assert not Study.objects.exists()


def make_study(owner, annotators, k=2, per_group=2, n_gold=2, ranks=(1,)):
    run = DescribeRunFactory(owner=owner)
    study = services.create_hypothesis_study(
        owner, run, list(ranks), annotations_per_item=k, samples_per_group=per_group, n_gold=n_gold
    )
    study.annotators.add(*annotators)
    return study


def test_annotators_answer_with_the_page_and_the_report_adds_up(owner, annotators):
    study = make_study(owner, annotators)
    n_items = study.items.count()
    assert n_items == 2 * 2 + 2
    for user, answer in zip(annotators, ("yes", "no"), strict=True):
        client = page_for(user)
        for _ in range(n_items):
            page = client.get(f"/studies/{study.pk}/annotate/")
            pair = page.context["pair"]
            # the CSRF token (64 random letters and digits) can contain "D1" by chance: leave it out
            html = re.sub(r"[A-Za-z0-9]{40,}", "", page.content.decode())
            # Blind: the page shows the hypothesis and the text, never the group.
            assert escape(pair.hypothesis) in html and "D1" not in html and "D0" not in html
            r = client.post(
                f"/studies/{study.pk}/annotate/",
                {"assignment": pair.assignment, "answer": answer, "active_time_ms": "900"},
                headers={"HX-Request": "true"},
            )
            assert r.status_code == 200
        assert client.get(f"/studies/{study.pk}/annotate/").context["pair"] is None
    assert Response.objects.filter(study=study).count() == 2 * n_items

    report = page_for(owner).get(f"/hypotheses/{study.pk}/report/")
    assert report.status_code == 200
    stats = report.context["report"]
    h = stats["hypotheses"][0]
    # One annotator always says yes, the other always no: validity 0 and alpha at its floor.
    assert h["human"]["validity"] == 0 and h["human"]["D1"] == {"yes": 2, "no": 2, "share": 0.5}
    assert h["machine"]["validity"] == 0.6 and h["flags"]
    assert len(stats["split_pairs"]) == 4 and stats["gold"]["n"] == 4
    assert report.context["report"]["agreement"]["n_items"] == 4


def test_a_repeated_answer_is_stored_once(owner, annotators):
    study = make_study(owner, annotators[:1], k=1)
    user = annotators[0]
    a = queue.next_assignment(study, user)
    first = services.answer(study, a.pk, user, "yes")
    again = services.answer(study, a.pk, user, "no")  # a double key press, a retry, a second tab
    assert first.created and not again.created and again.response_id == first.response_id
    client = page_for(user)
    r = client.post(f"/studies/{study.pk}/annotate/", {"assignment": a.pk, "answer": "no"})
    assert r.status_code == 200  # the stored answer stands; the next pair is served
    assert Response.objects.filter(assignment=a).count() == 1
    assert Response.objects.get(assignment=a).answer == {"answer": "yes"}
    assert Assignment.objects.get(pk=a.pk).item.n_done == 1


def test_bad_answers_are_refused_without_storing_anything(owner, annotators):
    study = make_study(owner, annotators)
    user, other = annotators
    a = queue.next_assignment(study, user)
    client = page_for(user)
    r = client.post(f"/studies/{study.pk}/annotate/", {"assignment": a.pk, "answer": "maybe"})
    assert r.status_code == 400 and "Answer yes (y), no (n) or unsure (u)" in r.content.decode()
    r = page_for(other).post(f"/studies/{study.pk}/annotate/", {"assignment": a.pk, "answer": "yes"})
    assert r.status_code == 400 and "No such assignment" in r.content.decode()
    r = client.post(f"/studies/{study.pk}/annotate/", {"answer": "yes"})
    assert r.status_code == 400
    assert not Response.objects.exists()


def test_the_generic_queue_api_refuses_hypothesis_studies(owner, annotators, api_client):
    study = make_study(owner, annotators)
    api = api_client(annotators[0])
    assert api.get(f"/api/studies/{study.pk}/next/").status_code == 409  # it would hand out the group
    a = queue.next_assignment(study, annotators[0])
    r = api.post("/api/responses/", {"assignment": a.pk, "answer": {"answer": "yes"}}, format="json")
    assert r.status_code in (400, 409) and not Response.objects.exists()


def test_study_pages_link_the_report_for_managers_only(owner, annotators):
    study = make_study(owner, annotators)
    assert f"/hypotheses/{study.pk}/report/" in page_for(owner).get(f"/studies/{study.pk}/").content.decode()
    assert page_for(annotators[0]).get(f"/hypotheses/{study.pk}/report/").status_code == 403
    assert "/hypotheses/" in page_for(owner).get("/studies/").content.decode()


def test_report_fragment_polls_while_open_and_stops_when_closed(owner, annotators):
    study = make_study(owner, annotators)
    client = page_for(owner)
    fragment = client.get(f"/hypotheses/{study.pk}/report/", headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 5s"' in fragment and "<html" not in fragment
    Study.objects.filter(pk=study.pk).update(is_active=False)
    fragment = client.get(f"/hypotheses/{study.pk}/report/", headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in fragment


def test_export_has_one_row_per_judgement(owner, annotators):
    study = make_study(owner, annotators, k=1, per_group=1, n_gold=1)
    user = annotators[0]
    answers = ["yes", "unsure", "no"]
    for value in answers:
        a = queue.next_assignment(study, user)
        services.answer(study, a.pk, user, value)
    client = page_for(owner)
    r = client.get(f"/hypotheses/{study.pk}/judgments.jsonl")
    rows = [json.loads(line) for line in r.content.decode().splitlines()]
    assert r.status_code == 200 and r["Content-Disposition"].endswith('judgments.jsonl"')
    assert [row["answer"] for row in rows] == answers and {row["annotator"] for row in rows} == {
        user.username
    }
    items = {i.pk: i for i in study.items.all()}
    for row in rows:
        item = items[row["item_id"]]
        assert (row["hypothesis"], row["text"], row["group"]) == (
            item.payload["hypothesis"], item.payload["text"], item.payload["group"]
        )  # fmt: skip
        assert row["is_gold"] == item.is_gold
    r = client.get(f"/hypotheses/{study.pk}/judgments.csv")
    header, *lines = r.content.decode().splitlines()
    assert header.startswith("hypothesis,text,group,annotator,answer,") and len(lines) == 3
    assert client.get(f"/hypotheses/{study.pk}/judgments.xml").status_code == 404
    assert page_for(user).get(f"/hypotheses/{study.pk}/judgments.csv").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_concurrent_annotators_lose_nothing_and_count_nothing_twice():
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith("file:memorydb"):
        pytest.skip(
            "in-memory SQLite cannot be shared between threads; covered by tests/annotate/test_queue.py"
        )
    owner = ResearcherFactory()
    users = [UserFactory() for _ in range(4)]
    study = make_study(owner, users, k=2, per_group=3, n_gold=2)
    errors, stored = [], []

    def work(user):
        try:
            while (pair := services.next_pair(study, user)) is not None:
                # Every answer sent twice, as a double key press or a retried request would.
                for _ in range(2):
                    stored.append(services.answer(study, pair.assignment, user, "yes"))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    n_items = study.items.count()
    assert Response.objects.filter(study=study).count() == 2 * n_items == sum(a.created for a in stored)
    assert sorted(study.items.values_list("n_done", flat=True)) == [2] * n_items
