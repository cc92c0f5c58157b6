"""run_experiment, list_experiments and register_models."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from evalhub.models import Artifact, ModelCheckpoint, Run
from tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


def run_cli(*args: str, capsys) -> tuple[int, str, str]:
    try:
        call_command("run_experiment", *args, "--no-progress")
        code = 0
    except CommandError as exc:
        code = exc.returncode
        print(exc, file=__import__("sys").stderr)
    out, err = capsys.readouterr()
    return code, out, err


def test_run_experiment_success(capsys):
    code, out, err = run_cli("testing.count", "--set", "steps=4", capsys=capsys)
    assert code == 0, err
    assert json.loads(out) == {"steps": 4, "total": 10, "last": 4}
    run = Run.objects.get()
    assert run.status == Run.Status.SUCCEEDED and run.progress == 1.0 and run.attempts == 1
    assert run.owner.username == "cli" and run.worker.startswith("cli@")
    assert sorted(run.artifacts.values_list("kind", flat=True)) == ["metrics", "plot"]
    assert all(a.abspath.is_file() for a in Artifact.objects.all())


def test_run_experiment_owner_defaults_to_first_superuser(capsys):
    admin = AdminFactory()
    assert run_cli("testing.count", "--set", "steps=1", capsys=capsys)[0] == 0
    assert Run.objects.get().owner == admin
    assert not get_user_model().objects.filter(username="cli").exists()


def test_run_experiment_user_flag(capsys, researcher):
    assert run_cli("testing.count", "--user", researcher.username, capsys=capsys)[0] == 0
    assert Run.objects.get().owner == researcher
    assert run_cli("testing.count", "--user", "nobody", capsys=capsys)[0] == 2


@pytest.mark.parametrize(
    "args, field",
    [
        (["testing.count", "--set", "steps=x"], "steps"),
        (["testing.count", "--set", "steps=0"], "steps"),
        (["testing.count", "--set", "bogus=1"], "bogus"),
        (["testing.count", "--set", "steps"], "key=value"),
        (["no.such"], "kind"),
    ],
)
def test_run_experiment_bad_params_exit_2(capsys, args, field):
    code, _, err = run_cli(*args, capsys=capsys)
    assert code == 2 and field in err
    assert not Run.objects.exists()


def test_run_experiment_failure_exit_1(capsys):
    code, out, err = run_cli("testing.count", "--set", "fail_at=2", capsys=capsys)
    assert code == 1 and "failed at step 2" in err
    run = Run.objects.get()
    assert run.status == Run.Status.FAILED and "failed at step 2" in run.error


def test_list_experiments(capsys):
    call_command("list_experiments")
    out = capsys.readouterr().out
    assert "testing.count" in out and "lm.train_tiny" in out
    call_command("list_experiments", "--json")
    names = [e["name"] for e in json.loads(capsys.readouterr().out)]
    assert {"testing.count", "lm.train_tiny"} <= set(names)


def test_register_models(tmp_path, capsys):
    (tmp_path / "smol").mkdir()
    manifest = tmp_path / "manifest.json"
    manifest.write_text(
        json.dumps(
            {
                "models": [
                    {"name": "smol", "path": "smol", "kind": "causal-lm", "params": 135, "source": "pypi x"},
                    {"name": "mini", "path": "/abs/mini", "kind": "sentence-embedding", "params": None},
                    {"name": "weird", "path": "w", "kind": "unknown-kind"},
                    "not an object",
                ]
            }
        )
    )
    call_command("register_models", "--manifest", str(manifest))
    assert "registered 2 new, updated 0, skipped 2" in capsys.readouterr().out
    smol = ModelCheckpoint.objects.get(name="smol")
    assert smol.path == str(tmp_path / "smol") and smol.n_params == 135 and smol.kind == "causal-lm"
    # Upsert: a second run updates in place; a bare list is accepted too.
    manifest.write_text(json.dumps([{"name": "smol", "path": "smol", "kind": "causal-lm", "params": 136}]))
    call_command("register_models", "--manifest", str(manifest))
    assert "registered 0 new, updated 1" in capsys.readouterr().out
    assert ModelCheckpoint.objects.get(name="smol").n_params == 136
    assert ModelCheckpoint.objects.count() == 2


def test_register_models_default_manifest_under_model_root(settings, capsys):
    settings.MODEL_ROOT.mkdir(parents=True)
    (settings.MODEL_ROOT / "manifest.json").write_text(
        json.dumps({"models": [{"name": "a", "path": "a", "kind": "causal-lm"}]})
    )
    call_command("register_models")
    assert ModelCheckpoint.objects.get().path == str((settings.MODEL_ROOT / "a").resolve())


@pytest.mark.parametrize("content", [None, "{not json", '{"models": 3}'])
def test_register_models_bad_manifest_exit_1(tmp_path, content):
    manifest = tmp_path / "manifest.json"
    if content is not None:
        manifest.write_text(content)
    with pytest.raises(CommandError) as exc:
        call_command("register_models", "--manifest", str(manifest))
    assert exc.value.returncode == 1
    if content is None:
        assert "fetch_models" in str(exc.value)


def test_run_experiment_killed_with_sigterm_is_marked_cancelled(capsys):
    import os
    import signal
    import threading

    received = []

    def recorder(signum, frame):  # stands in for the default handler, which would kill pytest
        received.append(signum)

    guard = signal.signal(signal.SIGTERM, recorder)
    try:
        threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM)).start()
        with pytest.raises(KeyboardInterrupt):
            call_command(
                "run_experiment",
                "testing.count",
                "--set",
                "steps=200",
                "--set",
                "sleep_s=0.05",
                "--no-progress",
            )
        run = Run.objects.get()
        assert run.status == Run.Status.CANCELLED and "Interrupted" in run.message
        assert received == []  # the command's own handler got the signal
        assert signal.getsignal(signal.SIGTERM) is recorder  # and put the previous one back
    finally:
        signal.signal(signal.SIGTERM, guard)
