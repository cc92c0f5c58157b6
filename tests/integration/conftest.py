"""Real worker processes against the configured broker and a database the test process shares.

The worker must see the test's rows and read the test's messages, so:
- SQLite: the test database is a file (an in-memory one cannot be shared between processes);
- any database: the worker gets DATABASE_URL pointing at the test database pytest-django created;
- the filesystem broker lives in a private temporary folder that both sides use; a Redis or AMQP
  broker is used as configured (CELERY_BROKER_URL).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from webapp.broker import filesystem_transport_options

REPO = Path(__file__).resolve().parents[2]
TMP = Path(tempfile.mkdtemp(prefix="assay-integration-"))
WORKER_VAR = TMP / "var"
HEARTBEAT_S, STALE_RUN_S = 1, 3

# Runs at collection, before pytest-django creates the test database for the session.
if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = str(TMP / "test.sqlite3")
if settings.CELERY_BROKER_URL.startswith("filesystem://"):
    # Mutated in place: the Celery app's config reads this same dict.
    settings.CELERY_BROKER_TRANSPORT_OPTIONS.update(filesystem_transport_options(WORKER_VAR))


def database_url() -> str:
    """A DATABASE_URL for the test database this process is using."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        name = str(db["NAME"])
        assert "memory" not in name, "integration tests need a file SQLite test database"
        return f"sqlite:///{name}"
    scheme = {"django.db.backends.postgresql": "postgres", "django.db.backends.mysql": "mysql"}[db["ENGINE"]]
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"{scheme}://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """One `celery -A webapp worker -Q gpu,cpu --pool=solo` subprocess in its own process group."""

    def __init__(self, env: dict[str, str], log: Path):
        self.name = f"it-{uuid.uuid4().hex[:8]}@{os.uname().nodename}"
        self.log = log
        self._log_file = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "webapp", "worker", "-Q", "gpu,cpu", "--pool=solo"]
            + ["-n", self.name, "--loglevel=INFO", "--without-mingle", "--without-gossip"],
            cwd=REPO,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 40) -> None:
        """Ready once it has written its heartbeat row: proves it shares our database, too."""
        from workers.models import WorkerHeartbeat

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"worker exited with {self.proc.returncode}:\n{self.tail()}")
            if WorkerHeartbeat.objects.filter(hostname=self.name).exists():
                return
            time.sleep(0.2)
        pytest.fail(f"worker not ready after {timeout}s:\n{self.tail()}")

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log_file.close()

    def tail(self, n: int = 60) -> str:
        self._log_file.flush()
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])


@pytest.fixture
def start_worker(settings, tmp_path):
    """Start workers that share this test's database, broker and artifact root; stopped at teardown."""
    settings.ASSAY_HEARTBEAT_S, settings.ASSAY_STALE_RUN_S = HEARTBEAT_S, STALE_RUN_S
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "webapp.settings",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "ASSAY_VAR_DIR": str(WORKER_VAR),
        "ASSAY_ARTIFACT_ROOT": str(settings.ARTIFACT_ROOT),
        "ASSAY_TESTING": "1",
        "ASSAY_HEARTBEAT_S": str(HEARTBEAT_S),
        "ASSAY_STALE_RUN_S": str(STALE_RUN_S),
        "PYTHONUNBUFFERED": "1",
    }
    workers: list[Worker] = []

    def start() -> Worker:
        worker = Worker(env, tmp_path / f"worker{len(workers)}.log")
        workers.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in workers:
        worker.stop()


def wait_for(predicate, timeout: float, what: str, worker: Worker | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout}s waiting for {what}" + (f"\n{worker.tail()}" if worker else ""))
