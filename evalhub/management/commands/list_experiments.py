import json

from django.core.management.base import BaseCommand

from evalhub.serializers import ExperimentSerializer
from ml import experiments


class Command(BaseCommand):
    help = "List the experiments in the registry with their parameters and defaults."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print the registry as JSON.")

    def handle(self, *args, **options):
        found = experiments.all_experiments()
        if options["json"]:
            self.stdout.write(json.dumps(ExperimentSerializer(found, many=True).data, indent=2))
            return
        for e in found:
            self.stdout.write(self.style.MIGRATE_HEADING(f"{e.name}") + f"  {e.title}  [queue {e.queue}]")
            for p in e.params:
                bounds = ""
                if p.min is not None or p.max is not None:
                    bounds = (
                        f" in [{p.min if p.min is not None else ''}, {p.max if p.max is not None else ''}]"
                    )
                if p.choices is not None:
                    bounds = f" one of {list(p.choices)}"
                self.stdout.write(f"  {p.name}: {p.type.__name__} = {p.default!r}{bounds}  {p.help}")
