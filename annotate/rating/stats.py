"""Researcher statistics for a rating study, computed with ml.stats (nothing is reimplemented here).

Every response is first mapped back to models (winner_model, stored at submit time from the placement),
so left/right swaps between raters never look like disagreement. "Both bad" counts as a tie for win
rates and Bradley–Terry (half a win each way) and is reported separately. Gold and attention pairs are
quality checks: they feed per-rater accuracy only, never the model statistics.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from itertools import combinations
from typing import Any

from django.core.cache import cache

from annotate.models import Response, Study
from annotate.rating.services import study_config
from ml.stats import (
    Comparison,
    cohens_kappa,
    fleiss_kappa,
    head_to_head,
    krippendorff_alpha,
    leaderboard,
    position_bias,
    ratings_to_counts,
)

N_BOOT = 1000
MIN_SHARED = 5  # Cohen's kappa only for rater pairs with at least this many items in common
BT_PRIOR = 1.0  # virtual tied games per pair, used only when the plain MLE is unbounded


@dataclass
class Row:
    """One response, resolved to models."""

    response_id: int
    item_id: int
    external_id: str
    prompt_id: str
    model_a: str
    model_b: str
    left: str
    right: str
    rater: str
    choice: str
    winner_model: str | None
    label: str  # winner model, "tie" or "both_bad": the category used for agreement
    outcome: str  # from model_a's side: "a", "b" or "tie"
    likert_left: int | None
    likert_right: int | None
    comment: str
    gold_kind: str | None
    gold_correct: bool | None
    fast: bool
    active_time_ms: int | None
    served_at: str
    submitted_at: str


def _gold_correct(gold: dict | None, answer: dict) -> bool | None:
    if not gold:
        return None
    if gold.get("kind") == "attention":
        return answer.get("choice") == gold.get("choice")
    return answer.get("winner_model") == gold.get("winner_model")


def response_rows(study: Study) -> list[Row]:
    rows = []
    responses = (
        Response.objects.filter(study=study, round=0).select_related("item", "annotator").order_by("id")
    )
    for r in responses:
        p, a = r.item.payload, r.answer
        order = list(r.displayed_order) or [p["model_a"], p["model_b"]]
        winner = a.get("winner_model")
        choice = a.get("choice", "")
        outcome = "a" if winner == p["model_a"] else "b" if winner == p["model_b"] else "tie"
        likert = a.get("likert") or {}
        rows.append(
            Row(
                response_id=r.pk,
                item_id=r.item_id,
                external_id=r.item.external_id,
                prompt_id=p["prompt_id"],
                model_a=p["model_a"],
                model_b=p["model_b"],
                left=order[0],
                right=order[1],
                rater=r.annotator.username,
                choice=choice,
                winner_model=winner,
                label=winner or choice,
                outcome=outcome,
                likert_left=likert.get("left"),
                likert_right=likert.get("right"),
                comment=a.get("comment", ""),
                gold_kind=(r.item.gold_answer or {}).get("kind") if r.item.is_gold else None,
                gold_correct=_gold_correct(r.item.gold_answer, a) if r.item.is_gold else None,
                fast=bool(r.client.get("fast")),
                active_time_ms=r.active_time_ms,
                served_at=r.served_at.isoformat(),
                submitted_at=r.submitted_at.isoformat(),
            )
        )
    return rows


def _rate(x) -> dict[str, float]:
    return {"estimate": x.estimate, "ci_low": x.ci_low, "ci_high": x.ci_high}


def _finite(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _head_to_head(rows: list[Row], model: str, opponent: str) -> dict[str, Any]:
    comparisons = [Comparison(r.model_a, r.model_b, r.outcome) for r in rows]
    clusters = [r.prompt_id for r in rows]
    wtl = head_to_head(comparisons, model, opponent, clusters, n_boot=N_BOOT, seed=0)
    both_bad = sum(r.choice == "both_bad" for r in rows if {r.model_a, r.model_b} == {model, opponent})
    return {
        "model": model,
        "opponent": opponent,
        "n": wtl.n,
        "n_prompts": wtl.n_clusters,
        "win": _rate(wtl.win),
        "tie": _rate(wtl.tie),
        "loss": _rate(wtl.loss),
        "both_bad": both_bad,
    }


def _bt(rows: list[Row], reference: str | None) -> dict[str, Any]:
    comparisons = [Comparison(r.model_a, r.model_b, r.outcome) for r in rows]
    anchor = reference if reference in {m for r in rows for m in (r.model_a, r.model_b)} else None
    for prior in (0.0, BT_PRIOR):
        try:
            board = leaderboard(comparisons, N_BOOT, seed=0, anchor=anchor, prior=prior)
        except ValueError:
            continue  # unbounded without a prior (someone never lost): retry with virtual ties
        return {"prior": prior, "anchor": anchor, "rows": [asdict(b) for b in board]}
    return {"prior": None, "anchor": anchor, "rows": []}


def _agreement(rows: list[Row]) -> dict[str, Any]:
    by_item: dict[int, dict[str, str]] = defaultdict(dict)
    for r in rows:
        by_item[r.item_id][r.rater] = r.label
    raters = sorted({r.rater for r in rows})
    cohen = []
    for x, y in combinations(raters, 2):
        shared = [v for v in by_item.values() if x in v and y in v]
        if len(shared) >= MIN_SHARED:
            kappa = cohens_kappa([v[x] for v in shared], [v[y] for v in shared])
            cohen.append({"rater_a": x, "rater_b": y, "n": len(shared), "kappa": _finite(kappa)})
    units = [list(v.values()) for v in by_item.values() if len(v) >= 2]
    fleiss = alpha = None
    if units:
        counts, _ = ratings_to_counts(units)
        fleiss = _finite(fleiss_kappa(counts))
        alpha = _finite(krippendorff_alpha(units, "nominal"))
    return {"cohen": cohen, "fleiss_kappa": fleiss, "krippendorff_alpha": alpha, "n_items": len(units)}


def _position(rows: list[Row]) -> dict[str, Any] | None:
    if not rows:
        return None
    outcomes = ["a" if r.choice == "left" else "b" if r.choice == "right" else "tie" for r in rows]
    pb = position_bias(outcomes, [r.prompt_id for r in rows], n_boot=N_BOOT, seed=0)
    return {
        "n": pb.n,
        "n_decisive": pb.n_decisive,
        "left_wins": pb.first_wins,
        "left_share": {k: _finite(v) for k, v in _rate(pb.first_win_share).items()},
        "tie_rate": pb.tie_rate,
        "p_value": _finite(pb.p_value),
    }


def _raters(rows: list[Row]) -> list[dict[str, Any]]:
    out = []
    for rater in sorted({r.rater for r in rows}):
        mine = [r for r in rows if r.rater == rater]
        gold = [r for r in mine if r.gold_kind == "gold"]
        attention = [r for r in mine if r.gold_kind == "attention"]
        times = sorted(r.active_time_ms for r in mine if r.active_time_ms is not None)
        out.append(
            {
                "rater": rater,
                "n": len(mine),
                "gold_n": len(gold),
                "gold_correct": sum(bool(r.gold_correct) for r in gold),
                "gold_accuracy": sum(bool(r.gold_correct) for r in gold) / len(gold) if gold else None,
                "attention_n": len(attention),
                "attention_correct": sum(bool(r.gold_correct) for r in attention),
                "fast": sum(r.fast for r in mine),
                "median_active_ms": times[len(times) // 2] if times else None,
            }
        )
    return out


def compute(study: Study) -> dict[str, Any]:
    rows = response_rows(study)
    rated = [r for r in rows if r.gold_kind is None]  # model statistics use real pairs only
    reference = study_config(study).get("reference")
    pairs = sorted({tuple(sorted((r.model_a, r.model_b))) for r in rated})
    pair_stats = []
    for x, y in pairs:
        # From the non-reference model's side when the reference is in the pair.
        model, opponent = (y, x) if x == reference else (x, y)
        pair_stats.append(_head_to_head(rated, model, opponent))
    models = sorted({m for r in rated for m in (r.model_a, r.model_b)})
    vs_reference = []
    if reference and reference in models:
        vs_reference = [_head_to_head(rated, m, reference) for m in models if m != reference]
    return {
        "study": study.pk,
        "n_responses": len(rows),
        "n_rated": len(rated),
        "models": models,
        "reference": reference,
        "pairs": pair_stats,
        "vs_reference": vs_reference,
        # Every rated pair includes the reference: the pair table already is the reference table.
        "all_vs_reference": bool(reference) and all(reference in pair for pair in pairs),
        "bradley_terry": _bt(rated, reference) if rated else {"prior": None, "anchor": None, "rows": []},
        "agreement": _agreement(rated),
        "position_bias": _position(rated),
        "raters": _raters(rows),
        "fast_answers": sum(r.fast for r in rows),
    }


def study_stats(study: Study) -> dict[str, Any]:
    """compute(), cached until a new response arrives (the page polls every few seconds)."""
    latest = Response.objects.filter(study=study).order_by("-id").values_list("id", flat=True).first()
    key = f"rating-stats:{study.pk}:{latest}"
    stats = cache.get(key)
    if stats is None:
        stats = compute(study)
        cache.set(key, stats, 600)
    return stats


# ----- exports


def response_dicts(study: Study) -> list[dict[str, Any]]:
    return [asdict(r) for r in response_rows(study)]


def stats_rows(stats: dict[str, Any]) -> list[dict[str, Any]]:
    """The stats as flat records (one table per `table` value), for JSONL and CSV."""
    out: list[dict[str, Any]] = []
    for table in ("pairs", "vs_reference"):
        for p in stats[table]:
            for metric in ("win", "tie", "loss"):
                out.append(
                    {"table": table, "model": p["model"], "opponent": p["opponent"], "metric": metric,
                     "n": p["n"], **p[metric]}
                )  # fmt: skip
    for b in stats["bradley_terry"]["rows"]:
        out.append(
            {"table": "bradley_terry", "model": b["model"], "metric": "rating", "n": b["n_games"],
             "estimate": b["rating"], "ci_low": b["ci_low"], "ci_high": b["ci_high"]}
        )  # fmt: skip
    ag = stats["agreement"]
    for c in ag["cohen"]:
        out.append(
            {"table": "agreement", "model": c["rater_a"], "opponent": c["rater_b"], "metric": "cohens_kappa",
             "n": c["n"], "estimate": c["kappa"]}
        )  # fmt: skip
    for metric in ("fleiss_kappa", "krippendorff_alpha"):
        out.append({"table": "agreement", "metric": metric, "n": ag["n_items"], "estimate": ag[metric]})
    pb = stats["position_bias"]
    if pb:
        out.append(
            {"table": "position_bias", "metric": "left_share", "n": pb["n_decisive"], **pb["left_share"]}
        )
        out.append(
            {"table": "position_bias", "metric": "p_value", "n": pb["n_decisive"], "estimate": pb["p_value"]}
        )
    for r in stats["raters"]:
        for metric in ("gold_accuracy", "attention_correct", "fast"):
            out.append(
                {"table": "raters", "model": r["rater"], "metric": metric, "n": r["n"], "estimate": r[metric]}
            )
    return out


STATS_COLUMNS = ["table", "model", "opponent", "metric", "n", "estimate", "ci_low", "ci_high"]


def jsonl_lines(records: list[dict[str, Any]]) -> Iterator[str]:
    for record in records:
        yield json.dumps(record, ensure_ascii=False) + "\n"


def csv_text(records: list[dict[str, Any]], columns: list[str] | None = None) -> str:
    columns = columns or (list(records[0]) if records else list(Row.__dataclass_fields__))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue()


def export(study: Study, what: str, fmt: str) -> tuple[str, str]:
    """(body, content type) for what in {"responses", "stats"} and fmt in {"jsonl", "csv"}."""
    if what == "responses":
        records, columns = response_dicts(study), list(Row.__dataclass_fields__)
    else:
        records, columns = stats_rows(study_stats(study)), STATS_COLUMNS
    if fmt == "csv":
        return csv_text(records, columns), "text/csv"
    return "".join(jsonl_lines(records)), "application/x-ndjson"
