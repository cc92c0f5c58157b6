"""Factories for hypothesis-study tests: two small corpora on disk and a finished describe.run run whose
report.json is written here (so these tests do not depend on what a real run proposes)."""

import json
import uuid
from pathlib import Path

import factory
from django.conf import settings

from annotate.models import Study
from evalhub.models import Artifact, Run
from ml import experiments
from tests.factories import RunFactory, StudyFactory

# D1 mentions numbers, D0 never does; both are short, so gold pairs can come from either.
D1 = [f"The match ended {n} to {n + 1} after extra time in round {n + 2}." for n in range(12)]
D0 = [
    f"A quiet {w} morning by the lake, with tea and a good book."
    for w in (
        "grey",
        "bright",
        "cold",
        "warm",
        "still",
        "windy",
        "foggy",
        "sunny",
        "crisp",
        "soft",
        "long",
        "lazy",
    )
]
# what report.json records as the run's held-out samples (the only ones people may be shown)
HELD_D1, HELD_D0 = D1[::2], D0[::2]
HYPOTHESES = ["mentions a number", "is about sports", "mentions a lake", "is written in the past tense"]


def jsonl(texts: list[str], field: str = "text") -> bytes:
    return "".join(json.dumps({field: t}) + "\n" for t in texts).encode()


def labelled_csv(pairs: list[tuple[str, str]]) -> bytes:
    lines = ["text,label"] + [f'"{t}",{label}' for t, label in pairs]
    return ("\n".join(lines) + "\n").encode()


def describe_params(d1: list[str] = D1, d0: list[str] = D0, **overrides) -> dict:
    """Validated describe.run parameters over two JSONL corpora written under the artifact root."""
    folder = Path(settings.ARTIFACT_ROOT) / "uploads" / "describe" / uuid.uuid4().hex
    folder.mkdir(parents=True)
    (folder / "corpus_a.jsonl").write_bytes(jsonl(d1))
    (folder / "corpus_b.jsonl").write_bytes(jsonl(d0))
    raw = {
        "corpus_a": str(folder / "corpus_a.jsonl"),
        "corpus_b": str(folder / "corpus_b.jsonl"),
        **overrides,
    }
    return experiments.get("describe.run").validate(raw)


def report_rows(hypotheses: list[str] = HYPOTHESES) -> list[dict]:
    """Ranked rows in report.json's shape, validities falling with rank."""
    return [
        {
            "rank": rank,
            "hypothesis": h,
            "validity": round(0.8 - 0.2 * rank, 4),
            "ci_low": round(0.7 - 0.2 * rank, 4),
            "ci_high": round(0.9 - 0.2 * rank, 4),
            "p_value": 0.001 * rank,
            "p_holm": 0.004 * rank,
            "proposal_rank": len(hypotheses) - rank + 1,
            "eliminated": False,
            "examples": [],
        }
        for rank, h in enumerate(hypotheses, start=1)
    ]


class DescribeRunFactory(RunFactory):
    """A succeeded describe.run run with its report.json artifact (pass rows=[...] to change it)."""

    class Meta:
        skip_postgeneration_save = True

    kind = "describe.run"
    status = Run.Status.SUCCEEDED
    progress = 1.0
    params = factory.LazyFunction(describe_params)

    @factory.post_generation
    def rows(run, create, extracted, **kwargs):
        if not create:
            return
        run.workdir.mkdir(parents=True, exist_ok=True)
        path = run.workdir / "report.json"
        path.write_text(
            json.dumps(
                {
                    "params": run.params,
                    "rows": report_rows() if extracted is None else extracted,
                    "heldout": {"positive": HELD_D1, "negative": HELD_D0},
                }
            )
        )
        Artifact.objects.create(
            run=run, kind="metrics", name="report.json", path=str(path.relative_to(settings.ARTIFACT_ROOT))
        )


class HypothesisStudyFactory(StudyFactory):
    kind = Study.Kind.HYPOTHESIS
    annotations_per_item = 2
