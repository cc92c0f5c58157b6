import pytest
from django.utils import timezone

from evalhub.models import Run
from tests.factories import PASSWORD, AdminFactory, RunFactory, UserFactory
from webapp import dashboard
from webapp.celery import app

pytestmark = pytest.mark.django_db


def test_only_staff_see_the_dashboard(client):
    user = UserFactory()
    client.login(username=user.username, password=PASSWORD)
    assert client.get("/admin/dashboard/").status_code == 302  # to the admin login


def test_dashboard_counts_runs_by_state_and_responses(client, monkeypatch):
    monkeypatch.setattr(dashboard, "celery_ping", lambda timeout=1.0: {})  # no worker in this test
    RunFactory(status=Run.Status.FAILED, error="boom", finished_at=timezone.now())
    RunFactory.create_batch(2, status=Run.Status.QUEUED)
    snap = dashboard.snapshot()
    assert dict(snap["runs_by_state"])["Queued"] == 2 and dict(snap["runs_by_state"])["Failed"] == 1
    assert snap["throughput"]["total"] == 0
    admin = AdminFactory()
    client.login(username=admin.username, password=PASSWORD)
    html = client.get("/admin/dashboard/").content.decode()
    assert "Runs by state" in html and "boom" in html and "No worker answered" in html


def test_queue_lengths_read_the_broker(settings):
    if not settings.CELERY_BROKER_URL.startswith(("filesystem://", "redis://")):
        pytest.skip("counts are read from the filesystem or Redis broker")
    before = dashboard.queue_lengths()["cpu"] or 0
    with app.producer_or_acquire() as producer:
        app.send_task("workers.execute_run", args=[0], queue="cpu", producer=producer)
    after = dashboard.queue_lengths()["cpu"]
    assert after == before + 1
    # Drain what we sent so no worker ever sees it.
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("cpu")
