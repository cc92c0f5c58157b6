"""Hypothesis studies: people check the hypotheses a `describe.run` run ranked, one (hypothesis, sample)
pair at a time, so human validity can be set beside the machine's.

The researcher's flow:
1. upload two corpora (or one with a label column); they are stored under ARTIFACT_ROOT, which the web
   app and the workers share, and `describe.run` runs on them in a worker (start_describe_run);
2. from the finished run's report.json, pick hypotheses and create the study (create_hypothesis_study):
   samples come from the run's own held-out split (what the machine verified on, never what the
   proposer saw), D1 and D0 alternate in coin-flipped order, and gold pairs (gold.py) sit in between;
3. annotators answer yes / no / unsure (answer), recorded once through the queue;
4. stats.py computes the combined report.

An item's payload holds the group; annotators never see it (the page shows the hypothesis and the text,
the generic queue API refuses this kind, and external ids are opaque positions).
"""

from __future__ import annotations

import json
import random
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from annotate import queue
from annotate.hypotheses.gold import Control, choose_control, gold_samples
from annotate.models import Assignment, Item, Study, log_event
from annotate.uploads import UploadRefused, problem
from evalhub.models import Run
from evalhub.services import artifact_file, submit_run
from ml import experiments
from ml.experiments import ParamError

DESCRIBE = "describe.run"
ANSWERS = ("yes", "no", "unsure")
GROUPS = ("D1", "D0")
CORPUS_SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".tsv")  # what ml.describe.data reads
# The run parameters that come from the uploaded files rather than from the form.
FILE_PARAMS = ("corpus_a", "corpus_b")
DEFAULT_CONFIG: dict[str, Any] = {"run": None, "hypotheses": [], "control": None, "flag_gap": 0.3}
LIMITS = {"annotations_per_item": (1, 50), "samples_per_group": (1, 500), "n_gold": (0, 200)}

HypothesisImportError = UploadRefused


class HypothesisError(Exception):
    """A request that cannot be served; the message is for the person. `status` is the HTTP status."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def study_config(study: Study) -> dict[str, Any]:
    return {**DEFAULT_CONFIG, **(study.config or {})}


def upload_folder() -> Path:
    """A new folder for one upload, under the artifact root so workers on other machines see it too."""
    folder = Path(settings.ARTIFACT_ROOT) / "uploads" / "describe" / uuid.uuid4().hex
    folder.mkdir(parents=True)
    return folder


# ----- 1. corpora and the describe.run run


def _save_corpus(folder: Path, field: str, name: str, data: bytes) -> tuple[Path | None, list[dict]]:
    suffix = Path(name or "").suffix.lower()
    if suffix not in CORPUS_SUFFIXES:
        return None, [problem(None, f"{name or 'The file'} is not a .jsonl or .csv file.", field)]
    if not data.strip():
        return None, [problem(None, f"{name} is empty.", field)]
    path = folder / f"{field}{suffix}"  # our own name: an uploaded name never becomes a path
    path.write_bytes(data)
    return path, []


def start_describe_run(
    owner,
    corpus_a: tuple[str, bytes] | None,
    corpus_b: tuple[str, bytes] | None = None,
    params: dict[str, Any] | None = None,
) -> Run:
    """Store the uploaded corpora, check them as the engine will read them, and queue `describe.run`.

    corpus_a and corpus_b are (file name, bytes); without corpus_b, corpus_a needs a label column.
    Raises UploadRefused naming each problem (nothing is kept then)."""
    from ml.describe.data import CorpusError, load_corpora
    from ml.describe.pipeline import MIN_GROUP

    try:
        experiment = experiments.get(DESCRIBE)
    except ParamError:
        raise UploadRefused(
            [problem(None, "The describe.run experiment is not installed.", "corpus_a")]
        ) from None
    if corpus_a is None:
        raise UploadRefused([problem(None, "Upload corpus A (a .jsonl or .csv file).", "corpus_a")])
    params = {k: v for k, v in (params or {}).items() if k not in FILE_PARAMS}
    folder = upload_folder()
    try:
        path_a, problems = _save_corpus(folder, "corpus_a", *corpus_a)
        path_b = None
        if corpus_b is not None:
            path_b, more = _save_corpus(folder, "corpus_b", *corpus_b)
            problems += more
        if problems:
            raise UploadRefused(problems)
        names = {str(path_a): corpus_a[0], str(path_b): corpus_b[0] if corpus_b else ""}
        try:
            validated = experiment.validate(
                {**params, "corpus_a": str(path_a), "corpus_b": str(path_b or "")}
            )
            corpora = load_corpora(path_a, path_b, validated["text_field"], validated["label_field"])
        except ParamError as exc:
            raise UploadRefused([problem(None, exc.message, exc.field)]) from None
        except CorpusError as exc:
            field = {"path_a": "corpus_a", "path_b": "corpus_b"}.get(exc.argument, exc.argument)
            raise UploadRefused([problem(None, _with_names(str(exc), names), field)]) from None
        for group, texts, field in (
            ("A", corpora.positive, "corpus_a"),
            ("B", corpora.negative, "corpus_b" if path_b else "corpus_a"),
        ):
            if len(texts) < MIN_GROUP:
                message = f"Group {group} has {len(texts)} texts; describe.run needs at least {MIN_GROUP}."
                raise UploadRefused([problem(None, message, field)])
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return submit_run(owner, DESCRIBE, validated)


def _with_names(message: str, names: dict[str, str]) -> str:
    # The engine names files by path; people know them by the name they uploaded.
    for path, name in names.items():
        if name:
            message = message.replace(path, name)
    return message


# ----- 2. from a finished run to a study


def run_report(run: Run) -> dict[str, Any]:
    """The run's report.json; HypothesisError when the run is not a finished describe.run."""
    if run.kind != DESCRIBE:
        raise HypothesisError(f"Run #{run.pk} is a {run.kind} run, not {DESCRIBE}.", status=404)
    if run.status != Run.Status.SUCCEEDED:
        raise HypothesisError(f"Run #{run.pk} has not succeeded (it is {run.get_status_display().lower()}).")
    artifact = run.artifacts.filter(name="report.json").first()
    path = artifact_file(artifact) if artifact else None
    if path is None:
        raise HypothesisError(f"Run #{run.pk} has no report.json on this server.")
    try:
        report = json.loads(path.read_text())
    except (OSError, ValueError):
        raise HypothesisError(f"Run #{run.pk}'s report.json is not readable JSON.") from None
    if not isinstance(report, dict) or not isinstance(report.get("rows"), list):
        raise HypothesisError(f"Run #{run.pk}'s report.json has no ranked hypotheses.")
    return report


