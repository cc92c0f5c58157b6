"""Figures for the operators' dashboard: runs by state, live workers, queue lengths, annotation throughput."""

from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from annotate.models import Response
from evalhub.models import Run
from workers.models import WorkerHeartbeat

QUEUES = ("gpu", "cpu")


def queue_lengths() -> dict[str, int | None]:
    """Messages waiting per queue, read from the broker itself; None where the broker cannot say."""
    url = settings.CELERY_BROKER_URL
    lengths: dict[str, int | None] = {}
    if url.startswith("filesystem://"):
        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
        for q in QUEUES:
            lengths[q] = sum(1 for f in folder.glob(f"*.{q}.msg")) if folder.exists() else 0
        return lengths
    from webapp.celery import app

    try:
        with app.connection_for_read() as conn:
            channel = conn.default_channel
            for q in QUEUES:
                try:
                    lengths[q] = channel.queue_declare(queue=q, passive=True).message_count
                except Exception:
                    lengths[q] = 0
                    channel = conn.channel()
    except Exception:
        lengths = {q: None for q in QUEUES}
    return lengths


def celery_ping(timeout: float = 1.0) -> dict[str, str] | None:
    """Workers that answer Celery's remote-control ping right now; None if the broker cannot broadcast."""
    from webapp.celery import app

    try:
        replies = app.control.inspect(timeout=timeout).ping() or {}
    except Exception:  # an unreachable broker must not take the dashboard down
        return None
    return {name: str(reply.get("ok", reply)) for name, reply in replies.items()}


def live_workers() -> list[WorkerHeartbeat]:
    cutoff = timezone.now() - timedelta(seconds=max(3 * settings.ASSAY_HEARTBEAT_S, 15))
    return list(WorkerHeartbeat.objects.filter(last_seen__gte=cutoff))


def annotation_throughput() -> dict[str, float]:
    now = timezone.now()
    last_hour = Response.objects.filter(submitted_at__gte=now - timedelta(hours=1)).count()
    last_5min = Response.objects.filter(submitted_at__gte=now - timedelta(minutes=5)).count()
    return {
        "last_hour": last_hour,
        "per_minute_5min": round(last_5min / 5, 2),
        "total": Response.objects.count(),
    }


def snapshot() -> dict:
    by_state = dict(Run.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    return {
        "runs_by_state": [(label, by_state.get(value, 0)) for value, label in Run.Status.choices],
        "workers": live_workers(),
        "pinged": celery_ping(),
        "queues": queue_lengths(),
        "throughput": annotation_throughput(),
        "recent_failures": Run.objects.filter(status=Run.Status.FAILED).order_by("-finished_at")[:10],
    }
