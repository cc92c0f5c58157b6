"""The permission matrix: every annotate endpoint, API and pages, for every role.

Rows a user may not see are 404 (the queryset is scoped), actions beyond seeing are 403, and anonymous
callers get 401 from the API (token auth) and a login redirect from the pages.
"""

import pytest

from tests.annotate.conftest import ROLES

pytestmark = pytest.mark.django_db

#        anon stranger enrolled other owner admin
READ_ENROLLED = (401, 404, 200, 404, 200, 200)  # enrolled annotators may read
MANAGE = (401, 404, 403, 404, 200, 200)  # owner/admin only; enrolled see the study, so 403
PAGE_READ = (302, 404, 200, 404, 200, 200)
PAGE_MANAGE = (302, 404, 403, 404, 200, 200)
STAFF_ONLY = (302, 302, 302, 302, 302, 200)

API_CASES = [
    # name, method, url, body, format, expected by role
    ("study list", "get", "/api/studies/", None, None, (401, 200, 200, 200, 200, 200)),
    (
        "study create",
        "post",
        "/api/studies/",
        {"name": "N", "kind": "rating"},
        "json",
        (401, 403, 403, 201, 201, 201),
    ),
    ("study retrieve", "get", "/api/studies/{study}/", None, None, READ_ENROLLED),
    ("study update", "patch", "/api/studies/{study}/", {"name": "Renamed"}, "json", MANAGE),
    ("study replace", "put", "/api/studies/{study}/", {"name": "R", "kind": "apel"}, "json", MANAGE),
    ("study delete", "delete", "/api/studies/{empty}/", None, None, (401, 404, 403, 404, 204, 204)),
    (
        "study delete w/ responses",
        "delete",
        "/api/studies/{study}/",
        None,
        None,
        (401, 404, 403, 404, 409, 409),
    ),
    ("next (GET)", "get", "/api/studies/{study}/next/", None, None, READ_ENROLLED),
    ("next (POST)", "post", "/api/studies/{study}/next/", None, None, READ_ENROLLED),
    ("item list", "get", "/api/studies/{study}/items/", None, None, MANAGE),
    ("item retrieve", "get", "/api/studies/{study}/items/{item}/", None, None, MANAGE),
    (
        "item import",
        "post",
        "/api/studies/{study}/items/import/",
        [{"external_id": "new-1", "text": "hello"}],
        "json",
        (401, 404, 403, 404, 201, 201),
    ),
    ("item export", "get", "/api/studies/{study}/items/export/?format=csv", None, None, MANAGE),
    ("response export", "get", "/api/studies/{study}/responses/export/?format=jsonl", None, None, MANAGE),
    ("response list", "get", "/api/responses/", None, None, (401, 200, 200, 200, 200, 200)),
    ("response retrieve", "get", "/api/responses/{response}/", None, None, READ_ENROLLED),
    (
        "response submit",
        "post",
        "/api/responses/",
        {"assignment": "{active}", "answer": {"choice": "no"}},
        "json",
        # Only the assignment's own annotator may answer it; to anyone else it does not exist.
        (401, 404, 201, 404, 404, 404),
    ),
    (
        "response update (not allowed)",
        "patch",
        "/api/responses/{response}/",
        {"answer": 1},
        "json",
        (401, 405, 405, 405, 405, 405),
    ),
    (
        "response delete (not allowed)",
        "delete",
        "/api/responses/{response}/",
        None,
        None,
        (401, 405, 405, 405, 405, 405),
    ),
]

HTMX = {"HTTP_HX_REQUEST": "true"}
PAGE_CASES = [
    ("study list page", "get", "/studies/", None, {}, (302, 200, 200, 200, 200, 200)),
    ("study detail page", "get", "/studies/{study}/", None, {}, PAGE_READ),
    ("annotate page", "get", "/studies/{study}/annotate/", None, {}, PAGE_READ),
    (
        "annotate submit",
        "post",
        "/studies/{study}/annotate/",
        {"assignment": "{active}", "answer": "no"},
        HTMX,
        PAGE_READ,
    ),
    ("import form", "post", "/studies/{study}/import/", "file", HTMX, PAGE_MANAGE),
    ("admin: studies", "get", "/admin/annotate/study/", None, {}, STAFF_ONLY),
    ("admin: items", "get", "/admin/annotate/item/", None, {}, STAFF_ONLY),
    ("admin: assignments", "get", "/admin/annotate/assignment/", None, {}, STAFF_ONLY),
    ("admin: responses", "get", "/admin/annotate/response/", None, {}, STAFF_ONLY),
    ("admin: events", "get", "/admin/annotate/event/", None, {}, STAFF_ONLY),
]


