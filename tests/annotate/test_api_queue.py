"""The queue over the API: next, submit, idempotent retry, 204 when done, and input validation."""

import pytest

from annotate.models import Assignment, Response
from tests.conftest import api_client_for
from tests.factories import ItemFactory, StudyFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(generic_only):
    study = StudyFactory(annotations_per_item=1)
    items = ItemFactory.create_batch(2, study=study, is_gold=False)
    user = UserFactory()
    study.annotators.add(user)
    return study, items, api_client_for(user), user


def test_next_submit_retry_and_done(setup):
    study, items, client, user = setup
    seen = []
    for _ in items:
        nxt = client.post(f"/api/studies/{study.pk}/next/")
        assert nxt.status_code == 200
        assert set(nxt.data) >= {"assignment", "item", "served_at", "expires_at"}
        assert set(nxt.data["item"]) == {"id", "external_id", "payload"}  # no gold answer for annotators
        # Asking again before answering resumes the same assignment.
        assert client.get(f"/api/studies/{study.pk}/next/").data["assignment"] == nxt.data["assignment"]
        body = {
            "assignment": nxt.data["assignment"],
            "answer": {"choice": "yes"},
            "displayed_order": ["yes", "no"],
            "active_time_ms": 850,
            "client": {"ua": "test"},
        }
        first = client.post("/api/responses/", body, format="json")
        assert first.status_code == 201, first.data
        retry = client.post("/api/responses/", body, format="json")
        assert retry.status_code == 200
        assert retry.data == first.data
        seen.append(nxt.data["item"]["id"])
    assert sorted(seen) == sorted(i.pk for i in items)
    assert client.get(f"/api/studies/{study.pk}/next/").status_code == 204
    assert Response.objects.filter(annotator=user).count() == 2
    r = Response.objects.filter(annotator=user).first()
    assert r.displayed_order == ["yes", "no"] and r.active_time_ms == 850 and r.client == {"ua": "test"}
    assert not Assignment.objects.filter(annotator=user, status=Assignment.Status.ACTIVE).exists()


def test_rounds_are_separate_responses(setup):
    study, _, client, _ = setup
    a = client.get(f"/api/studies/{study.pk}/next/").data["assignment"]
    assert (
        client.post("/api/responses/", {"assignment": a, "answer": 1, "round": 0}, format="json").status_code
        == 201
    )
    # The assignment is done after round 0, so a new round is a conflict rather than a silent second answer.
    assert (
        client.post("/api/responses/", {"assignment": a, "answer": 2, "round": 1}, format="json").status_code
        == 409
    )


@pytest.mark.parametrize(
    "body,field",
    [
        ({"answer": 1}, "assignment"),
        ({"assignment": "x", "answer": 1}, "assignment"),
        ({"assignment": "{a}"}, "answer"),
        ({"assignment": "{a}", "answer": None}, "answer"),
        ({"assignment": "{a}", "answer": 1, "round": -1}, "round"),
        ({"assignment": "{a}", "answer": 1, "active_time_ms": -5}, "active_time_ms"),
        ({"assignment": "{a}", "answer": 1, "displayed_order": "ab"}, "displayed_order"),
        ({"assignment": "{a}", "answer": 1, "client": [1]}, "client"),
    ],
)
def test_invalid_submissions_are_400_with_field_messages(setup, body, field):
    study, _, client, _ = setup
    a = client.get(f"/api/studies/{study.pk}/next/").data["assignment"]
    body = {k: (a if v == "{a}" else v) for k, v in body.items()}
    response = client.post("/api/responses/", body, format="json")
    assert response.status_code == 400
    assert field in response.data
    assert not Response.objects.exists()


def test_response_filters(setup):
    study, _, client, user = setup
    a = client.get(f"/api/studies/{study.pk}/next/").data
    client.post("/api/responses/", {"assignment": a["assignment"], "answer": 1}, format="json")
    assert client.get(f"/api/responses/?study={study.pk}").data["count"] == 1
    assert client.get(f"/api/responses/?item={a['item']['id']}").data["count"] == 1
    assert client.get(f"/api/responses/?annotator={user.pk}").data["count"] == 1
    assert client.get("/api/responses/?study=999999").data["count"] == 0
    assert client.get("/api/responses/?study=abc").status_code == 400


def test_study_create_and_validate():
    from tests.factories import ResearcherFactory

    researcher, annotator = ResearcherFactory(), UserFactory()
    client = api_client_for(researcher)
    body = {
        "name": "S",
        "kind": "rating",
        "annotations_per_item": 3,
        "max_items_per_annotator": 10,
        "assignment_timeout_s": 600,
        "config": {"choices": ["a", "b"]},
        "annotators": [annotator.pk],
    }
    created = client.post("/api/studies/", body, format="json")
    assert created.status_code == 201, created.data
    assert created.data["owner"] == researcher.pk and created.data["annotators"] == [annotator.pk]
    bad = client.post(
        "/api/studies/",
        {"name": "", "kind": "nope", "annotations_per_item": 0, "config": [1], "annotators": [999999]},
        format="json",
    )
    assert bad.status_code == 400
    assert set(bad.data) >= {"name", "kind", "annotations_per_item", "config", "annotators"}


def test_items_list_and_filter_for_owner(setup):
    study, items, _, _ = setup
    client = api_client_for(study.owner)
    data = client.get(f"/api/studies/{study.pk}/items/").data
    assert data["count"] == 2 and "gold_answer" in data["results"][0]
    assert client.get(f"/api/studies/{study.pk}/items/?external_id={items[0].external_id}").data["count"] == 1


def test_hot_path_outputs_match_their_documented_serializers(db):
    # next/submit build their JSON directly for speed; the schema documents the serializers.
    from annotate.queue import next_assignment, submit
    from annotate.serializers import (
        NextAssignmentSerializer,
        ResponseSerializer,
        next_assignment_data,
        response_data,
    )
    from tests.factories import ItemFactory, StudyFactory, UserFactory

    study = StudyFactory()
    ItemFactory(study=study, payload={"text": "x"})
    user = UserFactory()
    assignment = next_assignment(study, user)
    assert next_assignment_data(assignment) == dict(NextAssignmentSerializer(assignment).data)
    response = submit(assignment.pk, user, {"v": 1}, active_time_ms=5).response
    assert response_data(response) == dict(ResponseSerializer(response).data)
