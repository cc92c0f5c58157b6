"""Exports: every response with model names resolved, and the statistics, as JSONL and CSV."""

import csv
import io
import json

import pytest
from django.core.cache import cache

from annotate import queue
from annotate.rating import services
from tests.annotate.rating.conftest import MODELS, page_for, preferred_choice
from tests.conftest import api_client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated(make_study):
    cache.clear()
    raters = [UserFactory(username=f"r{i}") for i in range(2)]
    study = make_study(k=2, annotators=raters, config={"comment": True})
    for rater in raters:
        while (a := queue.next_assignment(study, rater)) is not None:
            services.rate(study, a.pk, rater, preferred_choice(a.pk), likert_right=3, comment="ok")
    return study


def test_responses_jsonl_and_csv(rated, owner):
    client = page_for(owner)
    n = 2 * rated.items.count()
    lines = client.get(f"/rating/{rated.pk}/export/responses.jsonl").content.decode().splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == n
    first = records[0]
    assert first["left"] in MODELS and first["winner_model"] in MODELS and first["comment"] == "ok"
    assert first["likert_right"] == 3 and first["rater"] in ("r0", "r1")
    assert {r["gold_kind"] for r in records} == {None, "gold", "attention"}
    assert all(r["gold_correct"] for r in records if r["gold_kind"])
    response = client.get(f"/rating/{rated.pk}/export/responses.csv")
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == n and rows[0]["winner_model"] == first["winner_model"]


def test_stats_exports(rated, owner):
    api = api_client_for(owner)
    lines = (
        api.get(f"/api/rating/studies/{rated.pk}/export/?what=stats&fmt=jsonl").content.decode().splitlines()
    )
    tables = {json.loads(line)["table"] for line in lines}
    assert tables == {"pairs", "bradley_terry", "agreement", "position_bias", "raters"}
    text = api.get(f"/api/rating/studies/{rated.pk}/export/?what=stats&fmt=csv").content.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0].keys() >= {"table", "model", "estimate", "ci_low", "ci_high"}
    assert any(r["table"] == "bradley_terry" and r["model"] == MODELS[0] for r in rows)
    assert api.get(f"/api/rating/studies/{rated.pk}/export/?what=nope").status_code == 400
    stats = api.get(f"/api/rating/studies/{rated.pk}/stats/").json()
    assert stats["n_responses"] == 2 * rated.items.count()
    assert page_for(owner).get(f"/rating/{rated.pk}/export/other.csv").status_code == 404
