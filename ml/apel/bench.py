"""Benchmark the APEL loop on Spider-format data with a simulated annotator.

    python -m ml.apel.bench --spider DIR [--limit N] [--eps 0.1] [--prior-top1 0.6]
                            [--candidates 8] [--parser MODEL_DIR] [--seed 0] [--json]

DIR holds dev.json, tables.json and database/<db_id>/<db_id>.sqlite. Without --parser the
candidates are the gold query plus AST neighbours (merged by outputs, so no two are equivalent),
under a simulated seed-parser prior: the gold is ranked first with probability --prior-top1,
otherwise a random neighbour is. The prior is calibrated: the first choice gets --prior-top1 of
the mass and the others share the rest, halving per rank. With --parser they are sampled
from that local LM (weights = sample counts). The simulated annotator errs at rate --eps.

A label is correct when it gives the gold query's outputs on the original database and on every
database shown. The last line printed is one JSON object of summary figures.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ml.apel.candidates import Candidate, CandidateSet, fuzz_suite, output_signatures, prepare_candidates
from ml.apel.errors import ApelError
from ml.apel.execute import Database, read_database
from ml.apel.neighbours import neighbours
from ml.apel.schema import Schema, load_spider_tables, schema_from_sqlite
from ml.apel.session import ApelSession
from ml.apel.simulate import SimulatedAnnotator

RANK_DECAY = 0.5  # simulated parser: each rank down gets half the weight of the one above
MODEL_EPS_FLOOR = 0.02  # the session never assumes a perfect annotator


@dataclass
class Settings:
    eps: float = 0.1
    prior_top1: float = 0.6
    candidates: int = 8
    parser: str | None = None
    seed: int = 0
    tau: float = 0.9
    delta: float = 0.05
    max_rounds: int = 5
    row_budget: int = 16
    mode: str = "list"


@dataclass
class ItemResult:
    covered: bool
    prior_correct: bool
    correct: bool
    confidence: float
    rounds: int
    rows: list[int] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    stop_reason: str = ""


def _agree(schema: Schema, a: str, b: str, dbs: list[Database], mode: str) -> bool:
    """Same canonical outputs on every database (the first is the original)."""
    sig_a, sig_b = output_signatures(schema, [a, b], dbs, mode, first_is_original=True)
    return sig_a == sig_b


def _simulated_prior(
    gold: str, schema: Schema, original: Database, settings: Settings, rng: random.Random, seed: int
) -> tuple[CandidateSet, bool]:
    """Gold plus neighbour classes, ranked by a simulated parser. Returns (set, gold included)."""
    pool = [(gold, 1.0)] + [(n, 1.0) for n in neighbours(gold, schema, seed=seed)]
    prepared = prepare_candidates(pool, schema, original_db=original, mode=settings.mode, seed=seed)
    gold_class = next((c for c in prepared.candidates if gold == c.sql or gold in c.aliases), None)
    others = [c for c in prepared.candidates if c is not gold_class]
    rng.shuffle(others)
    if gold_class is None:
        chosen = others[: settings.candidates]
    else:
        chosen = others[: settings.candidates - 1]
        position = 0 if rng.random() < settings.prior_top1 or not chosen else rng.randint(1, len(chosen))
        chosen.insert(position, gold_class)
    weights = rank_weights(len(chosen), settings.prior_top1)
    ranked = [Candidate(c.sql, w, c.origin, list(c.aliases)) for w, c in zip(weights, chosen, strict=True)]
    return CandidateSet(ranked, prepared.rejected), gold_class is not None


def rank_weights(n: int, top1: float) -> list[float]:
    """A calibrated simulated parser: its first choice gets probability `top1` (how often it is
    right), and the rest is shared by the others, halving with each rank."""
    if n == 1:
        return [1.0]
    top = min(max(top1, 1 / n), 0.99)
    tail = [RANK_DECAY**r for r in range(n - 1)]
    return [top] + [(1 - top) * t / sum(tail) for t in tail]


def lm_prior(
    gold: str, question: str, schema: Schema, original: Database, settings: Settings, seed: int
) -> tuple[CandidateSet, bool]:
    from ml.apel.lm_candidates import sample_candidates

    pairs = sample_candidates(settings.parser, schema, question, n=2 * settings.candidates, seed=seed)
    prepared = prepare_candidates(pairs, schema, original_db=original, mode=settings.mode, seed=seed)
    kept = prepared.candidates[: settings.candidates]
    # Covered: some candidate gives the gold's outputs on the original and a fuzzed test suite.
    suite = fuzz_suite(schema, [gold] + [c.sql for c in kept], original, 8, seed)
    sigs = output_signatures(
        schema, [gold] + [c.sql for c in kept], suite, settings.mode, first_is_original=True
    )
    covered = any(sig == sigs[0] for sig in sigs[1:])
    return CandidateSet(kept, prepared.rejected), covered


def run_item(
    example: dict[str, Any], schema: Schema, db_path: Path, settings: Settings, index: int
) -> ItemResult:
    gold = example["query"]
    seed = settings.seed * 100_003 + index
    rng = random.Random(f"bench:{seed}")
    original = read_database(str(db_path), schema)
    if settings.parser:
        cset, covered = lm_prior(gold, example.get("question", ""), schema, original, settings, seed)
    else:
        cset, covered = _simulated_prior(gold, schema, original, settings, rng, seed)
    if not cset.candidates:
        raise ApelError("no usable candidate")
    session = ApelSession.start(
        schema, cset, eps=max(settings.eps, MODEL_EPS_FLOOR), tau=settings.tau, delta=settings.delta,
        max_rounds=settings.max_rounds, row_budget=settings.row_budget, seed=seed, original_db=original,
        mode=settings.mode,
    )  # fmt: skip
    annotator = SimulatedAnnotator(gold, schema, settings.eps, seed=seed, mode=settings.mode)
    result = ItemResult(covered, False, False, 0.0, 0)
    while not session.done:
        start = time.perf_counter()
        question = session.next_question()
        result.latencies_ms.append(1000 * (time.perf_counter() - start))
        if question is None:
            break
        session.answer(annotator.answer(question))
        result.rows.append(question.rows_shown)
    dbs = [original] + [e["database"] for e in session.evidence]
    result.rounds = len(session.evidence)
    result.correct = _agree(schema, session.label, gold, dbs, settings.mode)
    result.prior_correct = _agree(schema, session.candidates[0].sql, gold, dbs, settings.mode)
    result.confidence = session.confidence
    result.stop_reason = session.stop_reason or ""
    return result


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def expected_calibration_error(confidences: list[float], correct: list[bool], bins: int = 10) -> float:
    """Sum over equal-width bins of |accuracy - mean confidence|, weighted by the bin's share."""
    if not confidences:
        return 0.0
    total = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        idx = [i for i, c in enumerate(confidences) if lo <= c < hi or (b == bins - 1 and c == 1.0)]
        if idx:
            acc = sum(correct[i] for i in idx) / len(idx)
            conf = sum(confidences[i] for i in idx) / len(idx)
            total += len(idx) / len(confidences) * abs(acc - conf)
    return total


