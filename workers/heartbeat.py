"""Worker liveness: each worker process records a heartbeat and, while it is up, reaps runs whose
worker died (so a killed worker's run is re-queued or failed, never left "running")."""

import logging
import os
import socket
import threading

from celery.signals import worker_ready, worker_shutdown
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

log = logging.getLogger(__name__)
_stop = threading.Event()


def beat_once(hostname: str, queues: str, started_at) -> None:
    from workers.lifecycle import reap_stale_runs
    from workers.models import WorkerHeartbeat

    WorkerHeartbeat.objects.update_or_create(
        hostname=hostname,
        defaults={
            "queues": queues,
            "pid": os.getpid(),
            "started_at": started_at,
            "last_seen": timezone.now(),
        },
    )
    reap_stale_runs()


def _loop(hostname: str, queues: str) -> None:
    started_at = timezone.now()
    while True:
        try:
            beat_once(hostname, queues, started_at)
        except Exception:  # a database blip must not kill the heartbeat thread
            log.exception("worker heartbeat failed")
        finally:
            close_old_connections()
        if _stop.wait(settings.ASSAY_HEARTBEAT_S):
            return


@worker_ready.connect
def start_heartbeat(sender=None, **kwargs):
    hostname = getattr(sender, "hostname", None) or socket.gethostname()
    queues = ",".join(sorted(q.name for q in sender.app.amqp.queues.consume_from.values())) if sender else ""
    threading.Thread(target=_loop, args=(hostname, queues), name="assay-heartbeat", daemon=True).start()


@worker_shutdown.connect
def stop_heartbeat(**kwargs):
    _stop.set()
