"""Runs submitted through the service execute on a real Celery worker, and survive a killed worker."""

import importlib.util

import pytest

from evalhub.models import Run
from evalhub.services import submit_run
from tests.factories import ResearcherFactory
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def fetch(run: Run) -> Run:
    run.refresh_from_db()
    return run


def test_worker_runs_a_submitted_run(start_worker):
    worker = start_worker()
    run = submit_run(ResearcherFactory(), "testing.count", {"steps": 5, "sleep_s": 0.05})
    wait_for(lambda: fetch(run).is_finished, 30, "the run to finish", worker)
    assert run.status == Run.Status.SUCCEEDED, (run.error, worker.tail())
    assert run.metrics == {"steps": 5, "total": 15, "last": 5} and run.worker == worker.name
    plot = run.artifacts.get(kind="plot")
    assert plot.abspath.read_bytes().startswith(b"\x89PNG")


def test_worker_records_a_failing_run(start_worker):
    worker = start_worker()
    run = submit_run(ResearcherFactory(), "testing.count", {"steps": 5, "fail_at": 2})
    wait_for(lambda: fetch(run).is_finished, 30, "the run to finish", worker)
    assert run.status == Run.Status.FAILED and "failed at step 2" in run.error


def test_killed_worker_does_not_leave_the_run_running(start_worker):
    first = start_worker()
    run = submit_run(ResearcherFactory(), "testing.count", {"steps": 60, "sleep_s": 0.1})
    wait_for(lambda: fetch(run).status == Run.Status.RUNNING and run.progress > 0.05, 30, "progress", first)
    first.kill()
    assert fetch(run).status == Run.Status.RUNNING  # nobody knows yet

    second = start_worker()  # its heartbeat loop reaps the stale run and re-queues it
    wait_for(lambda: fetch(run).is_finished, 45, "the re-queued run to finish", second)
    if run.status == Run.Status.SUCCEEDED:
        assert run.attempts == 2 and run.worker == second.name
        assert run.metrics["last"] == 60
    else:
        assert run.status == Run.Status.FAILED and "lost" in run.error, run.error


@pytest.mark.skipif(
    importlib.util.find_spec("ml.lm.experiment") is None or importlib.util.find_spec("torch") is None,
    reason="ml/lm/experiment.py (lm.train_tiny's entry point) or torch is not available",
)
def test_worker_trains_a_tiny_lm(start_worker):
    worker = start_worker()
    params = {"steps": 5, "n_layer": 1, "n_embd": 16, "n_head": 2, "block_size": 16, "batch_size": 4}
    run = submit_run(ResearcherFactory(), "lm.train_tiny", params)
    assert run.queue == "gpu"
    wait_for(lambda: fetch(run).is_finished, 90, "lm.train_tiny to finish", worker)
    assert run.status == Run.Status.SUCCEEDED, (run.error, run.log_tail)
    assert run.metrics and run.artifacts.exists()


def test_dashboard_sees_a_live_worker(start_worker, client):
    from tests.factories import PASSWORD, AdminFactory
    from webapp import dashboard

    worker = start_worker()
    assert worker.name in {w.hostname for w in dashboard.live_workers()}
    # Celery's own remote control reaches the worker over the configured broker.
    pinged = dashboard.celery_ping(timeout=3.0)
    assert pinged is not None and worker.name in pinged, worker.tail()
    admin = AdminFactory()
    client.login(username=admin.username, password=PASSWORD)
    html = client.get("/admin/dashboard/").content.decode()
    assert worker.name in html