def _ids(world) -> dict:
    return {
        "study": world.study.pk,
        "empty": world.empty_study.pk,
        "item": world.items[0].pk,
        "response": world.response.pk,
        "active": world.active.pk,
    }


def _fill(value, ids):
    if isinstance(value, str):
        filled = value.format(**ids)
        return int(filled) if value.startswith("{") and filled.isdigit() else filled
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


def _matrix(cases):
    return [
        pytest.param(method, url, body, extra, role, expected[i], id=f"{name}-{role}")
        for name, method, url, body, extra, expected in cases
        for i, role in enumerate(ROLES)
    ]


@pytest.mark.parametrize("method,url,body,fmt,role,expected", _matrix(API_CASES))
def test_api_permission_matrix(world, generic_only, method, url, body, fmt, role, expected):
    ids = _ids(world)
    client = world.api(role)
    kwargs = {"format": fmt} if fmt else {}
    response = getattr(client, method)(_fill(url, ids), _fill(body, ids), **kwargs)
    assert response.status_code == expected, getattr(response, "data", response)


@pytest.mark.parametrize("method,url,body,extra,role,expected", _matrix(PAGE_CASES))
def test_page_permission_matrix(world, generic_only, method, url, body, extra, role, expected):
    from django.core.files.uploadedfile import SimpleUploadedFile

    ids = _ids(world)
    client = world.page(role)
    if body == "file":
        body = {"file": SimpleUploadedFile("items.jsonl", b'{"external_id": "page-1", "text": "hi"}\n')}
    else:
        body = _fill(body, ids)
    response = getattr(client, method)(_fill(url, ids), body, **extra)
    assert response.status_code == expected
    if expected == 302:
        assert "/login/" in response["Location"]


def test_api_study_list_is_scoped(world):
    def names(role):
        return {s["id"] for s in world.api(role).get("/api/studies/").data["results"]}

    both = {world.study.pk, world.empty_study.pk}
    assert names("stranger") == set()
    assert names("other_researcher") == set()
    assert names("enrolled") == both
    assert names("owner") == both
    assert both <= names("admin")


def test_annotators_see_only_themselves_in_a_study(world):
    world.study.annotators.add(world.users["stranger"])
    seen = world.api("enrolled").get(f"/api/studies/{world.study.pk}/").data["annotators"]
    assert seen == [world.users["enrolled"].pk]
    managed = world.api("owner").get(f"/api/studies/{world.study.pk}/").data["annotators"]
    assert sorted(managed) == sorted([world.users["enrolled"].pk, world.users["stranger"].pk])


def test_response_list_is_scoped(world):
    def ids(role):
        return [r["id"] for r in world.api(role).get("/api/responses/").data["results"]]

    assert ids("enrolled") == [world.response.pk]
    assert ids("stranger") == []
    assert ids("other_researcher") == []
    assert ids("owner") == [world.response.pk]
    assert ids("admin") == [world.response.pk]


def test_an_inactive_study_is_hidden_from_annotators(world):
    world.study.is_active = False
    world.study.save()
    assert world.api("enrolled").get(f"/api/studies/{world.study.pk}/").status_code == 404
    assert world.api("owner").get(f"/api/studies/{world.study.pk}/next/").status_code == 409


@pytest.mark.parametrize(
    "url",
    [
        "/api/studies/999999/",
        "/api/studies/999999/next/",
        "/api/studies/999999/items/",
        "/api/studies/999999/items/export/",
        "/api/studies/999999/responses/export/",
        "/api/studies/{study}/items/999999/",
        "/api/studies/{empty}/items/{item}/",  # an item of another study
        "/api/responses/999999/",
        "/api/studies/abc/",
        "/studies/999999/",
        "/studies/999999/annotate/",
    ],
)
def test_unknown_ids_are_404(world, url):
    response = world.page("admin").get(_fill(url, _ids(world)))
    assert response.status_code == 404


def test_importing_into_an_unknown_study_is_404(world):
    response = world.api("admin").post("/api/studies/999999/items/import/", [{"id": "x"}], format="json")
    assert response.status_code == 404


def test_submitting_an_unknown_assignment_is_404(world):
    response = world.api("enrolled").post(
        "/api/responses/", {"assignment": 999999, "answer": 1}, format="json"
    )
    assert response.status_code == 404


def test_non_manager_edit_is_403_before_validation(world):
    # Permission is checked on the object first, so an annotator learns nothing from field errors.
    response = world.api("enrolled").patch(
        f"/api/studies/{world.study.pk}/", {"annotations_per_item": 0}, format="json"
    )
    assert response.status_code == 403
