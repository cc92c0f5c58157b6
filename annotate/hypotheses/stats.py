"""The combined report of a hypothesis study: human validity with a CI, agreement, machine validity
beside it, and the disagreements worth a look. Computed with ml.stats (nothing is reimplemented here).

Human validity of a hypothesis = share of "yes" among the yes/no answers on D1 samples minus the same
share on D0 samples, the quantity the machine verifier estimates. "Unsure" answers are left out of it
and counted. Its 95% CI resamples samples (not answers: the k answers on one sample are not
independent), within each group, so every resample has both groups. Krippendorff's alpha (nominal)
is over the yes/no answers, unsure counting as missing. Gold pairs only measure annotators.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from typing import Any

from django.core.cache import cache

from annotate.exporting import CONTENT_TYPES, to_csv, to_jsonl
from annotate.hypotheses.services import study_config
from annotate.models import Response, Study
from ml.stats import cluster_bootstrap_means, krippendorff_alpha, percentile_interval

N_BOOT = 1000
GROUPS = ("D1", "D0")


@dataclass
class Row:
    """One judgement, with what the annotator did not see (the group) resolved from the item."""

    hypothesis: str
    text: str
    group: str
    annotator: str
    answer: str
    hypothesis_index: int | None  # None for a gold pair
    is_gold: bool
    gold_answer: str | None
    item: str
    item_id: int
    response_id: int
    active_time_ms: int | None
    submitted_at: str


EXPORT_COLUMNS = list(Row.__dataclass_fields__)


def response_rows(study: Study) -> list[Row]:
    responses = (
        Response.objects.filter(study=study, round=0).select_related("item", "annotator").order_by("id")
    )
    rows = []
    for r in responses:
        p = r.item.payload
        rows.append(
            Row(
                hypothesis=p["hypothesis"],
                text=p["text"],
                group=p["group"],
                annotator=r.annotator.username,
                answer=r.answer.get("answer", ""),
                hypothesis_index=p.get("hypothesis_index"),
                is_gold=r.item.is_gold,
                gold_answer=(r.item.gold_answer or {}).get("answer") if r.item.is_gold else None,
                item=r.item.external_id,
                item_id=r.item_id,
                response_id=r.pk,
                active_time_ms=r.active_time_ms,
                submitted_at=r.submitted_at.isoformat(),
            )
        )
    return rows


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def human_validity(rows: list[Row], n_boot: int = N_BOOT, seed: int = 0) -> dict[str, Any]:
    """Validity of one hypothesis from its judgements, with counts and a bootstrap CI over samples."""
    decided = [r for r in rows if r.answer in ("yes", "no")]
    out: dict[str, Any] = {"n": len(rows), "unsure": sum(r.answer == "unsure" for r in rows)}
    replicates = {}
    for offset, group in enumerate(GROUPS):
        mine = [r for r in decided if r.group == group]
        yes = sum(r.answer == "yes" for r in mine)
        out[group] = {"yes": yes, "no": len(mine) - yes, "share": yes / len(mine) if mine else None}
        if mine:
            # Independent resamples per group (seeds differ), so the difference's CI is stratified.
            (boot,) = cluster_bootstrap_means(
                [float(r.answer == "yes") for r in mine],
                [r.item_id for r in mine],
                n_boot=n_boot,
                seed=seed + offset,
            )
            replicates[group] = boot.replicates
    if len(replicates) < 2:
        return {**out, "validity": None, "ci_low": None, "ci_high": None}
    low, high = percentile_interval(replicates["D1"] - replicates["D0"])
    validity = out["D1"]["share"] - out["D0"]["share"]
    return {**out, "validity": validity, "ci_low": float(low), "ci_high": float(high)}


def alpha(rows: list[Row]) -> dict[str, Any]:
    """Krippendorff's alpha (nominal) over samples with two or more yes/no answers."""
    units: dict[int, list[str]] = defaultdict(list)
    for r in rows:
        if r.answer in ("yes", "no"):
            units[r.item_id].append(r.answer)
    pairable = [u for u in units.values() if len(u) >= 2]
    value = _finite(krippendorff_alpha(pairable, "nominal")) if pairable else None
    return {"alpha": value, "n_items": len(pairable)}


