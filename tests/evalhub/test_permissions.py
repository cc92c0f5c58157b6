"""Who may do what, for every evalhub page and endpoint: anonymous, annotator, other researcher, owner, admin."""

import pytest
from django.conf import settings

from evalhub.models import Artifact, ModelCheckpoint
from tests.conftest import api_client_for
from tests.factories import AdminFactory, ResearcherFactory, RunFactory, UserFactory

pytestmark = pytest.mark.django_db
ROLES = ["anonymous", "annotator", "other", "owner", "admin"]


@pytest.fixture
def world():
    owner = ResearcherFactory()
    run = RunFactory(owner=owner, kind="testing.count", params={"steps": 1, "sleep_s": 0.0, "fail_at": -1})
    folder = settings.ARTIFACT_ROOT / "runs" / str(run.pk)
    folder.mkdir(parents=True)
    (folder / "plot.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    artifact = Artifact.objects.create(
        run=run, kind="plot", name="plot.png", path=f"runs/{run.pk}/plot.png", size_bytes=12
    )
    model = ModelCheckpoint.objects.create(name="m", kind="causal-lm", path="/tmp/m")
    users = {
        "anonymous": None,
        "annotator": UserFactory(),
        "other": ResearcherFactory(),
        "owner": owner,
        "admin": AdminFactory(),
    }
    return {"run": run, "artifact": artifact, "model": model, "users": users}


def _expand(path: str, world) -> str:
    return path.format(run=world["run"].pk, artifact=world["artifact"].pk, model=world["model"].pk)


PAGES = [
    # method, path, expected status per role (anonymous is redirected to the login page)
    ("get", "/runs/", [302, 403, 200, 200, 200]),
    ("get", "/runs/?status=queued&kind=testing.count", [302, 403, 200, 200, 200]),
    ("get", "/runs/new/", [302, 403, 200, 200, 200]),
    ("post", "/runs/new/", [302, 403, 302, 302, 302]),
    ("get", "/runs/{run}/", [302, 404, 404, 200, 200]),
    ("post", "/runs/{run}/cancel/", [302, 404, 404, 302, 302]),
    ("get", "/runs/{run}/artifacts/{artifact}/", [302, 404, 404, 200, 200]),
]


@pytest.mark.parametrize("method, path, expected", PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_pages(world, client_for, method, path, expected, role):
    client = client_for(world["users"][role])
    data = (
        {"kind": "testing.count", "steps": "2", "sleep_s": "0", "fail_at": "-1"} if method == "post" else None
    )
    response = getattr(client, method)(_expand(path, world), data)
    assert response.status_code == expected[ROLES.index(role)], (role, path, response.content[:300])


def test_run_list_is_scoped(world, client_for):
    other = client_for(world["users"]["other"]).get("/runs/")
    assert f"/runs/{world['run'].pk}/" not in other.content.decode()
    owner = client_for(world["users"]["owner"]).get("/runs/")
    assert f"/runs/{world['run'].pk}/" in owner.content.decode()


API = [
    ("get", "/api/runs/", [401, 403, 200, 200, 200]),
    ("post", "/api/runs/", [401, 403, 201, 201, 201]),
    ("get", "/api/runs/{run}/", [401, 403, 404, 200, 200]),
    ("post", "/api/runs/{run}/cancel/", [401, 403, 404, 200, 200]),
    ("get", "/api/runs/999999/", [401, 403, 404, 404, 404]),
    ("get", "/api/artifacts/", [401, 403, 200, 200, 200]),
    ("get", "/api/artifacts/{artifact}/", [401, 403, 404, 200, 200]),
    ("get", "/api/artifacts/{artifact}/download/", [401, 403, 404, 200, 200]),
    ("get", "/api/experiments/", [401, 403, 200, 200, 200]),
    ("get", "/api/experiments/testing.count/", [401, 403, 200, 200, 200]),
    ("get", "/api/models/", [401, 200, 200, 200, 200]),
    ("get", "/api/models/{model}/", [401, 200, 200, 200, 200]),
    ("post", "/api/models/", [401, 403, 403, 403, 201]),
]


@pytest.mark.parametrize("method, path, expected", API)
@pytest.mark.parametrize("role", ROLES)
def test_api(world, method, path, expected, role):
    client = api_client_for(world["users"][role])
    data = None
    if method == "post" and path == "/api/runs/":
        data = {"kind": "testing.count", "params": {"steps": 2}}
    elif method == "post" and path == "/api/models/":
        data = {"name": "new-model", "kind": "causal-lm", "path": "/tmp/new-model"}
    response = getattr(client, method)(_expand(path, world), data, format="json")
    assert response.status_code == expected[ROLES.index(role)], (role, path, response.content[:300])


def test_api_lists_are_scoped(world):
    run_id = world["run"].pk
    other = api_client_for(world["users"]["other"])
    assert other.get("/api/runs/").json()["results"] == []
    assert other.get("/api/artifacts/").json()["results"] == []
    for role in ("owner", "admin"):
        client = api_client_for(world["users"][role])
        assert [r["id"] for r in client.get("/api/runs/").json()["results"]] == [run_id]
        assert client.get("/api/artifacts/").json()["count"] == 1


def test_api_run_filters(world):
    client = api_client_for(world["users"]["admin"])
    assert client.get("/api/runs/?status=queued").json()["count"] == 1
    assert client.get("/api/runs/?status=failed").json()["count"] == 0
    assert client.get("/api/runs/?kind=testing.count").json()["count"] == 1


def test_models_api_rejects_urls(world):
    client = api_client_for(world["users"]["admin"])
    response = client.post(
        "/api/models/", {"name": "hub", "kind": "causal-lm", "path": "https://hf.co/x"}, format="json"
    )
    assert response.status_code == 400 and "path" in response.json()
