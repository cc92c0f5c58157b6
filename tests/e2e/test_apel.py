"""Label one APEL utterance in a real browser with the keyboard only: a digit, then Enter."""

import pytest

from annotate.apel import services
from tests.annotate.apel.conftest import DDL, UTTERANCES, jsonl
from tests.e2e.conftest import login
from tests.factories import PASSWORD, ResearcherFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_label_an_utterance_with_the_keyboard(page, live_server):
    annotator = UserFactory(username="ada")
    study = services.create_apel_study(
        ResearcherFactory(),
        "APEL keyboard",
        ddl=DDL,
        utterances=jsonl(UTTERANCES[:1]),
        config={"max_rounds": 3},
    )
    study.annotators.add(annotator)

    login(page, live_server, "ada", PASSWORD)
    page.goto(f"{live_server.url}/studies/{study.pk}/annotate/")
    assert page.locator("#apel-utterance").inner_text() == UTTERANCES[0]["question"]
    for _ in range(5):  # at most max_rounds databases, one spare
        asked = page.locator("input[name=question]").input_value()
        page.keyboard.press("1")
        assert page.locator(".option.selected").count() == 1
        page.keyboard.press("Enter")
        # Wait for the swap: a new question, or the finished panel.
        page.wait_for_function(
            "q => document.getElementById('apel-finished') || "
            "(document.querySelector('input[name=question]') || {}).value !== q",
            arg=asked,
        )
        if page.locator("#apel-finished").count():
            break
    finished = page.locator("#apel-finished")
    assert finished.is_visible()
    assert "Your answers point to" in finished.inner_text()
    assert "1 of 1 utterances done" in page.locator("#annotate-progress").inner_text()
