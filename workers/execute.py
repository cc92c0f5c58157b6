"""The body of the run task: claim, call the experiment's ml/ entry point, store what comes back."""

import json
import logging
import traceback
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction

from evalhub.models import Artifact, ModelCheckpoint, Run
from ml import experiments
from ml.calm import is_calm_checkpoint
from ml.experiments import ArtifactOut, Cancelled, ParamError, ProgressFn
from workers.lifecycle import RunReporter, claim, finish

log = logging.getLogger(__name__)


def _jsonable(value):
    # Metrics come from research code: make sure numpy scalars and paths survive a JSONField.
    return json.loads(json.dumps(value, default=lambda o: o.item() if hasattr(o, "item") else str(o)))


def store_artifacts(run: Run, outputs: list[ArtifactOut]) -> None:
    root = Path(settings.ARTIFACT_ROOT).resolve()
    with transaction.atomic():
        for out in outputs:
            path = Path(out.path).resolve()
            if not path.exists():
                raise FileNotFoundError(f"the experiment reported an artifact that does not exist: {path}")
            rel = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
            size = (
                sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
                if path.is_dir()
                else path.stat().st_size
            )
            name = out.name or path.name
            Artifact.objects.update_or_create(
                run=run, path=rel, defaults={"kind": out.kind, "name": name, "size_bytes": size}
            )
            if out.kind == Artifact.Kind.CHECKPOINT and path.is_dir():
                meta = {}
                config = path / "config.json"
                if config.exists():
                    meta = {
                        k: v for k, v in json.loads(config.read_text()).items() if isinstance(v, (int, str))
                    }
                # A dialogue agent with its own loader (CALM) is registered as an agent, not a plain LM.
                agent = is_calm_checkpoint(path)
                ModelCheckpoint.objects.update_or_create(
                    name=f"run{run.pk}-{name}",
                    defaults={
                        "kind": ModelCheckpoint.Kind.AGENT if agent else ModelCheckpoint.Kind.CAUSAL_LM,
                        "path": str(path),
                        "source": f"run {run.pk} ({run.kind})",
                        "run": run,
                        "n_params": (run.metrics or {}).get("params"),
                        "metadata": meta,
                    },
                )


def execute_run(run_id: int, worker: str, echo: ProgressFn | None = None) -> str:
    """Run one experiment to completion. Returns the final status (or 'skipped' if not ours to run).

    `echo`, if given, also receives every progress report (the CLI draws its progress bar with it).
    """
    run = claim(run_id, worker)
    if run is None:
        return "skipped"
    reporter = RunReporter(run.pk, echo=echo)
    try:
        experiment = experiments.get(run.kind)
        params = experiment.validate(run.params)
        entry = experiment.load_entry()
        workdir = run.workdir
        workdir.mkdir(parents=True, exist_ok=True)
        with reporter:
            reporter(0.0, f"started {run.kind} on {worker}")
            result = entry(params, workdir, reporter)
        metrics = _jsonable(result.metrics)
        Run.objects.filter(pk=run.pk).update(metrics=metrics)
        run.metrics = metrics
        store_artifacts(run, result.artifacts)
        reporter.log("finished")
        reporter.flush()
        finish(run.pk, Run.Status.SUCCEEDED, metrics=metrics, message="Finished.")
        return Run.Status.SUCCEEDED
    except Cancelled:
        reporter.log("cancelled")
        reporter.flush()
        finish(run.pk, Run.Status.CANCELLED, message="Cancelled.")
        return Run.Status.CANCELLED
    except SoftTimeLimitExceeded:
        finish(run.pk, Run.Status.FAILED, error="The run exceeded its time limit.")
        return Run.Status.FAILED
    except (ParamError, ValueError, FileNotFoundError) as exc:
        # Bad input to the experiment: the message is for the user, the traceback for the log.
        log.info("run %s failed: %s", run.pk, exc)
        reporter.log(traceback.format_exc(limit=3))
        reporter.flush()
        finish(run.pk, Run.Status.FAILED, error=f"{type(exc).__name__}: {exc}")
        return Run.Status.FAILED
    except Exception as exc:
        log.exception("run %s crashed", run.pk)
        reporter.log(traceback.format_exc(limit=8))
        reporter.flush()
        finish(run.pk, Run.Status.FAILED, error=f"{type(exc).__name__}: {exc}")
        return Run.Status.FAILED
