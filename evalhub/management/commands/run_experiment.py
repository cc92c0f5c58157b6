"""Run an experiment in the foreground, through the same lifecycle as a worker, with a progress bar."""

import json
import signal
import socket
import sys
import threading

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from annotate.roles import make_researcher
from evalhub.models import Run
from ml import experiments
from ml.experiments import ParamError
from workers.execute import execute_run

BAD_ARGS = 2  # like argparse: the command line was wrong; 1 means the run itself failed


def parse_sets(pairs: list[str]) -> dict[str, str]:
    raw: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise CommandError(f"--set expects key=value, got {pair!r}", returncode=BAD_ARGS)
        raw[key.strip()] = value
    return raw


def cli_owner(username: str | None):
    User = get_user_model()
    if username:
        try:
            return User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"no user named {username!r}", returncode=BAD_ARGS) from None
    owner = User.objects.filter(is_superuser=True).order_by("pk").first()
    if owner is None:
        owner, created = User.objects.get_or_create(username="cli")
        if created:
            owner.set_unusable_password()
            owner.save()
            make_researcher(owner)  # so the run shows up under /runs/ if someone gives it a password
    return owner


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def stop_on_sigterm():
    """Make `kill` stop the run as Ctrl-C does, so it is marked cancelled and the experiment's clean-up
    runs. Returns the handler it replaced (None off the main thread, where handlers cannot be set)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _interrupt)


class Command(BaseCommand):
    help = "Run an experiment in the foreground (not via the broker), recording it as a Run."

    def add_arguments(self, parser):
        parser.add_argument("kind", help="Experiment name; see list_experiments.")
        parser.add_argument(
            "--set", dest="sets", action="append", default=[], metavar="KEY=VALUE", help="A parameter."
        )
        parser.add_argument("--user", help="Owner of the run (default: the first superuser, else 'cli').")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, **options):
        try:
            experiment = experiments.get(options["kind"])
            params = experiment.validate(parse_sets(options["sets"]))
        except ParamError as exc:
            raise CommandError(str(exc), returncode=BAD_ARGS) from None
        owner = cli_owner(options["user"])
        run = Run.objects.create(kind=experiment.name, params=params, owner=owner, queue=experiment.queue)
        self.stderr.write(f"run {run.pk}: {experiment.name} {json.dumps(params)}")

        bar = tqdm(
            total=100,
            disable=options["no_progress"],
            file=sys.stderr,
            bar_format="{l_bar}{bar}| {elapsed}<{remaining}{postfix}",
        )

        def echo(fraction: float, message: str) -> None:
            bar.update(fraction * 100 - bar.n)
            if message:
                bar.set_postfix_str(message[:60], refresh=False)

        previous = stop_on_sigterm()
        try:
            status = execute_run(run.pk, f"cli@{socket.gethostname()}", echo=echo)
        except KeyboardInterrupt:
            # Leave no run "running" behind: mark it cancelled (the reaper would otherwise re-queue it).
            from workers.lifecycle import finish

            finish(run.pk, Run.Status.CANCELLED, message="Interrupted on the command line.")
            raise
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
            bar.close()
        run.refresh_from_db()
        if status != Run.Status.SUCCEEDED:
            raise CommandError(f"run {run.pk} {run.status}: {run.error or run.message}", returncode=1)
        self.stdout.write(json.dumps(run.metrics, indent=2, sort_keys=True))
