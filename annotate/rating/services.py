"""Rating studies: import model outputs as blind pairs, place them left/right, record answers.

An item is one pair (prompt_id, model_a, model_b); its payload keeps the model names and outputs, which
only managers ever see. Raters see "left" and "right": the placement comes from the assignment's slot
(counterbalanced across raters) XOR a per-item coin, and the order shown is stored on the Response.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from django.db import transaction
from django.utils import timezone

from annotate import queue
from annotate.models import Assignment, Item, Study, log_event
from annotate.uploads import UploadRefused, problem

CHOICES = ("left", "right", "tie", "both_bad")
FIELDS = ("prompt_id", "prompt", "model", "output")
DEFAULT_CONFIG: dict[str, Any] = {"reference": None, "min_seconds": 3, "likert": True, "comment": False}
MAX_COMMENT = 2000


RatingImportError = UploadRefused  # the name this module's callers and tests use


class RatingError(Exception):
    """An answer that cannot be recorded; the message is for the rater. `status` is the HTTP status."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def _problem(line: int | None, message: str, field: str = "outputs") -> dict[str, Any]:
    return problem(line, message, field)


# ----- config


def validate_config(raw: Any) -> dict[str, Any]:
    """The study config with defaults filled in; raises RatingImportError naming the bad key."""
    if raw in (None, ""):
        raw = {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise RatingImportError([_problem(None, "config is not valid JSON.", "config")]) from None
    if not isinstance(raw, dict):
        raise RatingImportError([_problem(None, "config must be a JSON object.", "config")])
    unknown = sorted(set(raw) - set(DEFAULT_CONFIG))
    problems = [_problem(None, f"Unknown config key {k!r}.", "config") for k in unknown]
    cfg = {**DEFAULT_CONFIG, **{k: v for k, v in raw.items() if k in DEFAULT_CONFIG}}
    if cfg["reference"] is not None and (not isinstance(cfg["reference"], str) or not cfg["reference"]):
        problems.append(_problem(None, "reference must be a model name.", "config"))
    ms = cfg["min_seconds"]
    if isinstance(ms, bool) or not isinstance(ms, int | float) or not 0 <= ms <= 3600:
        problems.append(_problem(None, "min_seconds must be a number from 0 to 3600.", "config"))
    for key in ("likert", "comment"):
        if not isinstance(cfg[key], bool):
            problems.append(_problem(None, f"{key} must be true or false.", "config"))
    if problems:
        raise RatingImportError(problems)
    return cfg


def study_config(study: Study) -> dict[str, Any]:
    return {**DEFAULT_CONFIG, **(study.config or {})}


# ----- import


@dataclass
class _Output:
    line: int
    model: str
    text: str
    broken: bool


@dataclass
class _Prompt:
    prompt_id: str
    prompt: str
    line: int
    attention: bool = False
    expected: str | None = None
    outputs: list[_Output] | None = None


def parse_outputs(data: bytes | str) -> list[_Prompt]:
    """JSONL lines {"prompt_id", "prompt", "model", "output", "gold"?, "attention"?, "expected"?} grouped
    by prompt, in file order. Every problem is collected (with its line) before raising."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise RatingImportError([_problem(None, "The file is not UTF-8 text.")]) from None
    problems: list[dict[str, Any]] = []
    prompts: dict[str, _Prompt] = {}
    for n, raw in enumerate(data.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            rec = json.loads(raw)
        except ValueError as exc:
            problems.append(_problem(n, f"not valid JSON ({exc.msg})."))
            continue
        if not isinstance(rec, dict):
            problems.append(_problem(n, "each line must be a JSON object."))
            continue
        missing = [f for f in FIELDS if rec.get(f) in (None, "")]
        if missing:
            problems.append(_problem(n, f"missing field {', '.join(missing)}."))
            continue
        if not all(isinstance(rec[f], str) for f in ("prompt", "model", "output")) or isinstance(
            rec["prompt_id"], bool | dict | list
        ):
            problems.append(_problem(n, "prompt, model and output must be strings."))
            continue
        gold = rec.get("gold")
        if gold not in (None, "broken"):
            problems.append(_problem(n, 'gold must be "broken" when given.'))
            continue
        pid = str(rec["prompt_id"])
        prompt = prompts.get(pid)
        if prompt is None:
            prompt = prompts[pid] = _Prompt(pid, rec["prompt"], n, outputs=[])
        elif prompt.prompt != rec["prompt"]:
            problems.append(
                _problem(n, f"prompt {pid!r} has a different prompt text than on line {prompt.line}.")
            )
            continue
        if rec.get("attention"):
            expected = rec.get("expected", "both_bad")
            if expected not in ("tie", "both_bad"):
                # Attention answers must not depend on the (random) side an output is shown on.
                problems.append(_problem(n, 'expected must be "tie" or "both_bad" for an attention check.'))
                continue
            prompt.attention, prompt.expected = True, expected
        if any(o.model == rec["model"] for o in prompt.outputs):
            problems.append(_problem(n, f"duplicate output for prompt {pid!r} and model {rec['model']!r}."))
            continue
        prompt.outputs.append(_Output(n, rec["model"], rec["output"], gold == "broken"))
    for p in prompts.values():
        if len(p.outputs) < 2:
            problems.append(_problem(p.line, f"prompt {p.prompt_id!r} has fewer than two outputs."))
        elif sum(o.broken for o in p.outputs) > 1:
            problems.append(_problem(p.line, f"prompt {p.prompt_id!r} has more than one broken gold output."))
    if not prompts and not problems:
        problems.append(_problem(None, "The file has no outputs."))
    if problems:
        raise RatingImportError(problems)
    return list(prompts.values())


def build_pairs(prompts: list[_Prompt], reference: str | None = None) -> list[dict[str, Any]]:
    """Item records: every pair of outputs per prompt, or only pairs with `reference` when it is set.
    A prompt with a broken output gives silent gold pairs (broken vs each other output) whose right
    answer is the other side; an attention prompt's pairs expect its stated answer."""
    problems = []
    if reference and not any(o.model == reference for p in prompts for o in p.outputs):
        problems.append(_problem(None, f"No output comes from the reference model {reference!r}.", "config"))
    records = []
    for p in prompts:
        broken = next((o for o in p.outputs if o.broken), None)
        if broken is not None:
            pairs = [(broken, o) for o in p.outputs if o is not broken]
        elif reference:
            ref = next((o for o in p.outputs if o.model == reference), None)
            if ref is None:
                problems.append(_problem(p.line, f"prompt {p.prompt_id!r} has no {reference!r} output."))
                continue
            pairs = [(ref, o) for o in p.outputs if o is not ref]
        else:
            pairs = list(combinations(p.outputs, 2))
        for a, b in pairs:
            gold = None
            if broken is not None:
                gold = {"kind": "gold", "winner_model": b.model, "broken_model": a.model}
            elif p.attention:
                gold = {"kind": "attention", "choice": p.expected}
            records.append(
                {
                    "external_id": f"{p.prompt_id}:{a.model}:{b.model}",
                    "payload": {
                        "prompt_id": p.prompt_id,
                        "prompt": p.prompt,
                        "model_a": a.model,
                        "model_b": b.model,
                        "output_a": a.text,
                        "output_b": b.text,
                    },
                    "gold": gold,
                }
            )
    if problems:
        raise RatingImportError(problems)
    return records


def import_outputs(study: Study, data: bytes | str, *, actor=None) -> int:
    """Add the pairs from a JSONL of outputs to the study, all or nothing. Returns the number of pairs."""
    cfg = study_config(study)
    records = build_pairs(parse_outputs(data), cfg.get("reference"))
    taken = set(Item.objects.filter(study=study).values_list("external_id", flat=True))
    clash = [r["external_id"] for r in records if r["external_id"] in taken]
    if clash:
        raise RatingImportError([_problem(None, f"pair {clash[0]!r} is already in the study.")])
    with transaction.atomic():
        Item.objects.bulk_create(
            Item(
                study=study,
                external_id=r["external_id"],
                payload=r["payload"],
                is_gold=r["gold"] is not None,
                gold_answer=r["gold"],
            )
            for r in records
        )
        log_event("rating.imported", actor=actor, study=study, obj=study, pairs=len(records))
    return len(records)


def create_rating_study(
    owner,
    name: str,
    outputs: bytes | str,
    *,
    config: Any = None,
    description: str = "",
    annotations_per_item: int = 3,
) -> Study:
    """Create a rating study and import its pairs in one transaction (nothing is kept on any error)."""
    if not name.strip():
        raise RatingImportError([_problem(None, "A study needs a name.", "name")])
    cfg = validate_config(config)
    with transaction.atomic():
        study = Study.objects.create(
            name=name.strip(),
            kind=Study.Kind.RATING,
            owner=owner,
            description=description,
            annotations_per_item=annotations_per_item,
            config=cfg,
        )
        import_outputs(study, outputs, actor=owner)
        log_event("study.created", actor=owner, study=study, obj=study)
    return study


# ----- blind, counterbalanced placement


def item_coin(item_id: int) -> bool:
    """A fixed fair coin per item, so slot 0 does not always put model_a on the left."""
    return random.Random(item_id * 7919 + 17).random() < 0.5


def is_swapped(item_id: int, slot: int) -> bool:
    """True when model_b goes on the left. Slots alternate sides, so any two raters of an item see
    it both ways round (with k raters the split is as even as k allows)."""
    return (slot % 2 == 1) != item_coin(item_id)


def displayed_order(assignment: Assignment) -> list[str]:
    """[left model, right model] for this assignment."""
    p = assignment.item.payload
    order = [p["model_a"], p["model_b"]]
    return order[::-1] if is_swapped(assignment.item_id, assignment.slot) else order


@dataclass
class Pair:
    """What a rater sees: never a model name."""

    assignment: int
    prompt: str
    left: str
    right: str


def blind_pair(assignment: Assignment) -> Pair:
    p = assignment.item.payload
    left, right = p["output_a"], p["output_b"]
    if is_swapped(assignment.item_id, assignment.slot):
        left, right = right, left
    return Pair(assignment.pk, p["prompt"], left, right)


def next_pair(study: Study, user) -> Pair | None:
    if not study.is_active:
        return None
    assignment = queue.next_assignment(study, user)
    return blind_pair(assignment) if assignment else None


# ----- answers


def _likert(raw: Any) -> int | None:
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise RatingError("Likert ratings are whole numbers from 1 to 5.") from None
    if not 1 <= value <= 5:
        raise RatingError("Likert ratings are whole numbers from 1 to 5.")
    return value


@dataclass
class Rated:
    response_id: int
    created: bool
    fast: bool


def rate(
    study: Study,
    assignment_id: int,
    user,
    choice: str,
    *,
    likert_left: Any = None,
    likert_right: Any = None,
    comment: str = "",
    active_time_ms: int | None = None,
    client: dict | None = None,
) -> Rated:
    """Record one rater's judgement of their assignment. The winning model is resolved here from the
    stored placement, never taken from the client. Answers quicker than min_seconds (server clock,
    from when the pair was served) are kept but flagged `fast` in the client metadata."""
    if choice not in CHOICES:
        raise RatingError("Pick A better (1), B better (2), tie (3) or both bad (4).")
    assignment = (
        Assignment.objects.select_related("item")
        .filter(pk=assignment_id, study=study, annotator_id=user.pk)
        .first()
    )
    if assignment is None:
        raise RatingError("No such assignment.", status=404)
    cfg = study_config(study)
    order = displayed_order(assignment)
    likert = {"left": None, "right": None}
    if cfg["likert"]:
        likert = {"left": _likert(likert_left), "right": _likert(likert_right)}
    comment = (comment or "").strip()[:MAX_COMMENT] if cfg["comment"] else ""
    winner = {"left": order[0], "right": order[1]}.get(choice)
    elapsed_ms = int((timezone.now() - assignment.served_at).total_seconds() * 1000)
    fast = elapsed_ms < float(cfg["min_seconds"]) * 1000
    answer = {"choice": choice, "winner_model": winner, "likert": likert, "comment": comment}
    meta = {**(client or {}), "interface": "rating", "fast": fast, "elapsed_ms": elapsed_ms}
    try:
        sub = queue.submit(
            assignment.pk, user, answer, displayed_order=order, active_time_ms=active_time_ms, client=meta
        )
    except queue.QueueError as exc:
        raise RatingError(str(exc), status=exc.status) from None
    return Rated(sub.response.pk, sub.created, bool(sub.response.client.get("fast")))