def heldout_samples(params: dict[str, Any], report: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The held-out D1 and D0 samples the run verified on, as its report recorded them (never the
    proposal half, which people must not see)."""
    heldout = report.get("heldout")
    if not isinstance(heldout, dict) or not all(
        isinstance(heldout.get(g), list) for g in ("positive", "negative")
    ):
        raise HypothesisError(
            "This run's report.json does not record its held-out samples; run describe.run again."
        )
    return [str(t) for t in heldout["positive"]], [str(t) for t in heldout["negative"]]


@dataclass
class StudyPlan:
    records: list[dict[str, Any]]  # item records in serving order
    control: Control


def plan_items(
    hypotheses: list[str], d1: list[str], d0: list[str], per_group: int, n_gold: int, seed: int
) -> StudyPlan:
    """Item records: for each hypothesis `per_group` samples of each group, drawn without replacement,
    paired D1 with D0 in coin-flipped order; pair j of every hypothesis comes before pair j + 1 of any,
    so a study stopped early still has both groups of every hypothesis. Gold pairs are spread evenly."""
    rng = random.Random(seed)
    per_hypothesis = []
    for index, hypothesis in enumerate(hypotheses):
        picks = {"D1": rng.sample(range(len(d1)), per_group), "D0": rng.sample(range(len(d0)), per_group)}
        pairs = []
        for i1, i0 in zip(picks["D1"], picks["D0"], strict=True):
            pair = [
                {"hypothesis": hypothesis, "hypothesis_index": index, "text": d1[i1], "group": "D1"},
                {"hypothesis": hypothesis, "hypothesis_index": index, "text": d0[i0], "group": "D0"},
            ]
            pairs.append(pair if rng.random() < 0.5 else pair[::-1])
        per_hypothesis.append(pairs)
    real = [
        {"payload": p, "gold": None} for j in range(per_group) for pairs in per_hypothesis for p in pairs[j]
    ]

    texts = [(group, text) for group, texts in (("D1", d1), ("D0", d0)) for text in texts]
    control = choose_control([t for _, t in texts])
    gold = [
        {
            "payload": {
                "hypothesis": control.hypothesis,
                "hypothesis_index": None,
                "text": texts[i][1],
                "group": texts[i][0],
            },
            "gold": {"kind": "control", "answer": "yes" if holds else "no", "letter": control.letter},
        }
        for i, holds in gold_samples([t for _, t in texts], control, n_gold, seed)
    ]
    records = list(real)
    for g, record in enumerate(gold):
        records.insert((g + 1) * len(real) // (len(gold) + 1) + g, record)
    return StudyPlan(records, control)


def _bounded(name: str, value: Any) -> int:
    low, high = LIMITS[name]
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or not low <= number <= high:
        label = name.replace("_", " ")
        raise UploadRefused([problem(None, f"{label} must be a whole number from {low} to {high}.", name)])
    return number


def create_hypothesis_study(
    owner,
    run: Run,
    ranks: list[int],
    *,
    name: str = "",
    description: str = "",
    annotations_per_item: int = 3,
    samples_per_group: int = 10,
    n_gold: int = 4,
    flag_gap: float = 0.3,
    seed: int = 0,
) -> Study:
    """A hypothesis study for the run's hypotheses of these ranks, all or nothing.

    Each hypothesis gets min(samples_per_group, held-out size) samples of D1 and as many of D0;
    every item is wanted from annotations_per_item annotators."""
    report = run_report(run)
    by_rank = {row.get("rank"): row for row in report["rows"]}
    chosen = list(dict.fromkeys(ranks))
    if not chosen:
        raise UploadRefused([problem(None, "Pick at least one hypothesis.", "hypotheses")])
    unknown = [r for r in chosen if r not in by_rank]
    if unknown:
        raise UploadRefused(
            [problem(None, f"Run #{run.pk} has no hypothesis ranked {unknown[0]}.", "hypotheses")]
        )
    k = _bounded("annotations_per_item", annotations_per_item)
    per_group = _bounded("samples_per_group", samples_per_group)
    n_gold = _bounded("n_gold", n_gold)
    if not 0 < flag_gap <= 2:
        raise UploadRefused([problem(None, "The flag gap must be above 0 and at most 2.", "flag_gap")])
    d1, d0 = heldout_samples(run.params, report)
    per_group = min(per_group, len(d1), len(d0))
    rows = [by_rank[r] for r in chosen]
    plan = plan_items([row["hypothesis"] for row in rows], d1, d0, per_group, n_gold, seed)
    config = {
        "run": run.pk,
        "hypotheses": [
            {
                "index": index,
                "hypothesis": row["hypothesis"],
                # The machine's figures, copied so the report survives the run's files.
                "machine": {
                    key: row.get(key)
                    for key in ("rank", "validity", "ci_low", "ci_high", "p_value", "p_holm", "proposal_rank")
                },
            }
            for index, row in enumerate(rows)
        ],
        "samples_per_group": per_group,
        "n_gold": n_gold,
        "control": {"letter": plan.control.letter, "hypothesis": plan.control.hypothesis},
        "flag_gap": float(flag_gap),
        "seed": seed,
        "verifier": run.params.get("verifier"),
    }
    with transaction.atomic():
        study = Study.objects.create(
            name=(name.strip() or f"Hypotheses of run #{run.pk}")[:200],
            kind=Study.Kind.HYPOTHESIS,
            owner=owner,
            description=description
            or "Is the statement true of the text? Answer yes (y), no (n) or unsure (u). "
            "Judge only what the text says.",
            annotations_per_item=k,
            config=config,
        )
        Item.objects.bulk_create(
            Item(
                study=study,
                external_id=f"p{position:05d}",  # opaque: annotators may see item ids, never groups
                payload=record["payload"],
                is_gold=record["gold"] is not None,
                gold_answer=record["gold"],
            )
            for position, record in enumerate(plan.records)
        )
        log_event(
            "hypothesis.study_created",
            actor=owner,
            study=study,
            obj=study,
            run=run.pk,
            items=len(plan.records),
        )
    return study


# ----- 3. annotating


@dataclass
class Pair:
    """What an annotator sees: the hypothesis and the text, never the group."""

    assignment: int
    hypothesis: str
    text: str


def next_pair(study: Study, user) -> Pair | None:
    if not study.is_active:
        return None
    assignment = queue.next_assignment(study, user)
    if assignment is None:
        return None
    return Pair(assignment.pk, assignment.item.payload["hypothesis"], assignment.item.payload["text"])


@dataclass
class Answered:
    response_id: int
    created: bool  # False when this repeated an answer already stored


def answer(
    study: Study,
    assignment_id: int,
    user,
    value: str,
    *,
    active_time_ms: int | None = None,
    client: dict | None = None,
) -> Answered:
    """Record one judgement. queue.submit stores at most one response per assignment (a unique index),
    so a double key press, a retried request or two tabs never count twice: the repeat gets the
    stored response back."""
    if value not in ANSWERS:
        raise HypothesisError("Answer yes (y), no (n) or unsure (u).")
    assignment = Assignment.objects.filter(pk=assignment_id, study=study, annotator_id=user.pk).first()
    if assignment is None:
        raise HypothesisError("No such assignment.", status=404)
    try:
        sub = queue.submit(
            assignment.pk,
            user,
            {"answer": value},
            active_time_ms=active_time_ms,
            client={**(client or {}), "interface": "hypothesis"},
        )
    except queue.QueueError as exc:
        raise HypothesisError(str(exc), status=exc.status) from None
    return Answered(sub.response.pk, sub.created)
