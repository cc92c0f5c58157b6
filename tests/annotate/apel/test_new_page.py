"""The browser form for creating an APEL study takes the same all-or-nothing path as the API."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from annotate.models import Study
from tests.annotate.apel.conftest import DDL, UTTERANCES, jsonl
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _post(client, **overrides):
    data = {
        "name": "From the browser",
        "ddl": DDL,
        "utterances": SimpleUploadedFile("u.jsonl", jsonl(UTTERANCES).encode()),
        "annotations_per_item": "2",
        "tau": "0.9",
        "delta": "0.05",
        "max_rounds": "3",
        "row_budget": "16",
        "eps_prior": "0.1",
        "mode": "list",
        **overrides,
    }
    return client.post("/apel/new/", data)


def test_a_researcher_creates_a_study_from_the_form(client, owner):
    client.login(username=owner.username, password=PASSWORD)
    assert client.get("/studies/").content.decode().count("/apel/new/") == 1
    r = _post(client)
    study = Study.objects.get(name="From the browser")
    assert r.status_code == 302 and r["Location"] == f"/studies/{study.pk}/"
    assert study.kind == "apel" and study.items.count() == len(UTTERANCES) and study.config["max_rounds"] == 3


def test_a_bad_line_imports_nothing_and_is_named(client, owner):
    client.login(username=owner.username, password=PASSWORD)
    bad = SimpleUploadedFile("u.jsonl", (jsonl(UTTERANCES[:1]) + "{not json\n").encode())
    r = _post(client, utterances=bad)
    assert r.status_code == 400 and "Line 2" in r.content.decode()
    assert not Study.objects.exists()


def test_a_bad_setting_is_named(client, owner):
    client.login(username=owner.username, password=PASSWORD)
    r = _post(client, tau="2")
    assert r.status_code == 400 and "tau" in r.content.decode() and not Study.objects.exists()


def test_annotators_cannot_create_studies(client):
    user = UserFactory()
    client.login(username=user.username, password=PASSWORD)
    assert client.get("/apel/new/").status_code == 403
    assert "/apel/new/" not in client.get("/studies/").content.decode()
