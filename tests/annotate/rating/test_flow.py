"""A whole study through the rater page: three raters rate everything, then the researcher's page shows
win rates, the Bradley–Terry leaderboard, agreement and gold accuracy; fast answers are flagged."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from annotate import queue
from annotate.models import Assignment, Response
from annotate.rating import services, stats
from tests.annotate.rating.conftest import MODELS, page_for, preferred_choice
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


def _rate_all_through_the_page(study, rater, chooser):
    client = page_for(rater)
    url = f"/studies/{study.pk}/annotate/"
    assert client.get(url).status_code == 200
    n = 0
    while (a := queue.next_assignment(study, rater)) is not None:
        html = client.post(
            url,
            {"assignment": a.pk, "choice": chooser(a), "likert_left": "4", "active_time_ms": "1500"},
            headers={"HX-Request": "true"},
        ).content.decode()
        n += 1
        assert "error" not in html, html
        assert f"{n} of {study.items.count()} done" in html  # the out-of-band counter
        assert 'hx-swap-oob="true"' in html
    return n


def test_three_raters_then_the_stats_page(make_study, owner):
    raters = [UserFactory(username=f"rater{i}") for i in range(3)]
    study = make_study(k=3, annotators=raters, config={"min_seconds": 0})
    n_items = study.items.count()
    # rater0 and rater1 agree (prefer the reference) and pass every check; rater2 prefers the smallest
    # imitation model and fails the gold pair and the attention check.
    _rate_all_through_the_page(study, raters[0], lambda a: preferred_choice(a.pk))
    _rate_all_through_the_page(study, raters[1], lambda a: preferred_choice(a.pk))

    def contrarian(a):
        gold = a.item.gold_answer or {}
        if gold.get("kind") == "gold":
            return "right" if preferred_choice(a.pk) == "left" else "left"
        if gold.get("kind") == "attention":
            return "tie"
        return preferred_choice(a.pk, prefer=MODELS[::-1])

    assert _rate_all_through_the_page(study, raters[2], contrarian) == n_items
    assert Response.objects.filter(study=study).count() == 3 * n_items

    s = stats.compute(study)
    by_rater = {r["rater"]: r for r in s["raters"]}
    assert by_rater["rater0"]["gold_accuracy"] == 1.0 and by_rater["rater0"]["attention_correct"] == 1
    assert by_rater["rater2"]["gold_accuracy"] == 0.0 and by_rater["rater2"]["attention_correct"] == 0
    assert all(r["fast"] == 0 for r in s["raters"])
    pair = next(p for p in s["pairs"] if {p["model"], p["opponent"]} == {MODELS[0], MODELS[1]})
    # MODELS[0] wins 2 of 3 judgements on every prompt.
    win = pair["win"]["estimate"] if pair["model"] == MODELS[0] else pair["loss"]["estimate"]
    assert win == pytest.approx(2 / 3) and pair["n"] == 18 and pair["n_prompts"] == 6
    board = s["bradley_terry"]["rows"]
    assert [b["model"] for b in board][0] == MODELS[0] and len(board) == 3
    assert all(b["ci_low"] <= b["rating"] <= b["ci_high"] for b in board)
    ag = s["agreement"]
    kappas = {(c["rater_a"], c["rater_b"]): c["kappa"] for c in ag["cohen"]}
    assert kappas[("rater0", "rater1")] == pytest.approx(1.0)
    assert kappas[("rater0", "rater2")] < 0.5
    assert -1 <= ag["fleiss_kappa"] < 1 and -1 <= ag["krippendorff_alpha"] < 1
    # Counterbalanced sides, consistent raters: swaps are not disagreement, and left wins ~half.
    assert 0.3 < s["position_bias"]["left_share"]["estimate"] < 0.7

    html = page_for(owner).get(f"/rating/{study.pk}/stats/").content.decode()
    for text in ("Bradley–Terry leaderboard", MODELS[0], "Fleiss", "Krippendorff", "Cohen", "rater2", "0.00"):
        assert text in html
    assert 'hx-trigger="every 5s"' in html
    assert "1.000" in html  # rater0 vs rater1 kappa


def test_polling_stops_when_the_study_is_closed(make_study, owner):
    study = make_study()
    client = page_for(owner)
    fragment = client.get(f"/rating/{study.pk}/stats/", headers={"HX-Request": "true"}).content.decode()
    assert fragment.strip().startswith('<div id="rating-stats"') and "every 5s" in fragment
    study.is_active = False
    study.save()
    fragment = client.get(f"/rating/{study.pk}/stats/", headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in fragment and "study closed" in fragment


def test_fast_answers_are_flagged(make_study):
    rater = UserFactory()
    study = make_study(k=1, annotators=[rater])  # min_seconds defaults to 3
    a = queue.next_assignment(study, rater)
    assert services.rate(study, a.pk, rater, "left").fast is True
    b = queue.next_assignment(study, rater)
    Assignment.objects.filter(pk=b.pk).update(served_at=timezone.now() - timedelta(seconds=10))
    assert services.rate(study, b.pk, rater, "tie").fast is False
    flags = list(Response.objects.filter(study=study).order_by("id").values_list("client", flat=True))
    assert [f["fast"] for f in flags] == [True, False] and flags[1]["elapsed_ms"] >= 10_000
    assert stats.compute(study)["fast_answers"] == 1


def test_bad_answers_are_refused_in_the_page(make_study):
    rater = UserFactory()
    study = make_study(k=1, annotators=[rater])
    a = queue.next_assignment(study, rater)
    client = page_for(rater)
    url = f"/studies/{study.pk}/annotate/"
    r = client.post(url, {"assignment": a.pk, "choice": ""})
    assert r.status_code == 400 and b"Pick A better" in r.content
    r = client.post(
        url, {"assignment": a.pk, "choice": "left", "likert_left": "9"}, headers={"HX-Request": "true"}
    )
    assert r.status_code == 200 and b"Likert ratings are whole numbers" in r.content
    other = UserFactory()
    study.annotators.add(other)
    r = page_for(other).post(url, {"assignment": a.pk, "choice": "left"})
    assert r.status_code == 400 and b"No such assignment" in r.content
    assert not Response.objects.exists()


def test_retry_is_not_counted_twice(make_study):
    rater = UserFactory()
    study = make_study(k=1, annotators=[rater])
    a = queue.next_assignment(study, rater)
    first = services.rate(study, a.pk, rater, "left")
    again = services.rate(study, a.pk, rater, "right")
    assert first.created and not again.created and again.response_id == first.response_id