def _flags(human: dict[str, Any], machine: dict[str, Any], gap: float) -> list[str]:
    h, m = human["validity"], machine.get("validity")
    if h is None or m is None:
        return []
    flags = []
    if abs(h - m) >= gap:
        flags.append(f"human and machine differ by {abs(h - m):.2f}")
    if not human["ci_low"] <= m <= human["ci_high"]:
        flags.append("the human CI excludes the machine value")
    return flags


def split_pairs(rows: list[Row]) -> list[dict[str, Any]]:
    """Samples on which annotators split between yes and no (gold pairs excluded)."""
    by_item: dict[int, list[Row]] = defaultdict(list)
    for r in rows:
        by_item[r.item_id].append(r)
    out = []
    for item_rows in by_item.values():
        counts = Counter(r.answer for r in item_rows)
        if counts["yes"] and counts["no"]:
            first = item_rows[0]
            out.append(
                {
                    "item": first.item,
                    "hypothesis": first.hypothesis,
                    "text": first.text,
                    "group": first.group,
                    "yes": counts["yes"],
                    "no": counts["no"],
                    "unsure": counts["unsure"],
                }
            )
    return out


def _annotators(rows: list[Row]) -> list[dict[str, Any]]:
    out = []
    for name in sorted({r.annotator for r in rows}):
        mine = [r for r in rows if r.annotator == name]
        gold = [r for r in mine if r.is_gold]
        correct = sum(r.answer == r.gold_answer for r in gold)
        out.append(
            {
                "annotator": name,
                "n": len(mine),
                "unsure": sum(r.answer == "unsure" for r in mine),
                "gold_n": len(gold),
                "gold_correct": correct,
                # Unsure on a gold pair counts as not correct: its answer is a plain fact about the text.
                "gold_accuracy": correct / len(gold) if gold else None,
            }
        )
    return out


def compute(study: Study) -> dict[str, Any]:
    cfg = study_config(study)
    rows = response_rows(study)
    judged = [r for r in rows if not r.is_gold]
    by_hypothesis: dict[int, list[Row]] = defaultdict(list)
    for r in judged:
        by_hypothesis[r.hypothesis_index].append(r)
    hypotheses = []
    for h in cfg["hypotheses"]:
        mine = by_hypothesis.get(h["index"], [])
        human = human_validity(mine, seed=h["index"] * 2)
        machine = h.get("machine") or {}
        hypotheses.append(
            {
                "index": h["index"],
                "hypothesis": h["hypothesis"],
                "machine": machine,
                "human": human,
                "agreement": alpha(mine),
                "flags": _flags(human, machine, cfg["flag_gap"]),
            }
        )
    gold = [r for r in rows if r.is_gold]
    return {
        "study": study.pk,
        "run": cfg.get("run"),
        "n_responses": len(rows),
        "n_judged": len(judged),
        "unsure": sum(r.answer == "unsure" for r in judged),
        "flag_gap": cfg["flag_gap"],
        "hypotheses": hypotheses,
        "agreement": alpha(judged),
        "split_pairs": split_pairs(judged),
        "gold": {
            "n": len(gold),
            "correct": sum(r.answer == r.gold_answer for r in gold),
            "control": cfg.get("control"),
        },
        "annotators": _annotators(rows),
    }


def study_report(study: Study) -> dict[str, Any]:
    """compute(), cached until a new response arrives (the page polls every few seconds)."""
    latest = Response.objects.filter(study=study).order_by("-id").values_list("id", flat=True).first()
    key = f"hypothesis-report:{study.pk}:{latest}"
    report = cache.get(key)
    if report is None:
        report = compute(study)
        cache.set(key, report, 600)
    return report


# ----- exports and training data


def export(study: Study, fmt: str) -> tuple[str, str]:
    """Every judgement as (body, content type), fmt "jsonl" or "csv"."""
    records = [asdict(r) for r in response_rows(study)]
    body = to_csv(records, EXPORT_COLUMNS) if fmt == "csv" else to_jsonl(records)
    return "".join(body), CONTENT_TYPES[fmt]


def training_judgments(study: Study) -> list[tuple[str, str, int]]:
    """(hypothesis, text, 1 for yes / 0 for no), one per judgement: what TrainedVerifier.fit takes.
    Gold controls and unsure answers are left out (controls are not the hypotheses it will judge)."""
    return [
        (r.hypothesis, r.text, int(r.answer == "yes"))
        for r in response_rows(study)
        if not r.is_gold and r.answer in ("yes", "no")
    ]
