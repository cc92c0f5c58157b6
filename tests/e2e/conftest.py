"""Playwright fixtures for the end-to-end suite: headless Debian Chromium against pytest-django's live_server.

The whole suite skips when Chromium or the playwright package is missing (never `playwright install`).
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from webapp.broker import filesystem_transport_options

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]

# Playwright's sync API runs an event loop in this thread; Django's ORM would otherwise refuse to run here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

# A worker process must see the live server's database, so SQLite's test database has to be a file, not
# ":memory:". Set before any test database is created (conftests import at collection, before setup).
_db = settings.DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3" and not _db.get("TEST", {}).get("NAME"):
    _db.setdefault("TEST", {})["NAME"] = str(Path(tempfile.mkdtemp(prefix="assay-e2e-")) / "test.sqlite3")

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None


def pytest_collection_modifyitems(config, items):
    reason = None
    if sync_playwright is None:
        reason = "playwright is not importable: pip install playwright (the package only)"
    elif not Path(CHROMIUM).exists():
        reason = f"no Chromium at {CHROMIUM}: install Chromium: apt-get install chromium"
    if reason:
        here = Path(__file__).parent
        for item in items:
            if here in Path(item.fspath).parents:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def login(page, live_server, username: str, password: str) -> None:
    """Log in through the real form, as a person would."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("button[type=submit]")


def database_url() -> str:
    """A DATABASE_URL for the test database the live server is using (call inside a db test)."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def celery_worker_process(tmp_path, settings):
    """A real `celery -A webapp worker` in a subprocess, on the live server's database and a private
    filesystem broker, so queued runs really execute. Stopped (by its own pid) after the test."""
    from webapp.celery import app as celery_app

    var = tmp_path / "worker-var"
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(),
        ASSAY_VAR_DIR=str(var),  # the worker's settings put its broker folders under here
        ASSAY_ARTIFACT_ROOT=str(settings.ARTIFACT_ROOT),  # so the pages can serve what it writes
        DEBUG="1",
        ASSAY_HEARTBEAT_S="1",
    )
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    # Point this process's publisher at the same folders.
    old_options = dict(celery_app.conf.broker_transport_options or {})
    old_url = celery_app.conf.broker_url
    celery_app.conf.broker_url = "filesystem://"
    celery_app.conf.broker_transport_options = filesystem_transport_options(var)
    _drop_broker_pools(celery_app)

    celery = shutil.which("celery", path=str(Path(sys.executable).parent)) or "celery"
    log = (tmp_path / "worker.log").open("w")
    proc = subprocess.Popen(
        [celery, "-A", "webapp", "worker", "-Q", "gpu,cpu", "--pool=solo", "-c", "1", "-l", "INFO"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while "ready" not in (tmp_path / "worker.log").read_text() and time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail("celery worker exited:\n" + (tmp_path / "worker.log").read_text())
            time.sleep(0.2)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        celery_app.conf.broker_url = old_url
        celery_app.conf.broker_transport_options = old_options
        _drop_broker_pools(celery_app)


def _drop_broker_pools(app) -> None:
    # Celery caches its connection and producer pools on first publish; drop them (as Celery itself does
    # after a fork) so the next publish connects with the current broker settings.
    app._pool = None
    app.amqp._producer_pool = None
