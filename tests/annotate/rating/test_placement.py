"""Blind, counterbalanced placement: two raters see each pair both ways round, model_a is on the left
about half the time, the order is stable across reloads and recorded on the response, and no model
name reaches a rater (page or API)."""

import pytest

from annotate import queue
from annotate.models import Item, Response
from annotate.rating import services
from tests.annotate.rating.conftest import MODELS, outputs, page_for
from tests.conftest import api_client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_two_raters_see_every_pair_both_ways(make_study):
    raters = [UserFactory(), UserFactory()]
    study = make_study(k=2, annotators=raters)
    orders: dict[int, list] = {}
    for rater in raters:
        while (a := queue.next_assignment(study, rater)) is not None:
            orders.setdefault(a.item_id, []).append(services.displayed_order(a))
            services.rate(study, a.pk, rater, "tie")
    assert len(orders) == study.items.count()
    for shown in orders.values():
        assert len(shown) == 2 and shown[0] == shown[1][::-1]
    # The recorded order matches what was shown.
    for r in Response.objects.filter(study=study).select_related("assignment", "item"):
        r.assignment.item = r.item
        assert r.displayed_order == services.displayed_order(r.assignment)


def test_first_rater_is_not_always_shown_model_a_on_the_left():
    # The per-item coin, over many items: slot 0 puts model_a on the left about half the time.
    left_a = sum(not services.is_swapped(item_id, 0) for item_id in range(1, 2001))
    assert 900 < left_a < 1100
    assert all(services.is_swapped(i, 0) != services.is_swapped(i, 1) for i in range(1, 200))


def test_left_share_over_many_items(make_study):
    rater = UserFactory()
    study = make_study(records=outputs(60, gold=False, attention=False), k=1, annotators=[rater])
    left_a = 0
    n = 0
    while (a := queue.next_assignment(study, rater)) is not None:
        left_a += services.displayed_order(a)[0] == a.item.payload["model_a"]
        n += 1
        services.rate(study, a.pk, rater, "tie")
    assert n == 180
    assert 0.38 < left_a / n < 0.62


def test_placement_is_stable_across_reloads(make_study):
    rater = UserFactory()
    study = make_study(annotators=[rater])
    client = page_for(rater)

    def shown():
        html = client.get(f"/studies/{study.pk}/annotate/").content.decode()
        return [html.split(f'id="rating-{side}">')[1].split("</div>")[0] for side in ("left", "right")]

    first = shown()
    assert first[0] != first[1] and shown() == first == shown()


def _leaks(text: str) -> list[str]:
    return [m for m in MODELS if m in text]


def test_rater_page_and_api_never_name_a_model(make_study):
    rater = UserFactory()
    study = make_study(k=1, annotators=[rater])
    client = page_for(rater)
    api = api_client_for(rater)
    for _ in range(study.items.count()):
        html = client.get(f"/studies/{study.pk}/annotate/").content.decode()
        assert "rating-left" in html and not _leaks(html)
        body = api.get(f"/api/rating/studies/{study.pk}/next/")
        assert body.status_code == 200 and not _leaks(body.content.decode())
        assert set(body.json()) == {"assignment", "prompt", "left", "right", "likert", "comment"}
        answered = api.post(
            f"/api/rating/studies/{study.pk}/answer/",
            {"assignment": body.json()["assignment"], "choice": "left"},
            format="json",
        )
        assert answered.status_code == 201 and not _leaks(answered.content.decode())
    # The htmx fragment after the last answer too.
    html = client.get(f"/studies/{study.pk}/annotate/", headers={"HX-Request": "true"}).content.decode()
    assert "Nothing left" in html and not _leaks(html)


def test_winner_is_resolved_server_side(make_study):
    rater = UserFactory()
    study = make_study(k=1, annotators=[rater])
    a = queue.next_assignment(study, rater)
    left, right = services.displayed_order(a)
    services.rate(study, a.pk, rater, "right", likert_left="2", likert_right=5)
    r = Response.objects.get(assignment=a)
    assert r.answer == {
        "choice": "right",
        "winner_model": right,
        "likert": {"left": 2, "right": 5},
        "comment": "",
    }
    assert r.displayed_order == [left, right]
    assert Item.objects.get(pk=a.item_id).n_done == 1
