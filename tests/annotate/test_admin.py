"""The admin: every changelist loads, the CSV action works, responses and events are read-only."""

import csv
import io

import pytest
from django.test import Client

from annotate import queue
from annotate.models import Assignment, Event, Item, Response, Study
from tests.factories import AdminFactory, ItemFactory, StudyFactory, UserFactory

pytestmark = pytest.mark.django_db
MODELS = [Study, Item, Assignment, Response, Event]


@pytest.fixture
def admin_client_with_data():
    study = StudyFactory()
    ItemFactory(study=study)
    user = UserFactory()
    a = queue.next_assignment(study, user)
    queue.submit(a.pk, user, {"choice": "yes"})
    client = Client()
    client.force_login(AdminFactory())
    return client


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelist_search_and_filter_load(admin_client_with_data, model):
    url = f"/admin/annotate/{model._meta.model_name}/"
    assert admin_client_with_data.get(url).status_code == 200
    assert admin_client_with_data.get(url, {"q": "x"}).status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_csv_export_action(admin_client_with_data, model):
    pks = list(model.objects.values_list("pk", flat=True))
    assert pks
    response = admin_client_with_data.post(
        f"/admin/annotate/{model._meta.model_name}/",
        {"action": "export_csv", "_selected_action": pks},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == len(pks) + 1


@pytest.mark.parametrize("model", [Response, Event], ids=lambda m: m.__name__)
def test_responses_and_events_are_read_only(admin_client_with_data, model):
    name = model._meta.model_name
    obj = model.objects.first()
    assert admin_client_with_data.get(f"/admin/annotate/{name}/add/").status_code == 403
    assert admin_client_with_data.get(f"/admin/annotate/{name}/{obj.pk}/delete/").status_code == 403
    change = admin_client_with_data.get(f"/admin/annotate/{name}/{obj.pk}/change/")
    assert change.status_code == 200 and b'name="_save"' not in change.content
