"""The generic interface in a real browser: two items answered with the keyboard only."""

import pytest

from annotate.models import Response
from tests.e2e.conftest import login
from tests.factories import PASSWORD, ItemFactory, StudyFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_answer_two_items_with_the_keyboard(page, live_server):
    annotator = UserFactory(username="grace")
    study = StudyFactory(name="Sentiment", config={"choices": ["positive", "negative"]})
    study.annotators.add(annotator)
    ItemFactory(study=study, payload={"text": "what a lovely day"})
    ItemFactory(study=study, payload={"text": "the worst film ever"})

    login(page, live_server, "grace", PASSWORD)
    page.goto(f"{live_server.url}/studies/{study.pk}/annotate/")
    for key in ("1", "2"):
        shown = page.locator("#annotate-form").get_attribute("data-assignment")
        page.wait_for_timeout(300)  # long enough for the active-time clock to tick
        page.keyboard.press(key)
        assert page.locator("[data-choice].selected").count() == 1
        page.keyboard.press("Enter")
        page.wait_for_function(
            "a => !document.getElementById('annotate-form') || "
            "document.getElementById('annotate-form').dataset.assignment !== a",
            arg=shown,
        )
    answers = list(Response.objects.order_by("id").values_list("answer", "active_time_ms"))
    assert [a for a, _ in answers] == [{"choice": "positive"}, {"choice": "negative"}]
    assert all(ms and ms > 0 for _, ms in answers)
    assert "Nothing left for you" in page.content()
