"""Demo studies for a fresh install. Each interface adds its own builder to DEMO_BUILDERS."""

from collections.abc import Callable

from annotate.models import Study

# name -> builder(study) that fills the study with items; run once, when the study is first created.
DEMO_BUILDERS: dict[str, tuple[str, Callable[[Study], None], dict]] = {}


def demo_study(name: str, kind: str, **study_fields):
    def wrap(builder: Callable[[Study], None]):
        DEMO_BUILDERS[name] = (kind, builder, study_fields)
        return builder

    return wrap


def create_demo_studies(owner, annotators) -> list[str]:
    made = []
    for name, (kind, builder, fields) in DEMO_BUILDERS.items():
        study, created = Study.objects.get_or_create(
            name=name, defaults={"kind": kind, "owner": owner, **fields}
        )
        study.annotators.add(*annotators)
        if created:
            builder(study)
        made.append(f"{'created' if created else 'kept'} study {study.name!r} ({study.items.count()} items)")
    return made
