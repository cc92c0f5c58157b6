"""Serve the web app with gunicorn and a real Celery worker beside it; Ctrl-C stops both."""

import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Assay (gunicorn) with a Celery worker process; Ctrl-C stops both."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--web-workers", type=int, default=2)
        parser.add_argument("--queues", default="gpu,cpu")
        parser.add_argument("--no-worker", action="store_true", help="Serve the web app only.")

    def handle(self, *args, **opts):
        bin_dir = os.path.dirname(sys.executable)
        commands = [
            [
                os.path.join(bin_dir, "gunicorn"),
                "webapp.wsgi",
                "--bind",
                f"{opts['host']}:{opts['port']}",
                "--workers",
                str(opts["web_workers"]),
                "--threads",
                "4",
                "--access-logfile",
                "-",
            ]
        ]
        if not opts["no_worker"]:
            commands.append(
                [
                    os.path.join(bin_dir, "celery"),
                    "-A",
                    "webapp",
                    "worker",
                    "-Q",
                    opts["queues"],
                    "--concurrency",
                    "1",
                    "--loglevel",
                    "INFO",
                ]
            )
        children = [subprocess.Popen(cmd) for cmd in commands]
        self.stdout.write(self.style.SUCCESS(f"Assay is serving at http://{opts['host']}:{opts['port']}/"))

        def stop(*_):
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 20
            for child in children:
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.kill()

        signal.signal(signal.SIGTERM, lambda *_: (stop(), sys.exit(0)))
        try:
            # If either process dies, stop the other rather than serve half an app.
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
            self.stderr.write("A child process exited; stopping.")
        except KeyboardInterrupt:
            pass
        finally:
            stop()
