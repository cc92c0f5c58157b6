"""A researcher creates a rating study in a real browser by uploading a JSONL of outputs."""

import pytest

from annotate.models import Study
from annotate.rating import services
from tests.annotate.rating.conftest import jsonl, outputs
from tests.e2e.conftest import login
from tests.factories import PASSWORD, ResearcherFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_create_a_rating_study_from_an_upload(page, live_server):
    ResearcherFactory(username="rosalind")
    text = jsonl(outputs(2, gold=False, attention=False))

    login(page, live_server, "rosalind", PASSWORD)
    page.goto(f"{live_server.url}/rating/new/")
    page.fill("#id_name", "Browser-made rating")
    page.set_input_files(
        "#id_outputs",
        files=[{"name": "outputs.jsonl", "mimeType": "application/jsonl", "buffer": text.encode()}],
    )
    with page.expect_navigation():
        page.click("text=Create study")  # not button[type=submit]: the top bar's log-out is one too

    study = Study.objects.get(name="Browser-made rating")
    assert page.url == f"{live_server.url}/studies/{study.pk}/"
    assert page.locator("h1").inner_text().startswith("Browser-made rating")
    assert study.kind == "rating" and study.items.count() == 6 and study.annotations_per_item == 3
    assert study.config == services.DEFAULT_CONFIG  # the form's defaults round-trip unchanged
