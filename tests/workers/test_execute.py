"""execute_run end to end in-process with the real testing.count experiment."""

import time

import pytest

from evalhub.models import Artifact, ModelCheckpoint, Run
from ml.experiments import ArtifactOut, ExperimentResult
from tests.factories import RunFactory
from workers.execute import execute_run

pytestmark = pytest.mark.django_db


def count_run(**params) -> Run:
    return RunFactory(kind="testing.count", params={"steps": 3, "sleep_s": 0.0, "fail_at": -1, **params})


def test_success_stores_metrics_and_artifacts():
    run = count_run()
    assert execute_run(run.pk, "w") == Run.Status.SUCCEEDED
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED and run.metrics == {"steps": 3, "total": 6, "last": 3}
    assert (
        run.progress == 1.0 and run.finished_at and run.message == "Finished." and "finished" in run.log_tail
    )
    kinds = {a.kind: a for a in run.artifacts.all()}
    assert set(kinds) == {"metrics", "plot"}
    assert kinds["plot"].abspath.read_bytes().startswith(b"\x89PNG") and kinds["plot"].size_bytes > 0
    assert kinds["plot"].path == f"runs/{run.pk}/count.png"  # stored relative to ARTIFACT_ROOT


def test_second_delivery_is_skipped():
    run = count_run()
    execute_run(run.pk, "w1")
    assert execute_run(run.pk, "w2") == "skipped"
    assert Artifact.objects.count() == 2


def test_failure_stores_error_and_log():
    run = count_run(fail_at=1)
    assert execute_run(run.pk, "w") == Run.Status.FAILED
    run.refresh_from_db()
    assert run.status == Run.Status.FAILED and "RuntimeError" in run.error and "failed at step 1" in run.error
    assert "Traceback" in run.log_tail and run.finished_at and not run.artifacts.exists()


def test_unknown_kind_fails_cleanly():
    run = RunFactory(kind="gone.away")
    assert execute_run(run.pk, "w") == Run.Status.FAILED
    run.refresh_from_db()
    assert "unknown experiment" in run.error


def test_cancel_requested_mid_run(monkeypatch):
    run = count_run(steps=5)

    def entry(params, workdir, report):
        report(0.2, "one")
        Run.objects.filter(pk=run.pk).update(cancel_requested=True)
        time.sleep(0.6)  # past the reporter's write throttle, so the next report checks for a cancel
        report(0.4, "two")
        pytest.fail("not stopped")

    monkeypatch.setattr("ml.experiments.Experiment.load_entry", lambda self: entry)
    assert execute_run(run.pk, "w") == Run.Status.CANCELLED
    run.refresh_from_db()
    assert run.status == Run.Status.CANCELLED and "cancelled" in run.log_tail


def test_checkpoint_directory_registers_a_model(monkeypatch, settings):
    run = count_run()

    def entry(params, workdir, report):
        ckpt = workdir / "model"
        ckpt.mkdir()
        (ckpt / "config.json").write_text('{"n_layer": 2, "model_type": "gpt2", "nested": {}}')
        return ExperimentResult(metrics={"params": 1234}, artifacts=[ArtifactOut(ckpt, "checkpoint")])

    monkeypatch.setattr("ml.experiments.Experiment.load_entry", lambda self: entry)
    assert execute_run(run.pk, "w") == Run.Status.SUCCEEDED
    model = ModelCheckpoint.objects.get()
    assert (
        model.run_id == run.pk
        and model.n_params == 1234
        and model.metadata == {"n_layer": 2, "model_type": "gpt2"}
    )


def test_missing_artifact_fails_the_run(monkeypatch, tmp_path):
    run = count_run()
    monkeypatch.setattr(
        "ml.experiments.Experiment.load_entry",
        lambda self: lambda p, w, r: ExperimentResult(artifacts=[ArtifactOut(tmp_path / "nope.png", "plot")]),
    )
    assert execute_run(run.pk, "w") == Run.Status.FAILED
    run.refresh_from_db()
    assert "FileNotFoundError" in run.error
