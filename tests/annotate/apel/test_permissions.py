"""Every APEL endpoint and page, for every role."""

import pytest
from django.test import Client

from tests.annotate.apel.conftest import correct_position
from tests.conftest import api_client_for
from tests.factories import AdminFactory, ResearcherFactory, UserFactory


@pytest.fixture
def roles(make_study, owner):
    enrolled = UserFactory()
    study = make_study(annotators=[enrolled], k=1)
    users = {
        "anon": None,
        "stranger": UserFactory(),
        "enrolled": enrolled,
        "other_researcher": ResearcherFactory(),
        "owner": owner,
        "admin": AdminFactory(),
    }
    return study, users


# expected status per role: anon, stranger, enrolled, other_researcher, owner, admin
MATRIX = {
    "next": (401, 404, 200, 404, 200, 200),
    "utterances": (401, 404, 403, 404, 200, 200),
    "utterance": (401, 404, 403, 404, 200, 200),
    "export": (401, 404, 403, 404, 200, 200),
    "page-annotate": (302, 404, 200, 404, 200, 200),
    "page-utterances": (302, 404, 403, 404, 200, 200),
    "page-history": (302, 404, 403, 404, 200, 200),
    "page-export": (302, 404, 403, 404, 200, 200),
}
ROLES = ("anon", "stranger", "enrolled", "other_researcher", "owner", "admin")


@pytest.mark.parametrize("endpoint", list(MATRIX))
def test_permission_matrix(roles, endpoint):
    study, users = roles
    item = study.items.first()
    urls = {
        "next": f"/api/apel/studies/{study.pk}/next/",
        "utterances": f"/api/apel/studies/{study.pk}/utterances/",
        "utterance": f"/api/apel/studies/{study.pk}/utterances/{item.pk}/",
        "export": f"/api/apel/studies/{study.pk}/labels/export/",
        "page-annotate": f"/studies/{study.pk}/annotate/",
        "page-utterances": f"/apel/{study.pk}/utterances/",
        "page-history": f"/apel/{study.pk}/utterances/{item.pk}/",
        "page-export": f"/apel/{study.pk}/labels.jsonl",
    }
    got = []
    for role in ROLES:
        if endpoint.startswith("page-"):
            client = Client()
            if users[role]:
                client.force_login(users[role])
        else:
            client = api_client_for(users[role])
        got.append(client.get(urls[endpoint]).status_code)
    assert tuple(got) == MATRIX[endpoint]


def test_answer_only_your_own_assignment(roles):
    study, users = roles
    q = api_client_for(users["enrolled"]).get(f"/api/apel/studies/{study.pk}/next/").json()
    body = {"assignment": q["assignment"], "question": q["question"], "choice": 0}
    assert (
        api_client_for(users["owner"])
        .post(f"/api/apel/studies/{study.pk}/answer/", body, format="json")
        .status_code
        == 404
    )
    assert (
        api_client_for(users["stranger"])
        .post(f"/api/apel/studies/{study.pk}/answer/", body, format="json")
        .status_code
        == 404
    )
    assert (
        api_client_for(None).post(f"/api/apel/studies/{study.pk}/answer/", body, format="json").status_code
        == 401
    )
    bad = {**body, "choice": 99}
    assert (
        api_client_for(users["enrolled"])
        .post(f"/api/apel/studies/{study.pk}/answer/", bad, format="json")
        .status_code
        == 400
    )
    body["choice"] = correct_position(q["assignment"])
    assert (
        api_client_for(users["enrolled"])
        .post(f"/api/apel/studies/{study.pk}/answer/", body, format="json")
        .status_code
        == 201
    )


def test_unknown_ids_are_404(roles):
    study, users = roles
    admin = api_client_for(users["admin"])
    assert admin.get("/api/apel/studies/999999/next/").status_code == 404
    assert admin.get(f"/api/apel/studies/{study.pk}/utterances/999999/").status_code == 404
    assert (
        admin.post(
            f"/api/apel/studies/{study.pk}/answer/", {"assignment": 999999, "choice": 0}, format="json"
        ).status_code
        == 404
    )
