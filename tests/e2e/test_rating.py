"""Rate three blind pairs in a real browser with the keyboard only: a digit (1-4), then Enter."""

import pytest

from annotate.models import Response
from annotate.rating import services
from tests.annotate.rating.conftest import MODELS, jsonl, outputs
from tests.e2e.conftest import login
from tests.factories import PASSWORD, ResearcherFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_rate_three_pairs_with_the_keyboard(page, live_server):
    rater = UserFactory(username="grace")
    study = services.create_rating_study(
        ResearcherFactory(),
        "Rating keyboard",
        jsonl(outputs(3, gold=False, attention=False)),
        config={"reference": MODELS[0], "min_seconds": 0},
        annotations_per_item=1,
    )
    study.annotators.add(rater)
    n = study.items.count()

    login(page, live_server, "grace", PASSWORD)
    page.goto(f"{live_server.url}/studies/{study.pk}/annotate/")
    assert not any(m in page.content() for m in MODELS)
    for k, key in enumerate(("1", "2", "4")):
        served = page.locator("#annotate-form").get_attribute("data-assignment")
        page.keyboard.press(key)
        assert page.locator(".option.selected").count() == 1
        assert page.locator(".option.selected kbd").inner_text() == key
        page.keyboard.press("Enter")
        page.wait_for_function(
            "a => { const f = document.getElementById('annotate-form'); return !f || f.dataset.assignment !== a; }",
            arg=served,
        )
        assert f"{k + 1} of {n} done" in page.locator("#annotate-progress").inner_text()
    choices = list(Response.objects.filter(study=study).order_by("id").values_list("answer", flat=True))
    assert [c["choice"] for c in choices] == ["left", "right", "both_bad"]
    assert all(c["winner_model"] in (*MODELS, None) for c in choices)
    assert Response.objects.filter(study=study, active_time_ms__isnull=False).count() == 3
