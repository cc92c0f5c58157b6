"""Every rating endpoint and page, for every role."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from annotate import queue
from annotate.rating import services
from tests.annotate.rating.conftest import jsonl, outputs
from tests.conftest import api_client_for
from tests.factories import AdminFactory, ResearcherFactory, UserFactory

ROLES = ("anon", "stranger", "enrolled", "other_researcher", "owner", "admin")


@pytest.fixture
def roles(make_study, owner):
    enrolled = UserFactory()
    study = make_study(annotators=[enrolled], k=3)
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
    "stats": (401, 404, 403, 404, 200, 200),
    "export": (401, 404, 403, 404, 200, 200),
    "export-csv": (401, 404, 403, 404, 200, 200),
    "page-annotate": (302, 404, 200, 404, 200, 200),
    "page-stats": (302, 404, 403, 404, 200, 200),
    "page-stats-fragment": (302, 404, 403, 404, 200, 200),
    "page-export-responses": (302, 404, 403, 404, 200, 200),
    "page-export-stats": (302, 404, 403, 404, 200, 200),
}


def _client(users, role, page: bool):
    if not page:
        return api_client_for(users[role])
    client = Client()
    if users[role]:
        client.force_login(users[role])
    return client


@pytest.mark.parametrize("endpoint", list(MATRIX))
def test_permission_matrix(roles, endpoint):
    study, users = roles
    urls = {
        "next": f"/api/rating/studies/{study.pk}/next/",
        "stats": f"/api/rating/studies/{study.pk}/stats/",
        "export": f"/api/rating/studies/{study.pk}/export/",
        "export-csv": f"/api/rating/studies/{study.pk}/export/?what=stats&fmt=csv",
        "page-annotate": f"/studies/{study.pk}/annotate/",
        "page-stats": f"/rating/{study.pk}/stats/",
        "page-stats-fragment": f"/rating/{study.pk}/stats/",
        "page-export-responses": f"/rating/{study.pk}/export/responses.csv",
        "page-export-stats": f"/rating/{study.pk}/export/stats.jsonl",
    }
    headers = {"HX-Request": "true"} if endpoint.endswith("fragment") else {}
    got = tuple(
        _client(users, role, endpoint.startswith("page-")).get(urls[endpoint], headers=headers).status_code
        for role in ROLES
    )
    assert got == MATRIX[endpoint]


def test_answer_matrix(roles):
    study, users = roles
    expected = (401, 404, 201, 404, 201, 201)
    got = []
    for role in ROLES:
        api = api_client_for(users[role])
        body = {"assignment": 999_999, "choice": "left"}
        if role in ("enrolled", "owner", "admin"):
            body["assignment"] = api.get(f"/api/rating/studies/{study.pk}/next/").json()["assignment"]
        got.append(api.post(f"/api/rating/studies/{study.pk}/answer/", body, format="json").status_code)
    assert tuple(got) == expected


def test_answer_only_your_own_assignment(roles):
    study, users = roles
    mine = queue.next_assignment(study, users["enrolled"])
    api = api_client_for(users["owner"])
    r = api.post(
        f"/api/rating/studies/{study.pk}/answer/", {"assignment": mine.pk, "choice": "tie"}, format="json"
    )
    assert r.status_code == 404
    r = api_client_for(users["enrolled"]).post(
        f"/api/rating/studies/{study.pk}/answer/",
        {"assignment": mine.pk, "choice": "sideways"},
        format="json",
    )
    assert r.status_code == 400


def test_generic_submit_is_refused(roles):
    study, users = roles
    a = queue.next_assignment(study, users["enrolled"])
    r = api_client_for(users["enrolled"]).post(
        "/api/responses/", {"assignment": a.pk, "answer": {"choice": "left"}}, format="json"
    )
    assert r.status_code in (400, 409)


@pytest.mark.parametrize(
    "role, expected",
    [("anon", 401), ("stranger", 403), ("enrolled", 403), ("other_researcher", 201), ("admin", 201)],
)
def test_create_matrix(roles, role, expected):
    _, users = roles
    upload = SimpleUploadedFile("o.jsonl", jsonl(outputs(1)).encode())
    r = api_client_for(users[role]).post(
        "/api/rating/studies/", {"name": "New", "outputs": upload}, format="multipart"
    )
    assert r.status_code == expected


def test_other_kinds_are_not_rating_studies(roles):
    from tests.factories import StudyFactory

    study, users = roles
    apel = StudyFactory(owner=users["owner"], kind="apel")
    assert api_client_for(users["owner"]).get(f"/api/rating/studies/{apel.pk}/stats/").status_code == 404
    assert _client(users, "owner", True).get(f"/rating/{apel.pk}/stats/").status_code == 404
    assert services.study_config(study)["likert"] is True
