"""Submit an experiment run from the form and watch a real Celery worker take it to 100%."""

import re
import time

import pytest
from django.urls import reverse

from ml import experiments
from tests.e2e.conftest import login
from tests.factories import PASSWORD, ResearcherFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WAIT_S = 90  # bounded: a few seconds of work, plus worker start-up on a slow machine


def _experiment() -> tuple[str, dict[str, str]]:
    """The cheap counting experiment when the catalog has it, else the tiniest language-model training."""
    import ml.catalog  # noqa: F401 - registers the experiments

    names = {e.name for e in experiments.all_experiments()}
    if "testing.count" in names:
        return "testing.count", {"steps": "5", "sleep_s": "0.2"}
    return "lm.train_tiny", {"n_layer": "1", "n_embd": "16", "n_head": "2", "block_size": "16", "steps": "5"}


def test_submit_run_and_watch_it_succeed(page, live_server, celery_worker_process, tmp_path):
    ResearcherFactory(username="rosalind")
    kind, params = _experiment()

    login(page, live_server, "rosalind", PASSWORD)
    page.goto(live_server.url + reverse("run-new"))
    page.select_option("#id_kind", kind)  # htmx swaps in this experiment's parameter fields
    first_param = next(iter(params))
    page.wait_for_selector(f"#run-form [name={first_param}]")
    for name, value in params.items():
        page.fill(f"#run-form [name={name}]", value)
    page.get_by_role("button", name="Start run").click()
    try:
        page.wait_for_url(re.compile(r"/runs/\d+/$"))
    except Exception:
        page.screenshot(path="/tmp/assay-e2e-run-new.png", full_page=True)
        raise

    # The form must land on the run page, not on an API URL that shares the "run-detail" name.
    assert page.url.startswith(f"{live_server.url}/runs/"), f"redirected to {page.url}, not the run page"
    deadline = time.monotonic() + WAIT_S
    live = page.locator("#run-live")
    while time.monotonic() < deadline:
        text = live.inner_text()
        if "Succeeded" in text or "Failed" in text:
            break
        page.wait_for_timeout(500)
    page.screenshot(path=str(tmp_path / "run-detail.png"), full_page=True)
    page.screenshot(path="/tmp/assay-e2e-run-detail.png", full_page=True)  # for a human to look at

    text = live.inner_text()
    assert "Succeeded" in text, f"run did not succeed within {WAIT_S}s:\n{text}"
    assert "100%" in text
