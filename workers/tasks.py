"""Celery tasks. They take primary keys, are idempotent (the claim is conditional), and retry only on
transient database or broker errors, never on the experiment's own failures."""

import uuid

from celery import shared_task
from django.db import OperationalError, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from evalhub.models import Run
from workers.execute import execute_run


@shared_task(
    bind=True,
    name="workers.execute_run",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def execute_run_task(self, run_id: int) -> str:
    return execute_run(run_id, self.request.hostname or "worker")


def enqueue_run(run_id: int, queue: str) -> str:
    """Send the run to its queue once the surrounding transaction commits. Returns the task id."""
    task_id = str(uuid.uuid4())
    Run.objects.filter(pk=run_id).update(celery_id=task_id)

    def send():
        try:
            execute_run_task.apply_async(args=[run_id], queue=queue, task_id=task_id)
        except BrokerError as exc:
            # The run stays visible as failed, never silently stuck in the queue.
            Run.objects.filter(pk=run_id, status=Run.Status.QUEUED).update(
                status=Run.Status.FAILED,
                finished_at=timezone.now(),
                error=f"Could not reach the task broker: {exc}",
            )

    transaction.on_commit(send)
    return task_id
