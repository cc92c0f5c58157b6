"""The browser form for creating a rating study: an upload or a run's dataset, all or nothing."""

from itertools import combinations

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from annotate.models import Study
from evalhub.models import Artifact, Run
from tests.annotate.rating.conftest import MODELS, jsonl, outputs, page_for
from tests.factories import ResearcherFactory, RunFactory, UserFactory

pytestmark = pytest.mark.django_db
RECORDS = outputs(2, gold=False, attention=False)  # 2 prompts x 3 models: 6 pairs, or 4 with a reference


def _upload(text: str = jsonl(RECORDS)) -> SimpleUploadedFile:
    return SimpleUploadedFile("outputs.jsonl", text.encode())


def _post(client, **overrides):
    data = {
        "name": "From the browser",
        "description": "Which answer is better?",
        "annotations_per_item": "2",
        "reference": "",
        "min_seconds": "5",
        "likert": "on",
        **overrides,
    }
    return client.post("/rating/new/", {k: v for k, v in data.items() if v is not None})


def _dataset(owner, status=Run.Status.SUCCEEDED, name="outputs.jsonl") -> Artifact:
    """A run's outputs file written under ARTIFACT_ROOT, as the worker stores it."""
    run = RunFactory(owner=owner, kind="lm.generate_outputs", status=status, finished_at=timezone.now())
    folder = settings.ARTIFACT_ROOT / "runs" / str(run.pk)
    folder.mkdir(parents=True)
    (folder / name).write_text(jsonl(RECORDS))
    return Artifact.objects.create(run=run, kind="dataset", name=name, path=f"runs/{run.pk}/{name}")


def test_researchers_get_the_form_and_annotators_do_not(owner):
    r = page_for(owner).get("/rating/new/")
    assert r.status_code == 200 and 'name="outputs"' in r.content.decode()
    assert "/rating/new/" in page_for(owner).get("/studies/").content.decode()
    annotator = page_for(UserFactory())
    assert annotator.get("/rating/new/").status_code == 403
    assert annotator.post("/rating/new/", {"name": "x"}).status_code == 403
    assert "/rating/new/" not in annotator.get("/studies/").content.decode()


def test_an_upload_creates_the_study_and_redirects(owner):
    r = _post(page_for(owner), outputs=_upload(), comment="on")
    study = Study.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/studies/{study.pk}/"
    assert (study.kind, study.owner, study.name, study.annotations_per_item) == (
        "rating",
        owner,
        "From the browser",
        2,
    )
    assert study.config == {"reference": None, "min_seconds": 5, "likert": True, "comment": True}
    pairs = {(i.payload["prompt_id"], i.payload["model_a"], i.payload["model_b"]) for i in study.items.all()}
    assert pairs == {(p, a, b) for p in ("p0", "p1") for a, b in combinations(MODELS, 2)}


def test_a_reference_and_unticked_boxes_reach_the_config(owner):
    _post(page_for(owner), outputs=_upload(), reference=MODELS[0], likert=None, min_seconds="0.5")
    study = Study.objects.get()
    assert study.config == {"reference": MODELS[0], "min_seconds": 0.5, "likert": False, "comment": False}
    assert study.items.count() == 4 and all(i.payload["model_a"] == MODELS[0] for i in study.items.all())


def test_a_run_dataset_creates_the_study(owner):
    artifact = _dataset(owner)
    page = page_for(owner).get(f"/rating/new/?artifact={artifact.pk}").content.decode()
    assert f'<option value="{artifact.pk}" selected>' in page
    r = _post(page_for(owner), artifact=str(artifact.pk))
    study = Study.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/studies/{study.pk}/" and study.items.count() == 6


def test_only_succeeded_jsonl_datasets_are_offered(owner):
    mine = _dataset(owner)
    running = _dataset(owner, status=Run.Status.RUNNING)
    other = _dataset(owner, name="table.csv")
    theirs = _dataset(ResearcherFactory())
    page = page_for(owner).get("/rating/new/").content.decode()
    assert f'<option value="{mine.pk}"' in page
    assert all(f'<option value="{a.pk}"' not in page for a in (running, other, theirs))


def test_a_bad_line_imports_nothing_and_is_named(owner):
    bad = _upload(jsonl(RECORDS) + "{not json\n")
    r = _post(page_for(owner), outputs=bad, reference="keep-me")
    html = r.content.decode()
    assert r.status_code == 400 and f"Line {len(RECORDS) + 1}" in html
    assert 'value="From the browser"' in html and 'value="keep-me"' in html  # the user's values are kept
    assert not Study.objects.exists()


@pytest.mark.parametrize("both", [True, False])
def test_both_or_neither_source_is_refused(owner, both):
    artifact = _dataset(owner)
    extra = {"outputs": _upload(), "artifact": str(artifact.pk)} if both else {}
    r = _post(page_for(owner), **extra)
    message = "not both" if both else "Upload a JSONL file of outputs or pick a run"
    assert r.status_code == 400 and message in r.content.decode()
    assert not Study.objects.exists()


@pytest.mark.parametrize("which", ["theirs", "unknown", "text", "huge", "running"])
def test_an_artifact_the_user_cannot_use_is_a_400(owner, which):
    ids = {
        "theirs": lambda: _dataset(ResearcherFactory()).pk,
        "unknown": lambda: 999999,
        "text": lambda: "abc",
        "huge": lambda: 10**30,
        "running": lambda: _dataset(owner, status=Run.Status.RUNNING).pk,
    }
    r = _post(page_for(owner), artifact=str(ids[which]()))
    assert r.status_code == 400 and "No such dataset" in r.content.decode()
    assert not Study.objects.exists()


def test_a_missing_dataset_file_is_a_400(owner):
    artifact = _dataset(owner)
    artifact.abspath.unlink()
    r = _post(page_for(owner), artifact=str(artifact.pk))
    assert r.status_code == 400 and "no longer on this server" in r.content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("annotations_per_item", "two", "whole number from 1 to 50"),
        ("annotations_per_item", "0", "whole number from 1 to 50"),
        ("min_seconds", "soon", "must be a number"),
        ("min_seconds", "nan", "min_seconds must be a number from 0 to 3600"),
        ("name", "  ", "A study needs a name"),
        ("reference", "nobody", "No output comes from the reference model"),
    ],
)
def test_bad_fields_are_named_not_500(owner, field, value, message):
    r = _post(page_for(owner), outputs=_upload(), **{field: value})
    assert r.status_code == 400 and message in r.content.decode()
    assert not Study.objects.exists()


def test_the_run_page_links_its_outputs_to_the_form(owner, admin_user):
    artifact = _dataset(owner)
    link = f'href="/rating/new/?artifact={artifact.pk}"'
    assert link in page_for(owner).get(f"/runs/{artifact.run_id}/").content.decode()
    assert link in page_for(admin_user).get(f"/runs/{artifact.run_id}/").content.decode()
    # Annotators never see runs at all, so never the link.
    r = page_for(UserFactory()).get(f"/runs/{artifact.run_id}/")
    assert r.status_code == 404 and link not in r.content.decode()


def test_unfinished_runs_and_other_files_get_no_link(owner):
    running = _dataset(owner, status=Run.Status.RUNNING)
    csv = _dataset(owner, name="table.csv")
    for artifact in (running, csv):
        assert "Rate these outputs" not in page_for(owner).get(f"/runs/{artifact.run_id}/").content.decode()
