"""Run pages: the htmx form, the live fragment (polling stops once finished), artifacts, cancel."""

import pytest
from django.conf import settings
from django.utils import timezone

from evalhub.models import Artifact, Run
from tests.factories import RunFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_new_run_page_renders_registry_fields(client_for, researcher):
    html = client_for(researcher).get("/runs/new/?kind=testing.count").content.decode()
    assert 'name="steps"' in html and 'min="1"' in html and "How many steps to count." in html
    assert "hx-disabled-elt" in html and "<html" in html


def test_new_run_fragment_for_htmx(client_for, researcher):
    html = client_for(researcher).get("/runs/new/?kind=lm.train_tiny", **HTMX).content.decode()
    assert "<html" not in html and 'id="run-form"' in html and 'name="n_layer"' in html


def test_new_run_errors_next_to_field(client_for, researcher):
    response = client_for(researcher).post(
        "/runs/new/", {"kind": "testing.count", "steps": "0", "sleep_s": "0", "fail_at": "-1"}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200 and 'id="id_steps-errors"' in html
    assert not Run.objects.exists()


def test_new_run_submits_and_redirects(client_for, researcher):
    data = {"kind": "testing.count", "steps": "3", "sleep_s": "0", "fail_at": "-1"}
    response = client_for(researcher).post("/runs/new/", data, **HTMX)
    run = Run.objects.get()
    assert response.headers["HX-Redirect"] == f"/runs/{run.pk}/"
    assert run.owner == researcher and run.params == {"steps": 3, "sleep_s": 0.0, "fail_at": -1}


def test_live_fragment_polls_while_running(client_for, researcher):
    run = RunFactory(owner=researcher, status=Run.Status.RUNNING, progress=0.42, message="step 4/10")
    html = client_for(researcher).get(f"/runs/{run.pk}/", **HTMX).content.decode()
    assert "<html" not in html
    assert 'hx-trigger="every 1s"' in html and "42%" in html and "step 4/10" in html
    assert "Cancel" in html


@pytest.mark.parametrize("status", [Run.Status.SUCCEEDED, Run.Status.FAILED, Run.Status.CANCELLED])
def test_live_fragment_stops_polling_when_finished(client_for, researcher, status):
    run = RunFactory(
        owner=researcher,
        status=status,
        finished_at=timezone.now(),
        error="boom" if status == "failed" else "",
    )
    html = client_for(researcher).get(f"/runs/{run.pk}/", **HTMX).content.decode()
    assert "hx-trigger" not in html
    assert ">Cancel<" not in html
    if status == Run.Status.FAILED:
        assert "boom" in html


def test_detail_shows_metrics_plots_and_checkpoints(client_for, researcher):
    run = RunFactory(
        owner=researcher,
        status=Run.Status.SUCCEEDED,
        metrics={"loss": 1.25},
        params={"steps": 3},
        finished_at=timezone.now(),
    )
    folder = settings.ARTIFACT_ROOT / "runs" / str(run.pk)
    (folder / "ckpt").mkdir(parents=True)
    (folder / "ckpt" / "config.json").write_text("{}")
    (folder / "loss.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    plot = Artifact.objects.create(run=run, kind="plot", name="loss.png", path=f"runs/{run.pk}/loss.png")
    ckpt = Artifact.objects.create(run=run, kind="checkpoint", name="ckpt", path=f"runs/{run.pk}/ckpt")
    html = client_for(researcher).get(f"/runs/{run.pk}/").content.decode()
    assert "loss" in html and "1.25" in html
    assert f'<img class="plot" src="/runs/{run.pk}/artifacts/{plot.pk}/"' in html
    assert "config.json" in html  # the checkpoint directory is listed
    image = client_for(researcher).get(f"/runs/{run.pk}/artifacts/{plot.pk}/")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert "sandbox" in image["Content-Security-Policy"]
    assert b"".join(image.streaming_content).startswith(b"\x89PNG")
    # A directory is listed, not served.
    assert client_for(researcher).get(f"/runs/{run.pk}/artifacts/{ckpt.pk}/").status_code == 404


def test_artifact_must_belong_to_the_run_in_the_url(client_for, researcher):
    mine, also_mine = RunFactory(owner=researcher), RunFactory(owner=researcher)
    (settings.ARTIFACT_ROOT / "x.png").parent.mkdir(parents=True, exist_ok=True)
    (settings.ARTIFACT_ROOT / "x.png").write_bytes(b"png")
    artifact = Artifact.objects.create(run=also_mine, kind="plot", name="x", path="x.png")
    assert client_for(researcher).get(f"/runs/{mine.pk}/artifacts/{artifact.pk}/").status_code == 404


def test_artifact_outside_root_is_not_served(client_for, researcher, tmp_path):
    run = RunFactory(owner=researcher)
    secret = tmp_path / "secret.txt"
    secret.write_text("no")
    artifact = Artifact.objects.create(run=run, kind="other", name="s", path=str(secret))
    assert client_for(researcher).get(f"/runs/{run.pk}/artifacts/{artifact.pk}/").status_code == 404
    traversal = Artifact.objects.create(run=run, kind="other", name="t", path="../secret.txt")
    assert client_for(researcher).get(f"/runs/{run.pk}/artifacts/{traversal.pk}/").status_code == 404


def test_cancel_queued_run_from_the_page(client_for, researcher):
    run = RunFactory(owner=researcher)
    html = client_for(researcher).post(f"/runs/{run.pk}/cancel/", **HTMX).content.decode()
    run.refresh_from_db()
    assert run.status == Run.Status.CANCELLED and "hx-trigger" not in html


def test_cancel_is_post_only(client_for, researcher):
    run = RunFactory(owner=researcher)
    assert client_for(researcher).get(f"/runs/{run.pk}/cancel/").status_code == 405


def test_run_list_filters_fragment(client_for, researcher):
    RunFactory(owner=researcher, status=Run.Status.FAILED, kind="testing.count")
    queued = RunFactory(owner=researcher)
    html = client_for(researcher).get("/runs/?status=queued", **HTMX).content.decode()
    assert "<html" not in html and f"/runs/{queued.pk}/" in html and "Failed" not in html
