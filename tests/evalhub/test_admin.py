"""Admin: registrations, the cancel and CSV actions, and the link to the dashboard."""

import pytest

from evalhub.models import Run
from tests.factories import RunFactory
from workers.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


def test_admin_index_links_to_dashboard(client_for, admin_user):
    html = client_for(admin_user).get("/admin/").content.decode()
    assert 'href="/admin/dashboard/"' in html


@pytest.mark.parametrize(
    "url", ["/admin/evalhub/run/", "/admin/evalhub/artifact/", "/admin/evalhub/modelcheckpoint/"]
)
def test_changelists_render(client_for, admin_user, url):
    RunFactory()
    assert client_for(admin_user).get(url + "?q=x").status_code == 200


def test_worker_heartbeat_changelist(client_for, admin_user):
    from django.utils import timezone

    WorkerHeartbeat.objects.create(hostname="w1", started_at=timezone.now(), last_seen=timezone.now())
    html = client_for(admin_user).get("/admin/workers/workerheartbeat/").content.decode()
    assert "w1" in html


def test_cancel_selected_runs_action(client_for, admin_user):
    queued, running, done = RunFactory(), RunFactory(status="running"), RunFactory(status="succeeded")
    client_for(admin_user).post(
        "/admin/evalhub/run/",
        {"action": "cancel_runs", "_selected_action": [queued.pk, running.pk, done.pk]},
    )
    statuses = {r.pk: (r.status, r.cancel_requested) for r in Run.objects.all()}
    assert statuses[queued.pk] == ("cancelled", True)
    assert statuses[running.pk] == ("running", True)
    assert statuses[done.pk] == ("succeeded", False)


def test_csv_export_action(client_for, admin_user):
    run = RunFactory(kind="testing.count")
    response = client_for(admin_user).post(
        "/admin/evalhub/run/", {"action": "export_csv", "_selected_action": [run.pk]}
    )
    body = b"".join(response.streaming_content).decode()
    assert body.splitlines()[0].startswith("id,kind,owner__username") and "testing.count" in body
