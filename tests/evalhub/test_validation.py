"""The registry validates every way in: the form, the API serializer and the service."""

import pytest

from evalhub.forms import RunForm
from evalhub.models import Run
from evalhub.services import submit_run
from ml.experiments import ParamError

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "params, field",
    [
        ({"steps": "many"}, "steps"),  # bad type
        ({"steps": 0}, "steps"),  # below min
        ({"sleep_s": 1000}, "sleep_s"),  # above max
        ({"fail_at": 1.5}, "fail_at"),  # a non-integral float for an int
        ({"nope": 1}, "nope"),  # unknown parameter
    ],
)
def test_api_rejects_bad_params_naming_the_field(api_client, researcher, params, field):
    response = api_client(researcher).post(
        "/api/runs/", {"kind": "testing.count", "params": params}, format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["params"]
    assert not Run.objects.exists()


def test_api_rejects_a_bad_combination_of_params(api_client, researcher):
    response = api_client(researcher).post(
        "/api/runs/", {"kind": "search.sweep", "params": {"max_operand": 50, "max_value": 60}}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "twice max_operand (100)" in response.json()["params"]["max_value"][0]
    assert not Run.objects.exists()


def test_api_rejects_unknown_kind(api_client, researcher):
    response = api_client(researcher).post("/api/runs/", {"kind": "no.such", "params": {}}, format="json")
    assert response.status_code == 400
    assert "kind" in response.json()
    assert "no.such" in response.json()["kind"][0]


def test_api_rejects_non_object_params(api_client, researcher):
    response = api_client(researcher).post(
        "/api/runs/", {"kind": "testing.count", "params": [1, 2]}, format="json"
    )
    assert response.status_code == 400
    assert "params" in response.json()


def test_api_create_fills_defaults_and_enqueues_after_commit(
    api_client, researcher, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(
        "workers.tasks.execute_run_task.apply_async", lambda **kw: sent.append((kw["args"], kw["queue"]))
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client(researcher).post(
            "/api/runs/", {"kind": "testing.count", "params": {"steps": "3"}}, format="json"
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["params"] == {"steps": 3, "sleep_s": 0.0, "fail_at": -1}
    assert body["status"] == "queued" and body["owner"] == researcher.username
    assert sent == [([body["id"]], "cpu")]


def test_service_raises_param_error():
    with pytest.raises(ParamError) as exc:
        submit_run(None, "testing.count", {"steps": -5})
    assert exc.value.field == "steps"


def test_form_fields_come_from_the_registry():
    form = RunForm(kind="lm.train_tiny")
    assert form.fields["n_layer"].initial == 2
    assert form.fields["n_layer"].min_value == 1 and form.fields["n_layer"].max_value == 24
    assert form.fields["n_layer"].help_text == "Transformer layers."
    assert [c[0] for c in form.fields["tokenizer"].choices] == ["char", "bpe"]
    assert "lm.train_tiny" in [c[0] for c in form.fields["kind"].choices]


def test_form_errors_sit_on_their_field():
    form = RunForm({"kind": "testing.count", "steps": "0", "sleep_s": "abc", "fail_at": "-1"})
    assert not form.is_valid()
    assert "steps" in form.errors and "sleep_s" in form.errors and "fail_at" not in form.errors


def test_form_unknown_kind():
    form = RunForm({"kind": "no.such"})
    assert not form.is_valid()
    assert "kind" in form.errors


def test_form_valid_gives_validated_params():
    form = RunForm({"kind": "testing.count", "steps": "4", "sleep_s": "0.5", "fail_at": "-1"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["params"] == {"steps": 4, "sleep_s": 0.5, "fail_at": -1}


def test_experiments_endpoint_lists_schema(api_client, researcher):
    body = api_client(researcher).get("/api/experiments/").json()
    by_name = {e["name"]: e for e in body}
    steps = {p["name"]: p for p in by_name["testing.count"]["params"]}["steps"]
    assert steps == {
        "name": "steps",
        "type": "int",
        "default": 10,
        "help": "How many steps to count.",
        "min": 1,
        "max": 100_000,
        "choices": None,
    }
    one = api_client(researcher).get("/api/experiments/lm.train_tiny/")
    assert one.status_code == 200 and one.json()["queue"] == "gpu"
    assert api_client(researcher).get("/api/experiments/no.such/").status_code == 404
