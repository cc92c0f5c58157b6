"""claim / finish / cancel / reap, and the RunReporter."""

from datetime import timedelta

import pytest
from django.utils import timezone

from evalhub.models import Run
from ml.experiments import Cancelled
from tests.factories import RunFactory
from workers.lifecycle import RunReporter, claim, finish, reap_stale_runs, request_cancel

pytestmark = pytest.mark.django_db


def long_ago(settings):
    return timezone.now() - timedelta(seconds=settings.ASSAY_STALE_RUN_S + 5)


def test_claim_is_conditional():
    run = RunFactory()
    first, second = claim(run.pk, "w1"), claim(run.pk, "w2")
    assert first is not None and second is None
    run.refresh_from_db()
    assert run.status == Run.Status.RUNNING and run.worker == "w1" and run.attempts == 1


def test_claim_skips_finished_and_cancel_requested_runs():
    done = RunFactory(status=Run.Status.SUCCEEDED)
    asked = RunFactory(cancel_requested=True)
    assert claim(done.pk, "w") is None and claim(asked.pk, "w") is None
    assert claim(999_999, "w") is None


def test_claim_takes_over_a_stale_running_run_but_not_a_live_one(settings):
    live = RunFactory(status=Run.Status.RUNNING, heartbeat_at=timezone.now(), attempts=1)
    assert claim(live.pk, "w2") is None
    stale = RunFactory(status=Run.Status.RUNNING, heartbeat_at=long_ago(settings), attempts=1)
    assert claim(stale.pk, "w2").attempts == 2


def test_claim_gives_up_past_max_attempts(settings):
    settings.ASSAY_MAX_RUN_ATTEMPTS = 2
    run = RunFactory(attempts=2)
    assert claim(run.pk, "w") is None
    run.refresh_from_db()
    assert run.status == Run.Status.FAILED and "Gave up" in run.error


def test_finish_only_once():
    run = RunFactory(status=Run.Status.RUNNING)
    assert finish(run.pk, Run.Status.SUCCEEDED, metrics={"a": 1})
    assert not finish(run.pk, Run.Status.FAILED, error="late")
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCEEDED and run.metrics == {"a": 1} and run.progress == 1.0


def test_stale_run_is_requeued_then_failed_after_max_attempts(settings):
    settings.ASSAY_MAX_RUN_ATTEMPTS = 2
    sent = []
    run = RunFactory(queue="gpu")
    assert claim(run.pk, "w1")
    Run.objects.filter(pk=run.pk).update(heartbeat_at=long_ago(settings))

    assert reap_stale_runs(enqueue=lambda pk, q: sent.append((pk, q))) == [run.pk]
    run.refresh_from_db()
    assert run.status == Run.Status.QUEUED and "Re-queued" in run.message and sent == [(run.pk, "gpu")]

    assert claim(run.pk, "w2").attempts == 2  # the re-delivered task takes it
    Run.objects.filter(pk=run.pk).update(heartbeat_at=long_ago(settings))
    assert reap_stale_runs(enqueue=lambda pk, q: sent.append((pk, q))) == [run.pk]
    run.refresh_from_db()
    assert run.status == Run.Status.FAILED and "lost 2 time(s)" in run.error and len(sent) == 1
    assert run.finished_at is not None


def test_reaper_leaves_live_runs_alone():
    RunFactory(status=Run.Status.RUNNING, heartbeat_at=timezone.now())
    assert reap_stale_runs(enqueue=lambda *a: pytest.fail("enqueued a live run")) == []


def test_reaper_cancels_a_stale_run_whose_cancel_was_requested(settings):
    run = RunFactory(
        status=Run.Status.RUNNING, heartbeat_at=long_ago(settings), cancel_requested=True, attempts=1
    )
    assert reap_stale_runs(enqueue=lambda *a: pytest.fail("re-queued a cancelled run")) == [run.pk]
    run.refresh_from_db()
    assert run.status == Run.Status.CANCELLED


def test_cancel_queued_run_is_immediate():
    run = RunFactory()
    assert request_cancel(run) == Run.Status.CANCELLED
    run.refresh_from_db()
    assert run.finished_at is not None and claim(run.pk, "w") is None


def test_cancel_running_run_stops_at_next_report():
    run = RunFactory()
    claim(run.pk, "w")
    reporter = RunReporter(run.pk, min_interval_s=0)
    reporter(0.1, "step 1")
    assert request_cancel(run) == Run.Status.RUNNING
    with pytest.raises(Cancelled):
        reporter(0.2, "step 2")


def test_cancel_finished_run_is_a_no_op():
    run = RunFactory(status=Run.Status.SUCCEEDED)
    assert request_cancel(run) == Run.Status.SUCCEEDED
    run.refresh_from_db()
    assert not run.cancel_requested


def test_reporter_writes_progress_log_and_echoes():
    run = RunFactory()
    claim(run.pk, "w")
    seen = []
    reporter = RunReporter(run.pk, min_interval_s=0, echo=lambda f, m: seen.append((f, m)))
    reporter(0.5, "half")
    reporter(2.0, "done")  # clamped
    run.refresh_from_db()
    assert run.progress == 1.0 and run.message == "done" and "half" in run.log_tail
    assert seen == [(0.5, "half"), (1.0, "done")]


def test_reporter_throttles_writes():
    run = RunFactory()
    claim(run.pk, "w")
    reporter = RunReporter(run.pk, min_interval_s=60)
    reporter(0.1, "a")
    reporter(0.2, "b")  # within the interval: kept in the log, not written
    run.refresh_from_db()
    assert run.progress == 0.1