def summarize(results: list[ItemResult], failures: dict[str, int]) -> dict[str, Any]:
    n = len(results)
    rows = [r for res in results for r in res.rows]
    lat = [t for res in results for t in res.latencies_ms]

    def mean(xs: list[float]) -> float:
        return sum(xs) / len(xs) if xs else 0.0

    return {
        "n": n,
        "coverage": round(mean([r.covered for r in results]), 4),
        "prior_top1_acc": round(mean([r.prior_correct for r in results]), 4),
        "posterior_top1_acc": round(mean([r.correct for r in results]), 4),
        "mean_rounds": round(mean([r.rounds for r in results]), 3),
        "mean_rows_shown": round(mean(rows), 2),
        "p90_rows_shown": round(_percentile(rows, 0.9), 2),
        "latency_ms_p50": round(_percentile(lat, 0.5), 1),
        "latency_ms_p95": round(_percentile(lat, 0.95), 1),
        "ece": round(
            expected_calibration_error([r.confidence for r in results], [r.correct for r in results]), 4
        ),
        "failures": dict(sorted(failures.items())),
    }


def run_benchmark(spider_dir: str | Path, *, limit: int | None = None, settings: Settings | None = None,
                  log: Any = None, progress: Any = None) -> dict[str, Any]:  # fmt: skip
    """Run the loop on every example (or the first `limit`) and return the summary figures."""
    settings = settings or Settings()
    root = Path(spider_dir)
    examples = json.loads((root / "dev.json").read_text())
    if limit is not None:
        examples = examples[:limit]
    spider_schemas = load_spider_tables(root / "tables.json")
    schemas: dict[str, Schema] = {}
    results: list[ItemResult] = []
    failures: dict[str, int] = {}
    for i, ex in enumerate(examples):
        db_id = ex["db_id"]
        path = root / "database" / db_id / f"{db_id}.sqlite"
        try:
            if db_id not in schemas:
                schemas[db_id] = schema_from_sqlite(path) if path.is_file() else spider_schemas[db_id]
            res = run_item(ex, schemas[db_id], path, settings, i)
        except (ApelError, KeyError) as e:
            reason = type(e).__name__ + ": " + str(e).split(":")[0][:60]
            failures[reason] = failures.get(reason, 0) + 1
            continue
        results.append(res)
        if progress is not None:  # progress(done, total), e.g. an experiment's report callback
            progress(i + 1, len(examples))
        if log is not None:
            mark = "ok " if res.correct else "BAD"
            print(f"[{i + 1}/{len(examples)}] {mark} rounds={res.rounds} rows={res.rows} "
                  f"conf={res.confidence:.2f} {res.stop_reason} {db_id}: {ex['query'][:70]}", file=log)  # fmt: skip
    return summarize(results, failures)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(prog="python -m ml.apel.bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--spider", required=True, help="directory with dev.json, tables.json, database/")
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--eps", type=float, default=0.1, help="simulated annotator error rate")
    p.add_argument(
        "--prior-top1", type=float, default=0.6, help="chance the simulated parser ranks gold first"
    )
    p.add_argument("--candidates", type=int, default=8)
    p.add_argument("--parser", default=None, help="local causal LM directory to sample candidates from")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tau", type=float, default=Settings.tau)
    p.add_argument("--delta", type=float, default=Settings.delta)
    p.add_argument("--max-rounds", type=int, default=Settings.max_rounds)
    p.add_argument("--row-budget", type=int, default=Settings.row_budget)
    p.add_argument("--json", action="store_true", help="print only the JSON summary")
    args = p.parse_args(argv)
    settings = Settings(
        eps=args.eps, prior_top1=args.prior_top1, candidates=args.candidates, parser=args.parser,
        seed=args.seed, tau=args.tau, delta=args.delta, max_rounds=args.max_rounds, row_budget=args.row_budget,
    )  # fmt: skip
    summary = run_benchmark(
        args.spider, limit=args.limit, settings=settings, log=None if args.json else sys.stderr
    )
    if not args.json:
        for k, v in summary.items():
            print(f"{k:>20}: {v}")
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
