"""A run's life: claim it atomically, report progress, finish it, and recover runs whose worker died.

Every state change is a conditional UPDATE, so two deliveries of the same task (a broker re-delivery after
a worker was lost, or the reaper's re-enqueue) can never both execute a run.
"""

import logging
import threading
import time
from collections import deque
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from evalhub.models import Run
from ml.experiments import Cancelled, ProgressFn

log = logging.getLogger(__name__)
LOG_TAIL_LINES = 60


def stale_before():
    return timezone.now() - timedelta(seconds=settings.ASSAY_STALE_RUN_S)


def claim(run_id: int, worker: str) -> Run | None:
    """queued -> running, or take over a running run whose heartbeat went stale. None if not ours to run."""
    now = timezone.now()
    claimable = Q(status=Run.Status.QUEUED) | Q(status=Run.Status.RUNNING, heartbeat_at__lt=stale_before())
    updated = (
        Run.objects.filter(pk=run_id, cancel_requested=False)
        .filter(claimable)
        .update(
            status=Run.Status.RUNNING,
            started_at=now,
            heartbeat_at=now,
            worker=worker,
            attempts=F("attempts") + 1,
            progress=0.0,
            error="",
        )
    )
    if not updated:
        return None
    run = Run.objects.get(pk=run_id)
    if run.attempts > settings.ASSAY_MAX_RUN_ATTEMPTS:
        finish(
            run_id,
            Run.Status.FAILED,
            error=f"Gave up after {run.attempts - 1} attempts: the worker was lost.",
        )
        return None
    return run


def finish(
    run_id: int, status: str, *, error: str = "", metrics: dict | None = None, message: str = ""
) -> bool:
    """running -> a final state. False if the run was already finished by someone else."""
    fields = {"status": status, "finished_at": timezone.now(), "error": error}
    if metrics is not None:
        fields["metrics"] = metrics
    if message:
        fields["message"] = message[:500]
    if status == Run.Status.SUCCEEDED:
        fields["progress"] = 1.0
    return bool(Run.objects.filter(pk=run_id).exclude(status__in=Run.FINISHED).update(**fields))


def request_cancel(run: Run) -> str:
    """Cancel a queued run at once; ask a running one to stop at its next progress report."""
    if Run.objects.filter(pk=run.pk, status=Run.Status.QUEUED).update(
        status=Run.Status.CANCELLED, finished_at=timezone.now(), cancel_requested=True, message="Cancelled."
    ):
        return Run.Status.CANCELLED
    Run.objects.filter(pk=run.pk, status=Run.Status.RUNNING).update(cancel_requested=True)
    run.refresh_from_db()
    return run.status


def reap_stale_runs(enqueue=None) -> list[int]:
    """Runs marked running whose worker stopped heart-beating: re-queue them, or fail them past the limit."""
    from workers.tasks import enqueue_run

    enqueue = enqueue or enqueue_run
    reaped = []
    for run in Run.objects.filter(status=Run.Status.RUNNING, heartbeat_at__lt=stale_before()):
        if run.cancel_requested:
            # Its owner asked it to stop and its worker is gone: re-queueing it would leave it queued
            # forever, because claim() never takes a run with a cancel request.
            done = Run.objects.filter(
                pk=run.pk, status=Run.Status.RUNNING, heartbeat_at__lt=stale_before()
            ).update(status=Run.Status.CANCELLED, finished_at=timezone.now(), message="Cancelled.")
        elif run.attempts >= settings.ASSAY_MAX_RUN_ATTEMPTS:
            done = Run.objects.filter(
                pk=run.pk, status=Run.Status.RUNNING, heartbeat_at__lt=stale_before()
            ).update(
                status=Run.Status.FAILED,
                finished_at=timezone.now(),
                error=f"The worker running this was lost {run.attempts} time(s); giving up.",
            )
        else:
            with transaction.atomic():
                done = Run.objects.filter(
                    pk=run.pk, status=Run.Status.RUNNING, heartbeat_at__lt=stale_before()
                ).update(status=Run.Status.QUEUED, message="Re-queued: the worker running it was lost.")
                if done:
                    enqueue(run.pk, run.queue)
        if done:
            log.warning("reaped stale run %s (attempt %s)", run.pk, run.attempts)
            reaped.append(run.pk)
    return reaped


class RunReporter:
    """The progress callback handed to ml/: throttled writes of progress, message and log tail.

    A heartbeat thread keeps `heartbeat_at` fresh even while a long step makes no report, and every report
    checks for a cancel request so a run stops at its next report.
    """

    def __init__(self, run_id: int, min_interval_s: float = 0.5, echo: ProgressFn | None = None):
        self.run_id = run_id
        self.echo = echo
        self.min_interval_s = min_interval_s
        self.lines: deque[str] = deque(maxlen=LOG_TAIL_LINES)
        self._last_write = 0.0
        self._last_message = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"run-{run_id}-heartbeat", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)

    def _beat(self) -> None:
        try:
            while not self._stop.wait(settings.ASSAY_HEARTBEAT_S):
                Run.objects.filter(pk=self.run_id, status=Run.Status.RUNNING).update(
                    heartbeat_at=timezone.now()
                )
        finally:
            # This thread's own connection: close it, or every run leaks one (CONN_MAX_AGE keeps it open).
            connection.close()

    def log(self, line: str) -> None:
        self.lines.append(f"{timezone.now():%H:%M:%S} {line}")

    def __call__(self, fraction: float, message: str = "") -> None:
        fraction = min(max(float(fraction), 0.0), 1.0)
        if self.echo is not None:
            self.echo(fraction, message)
        if message and message != self._last_message:
            self.log(message)
            self._last_message = message
        now = time.monotonic()
        if now - self._last_write < self.min_interval_s and fraction < 1.0:
            return
        self._last_write = now
        Run.objects.filter(pk=self.run_id, status=Run.Status.RUNNING).update(
            progress=fraction,
            message=message[:500],
            log_tail="\n".join(self.lines),
            heartbeat_at=timezone.now(),
        )
        if Run.objects.filter(pk=self.run_id, cancel_requested=True).exists():
            raise Cancelled("Cancelled by request.")

    def flush(self) -> None:
        Run.objects.filter(pk=self.run_id).update(log_tail="\n".join(self.lines))
