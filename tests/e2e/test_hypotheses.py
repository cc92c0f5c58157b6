"""Verify five (hypothesis, text) pairs in a real browser with the keyboard only: y, n, u."""

import pytest

from annotate.hypotheses import services
from annotate.models import Response
from tests.annotate.hypotheses.factories import DescribeRunFactory
from tests.e2e.conftest import login
from tests.factories import PASSWORD, ResearcherFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

KEYS = {"y": "yes", "n": "no", "u": "unsure"}


def test_verify_five_pairs_with_the_keyboard(page, live_server):
    owner = ResearcherFactory()
    study = services.create_hypothesis_study(
        owner, DescribeRunFactory(owner=owner), [1], annotations_per_item=1, samples_per_group=3, n_gold=1
    )
    annotator = UserFactory(username="ada")
    study.annotators.add(annotator)
    n = study.items.count()

    login(page, live_server, "ada", PASSWORD)
    page.goto(f"{live_server.url}/studies/{study.pk}/annotate/")
    pressed = ["y", "n", "u", "y", "n"]
    shown = []
    for k, key in enumerate(pressed):
        form = page.locator("#annotate-form")
        served = form.get_attribute("data-assignment")
        shown.append(
            (page.locator("#hypothesis").inner_text(), page.locator("#hypothesis-sample").inner_text())
        )
        visible = page.locator("main").inner_text()
        assert "D1" not in visible and "D0" not in visible  # the group stays hidden
        page.keyboard.press(key)  # one key answers; no Enter
        page.wait_for_function(
            "a => { const f = document.getElementById('annotate-form'); return !f || f.dataset.assignment !== a; }",
            arg=served,
        )
        assert f"{k + 1} of {n} done" in page.locator("#annotate-progress").inner_text()

    responses = list(Response.objects.filter(study=study).select_related("item").order_by("id"))
    assert [r.answer["answer"] for r in responses] == [KEYS[k] for k in pressed]
    # Each answer went to the pair that was on the screen when its key was pressed.
    assert [(r.item.payload["hypothesis"] + "?", r.item.payload["text"]) for r in responses] == shown
    assert all(r.active_time_ms is not None for r in responses)


def test_the_researcher_picks_hypotheses_and_reads_the_report(page, live_server, tmp_path):
    owner = ResearcherFactory(username="rosalind")
    run = DescribeRunFactory(owner=owner)
    annotator = UserFactory()

    login(page, live_server, "rosalind", PASSWORD)
    page.goto(f"{live_server.url}/runs/{run.pk}/")
    with page.expect_navigation():
        page.click("text=Send hypotheses to human verification")
    page.fill("#id_samples", "2")
    page.screenshot(path=str(tmp_path / "verify.png"), full_page=True)
    with page.expect_navigation():
        page.click("text=Send to human verification")
    study = run.owner.owned_studies.get(kind="hypothesis")
    assert page.url == f"{live_server.url}/studies/{study.pk}/"

    study.annotators.add(annotator)
    for answer in ("yes", "no") * (study.items.count() // 2) + ("yes",) * (study.items.count() % 2):
        pair = services.next_pair(study, annotator)
        services.answer(study, pair.assignment, annotator, answer)
    with page.expect_navigation():
        page.click("text=Report: human against machine validity")
    table = page.locator("#validity")
    assert table.locator("tbody tr").count() == len(study.config["hypotheses"])
    assert "0.600" in table.inner_text()  # the machine's validity of the top hypothesis
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    page.screenshot(path="/tmp/assay-e2e-hypotheses-report.png", full_page=True)  # for a human to look at
