"""Run the describe pipeline over a D3-style benchmark and judge its descriptions.

    python -m ml.describe.bench --tasks ml/describe/data/assay_d3.json \\
        [--proposer discriminative|lm] [--verifier embedding|lm|trained] [--limit N] [--seed 0] \\
        [--json] [--no-rerank] [--trained-verifier PATH] [--max-samples N] [--n-hypotheses 20] \\
        [--only 0,5,form_question] [--proposals-cache FILE] [--encoder DIR] [--lm DIR] [--device cpu]

A task file is a JSON list of tasks, each with `positive_samples` (D1), `negative_samples` (D0) and
`human_annotations` (predicates completing "each sentence from Group A ..."), the format of the D3
benchmark; ml.describe.benchmark writes Assay's own. For each task the pipeline
(ml.describe.pipeline.describe_in_detail, which `describe` wraps) proposes, verifies and ranks
hypotheses, and the judge (ml.describe.judge) decides whether the top-1, and any of the top 5,
match a human annotation; the top 5 in proposal order (before re-ranking) are judged too, so the
gain from re-ranking is measured in the same run. A task that raises is recorded in `failures` and
the run goes on.

--max-samples subsamples each group (seeded) before the pipeline, which bounds the LM verifier's
cost (it asks the LM about every hypothesis and held-out sample). --only picks tasks by index or
name, for a subset spread over kinds. --proposals-cache keeps proposals in a file, so runs that
differ only in the verifier propose once (their seconds then leave out proposing; see
stage_seconds_per_task of the run that filled the cache).

Output: a line per task (unless --json), then, always as the last line, one JSON object:
n, top1, top5, top5_proposal_order, top1_proposal_order (shares of the n tasks solved; a failed
task counts as not solved), mean_validity_top1, seconds_per_task (wall clock),
cpu_seconds_per_task, stage_seconds_per_task, failures, tasks (per task: its index, name and kind,
the verdicts, and its top-5 hypotheses with validity, proposal_rank, similarity and match, in
ranked and in proposal order, so anyone can re-judge), by_kind, config and timings.
Bad arguments print a message on stderr and exit with status 2.

--verifier trained without --trained-verifier trains the TrainedVerifier by 2-fold
cross-validation over tasks, so no task is judged by a verifier that saw its annotations:

- tasks are grouped by the property they are about (the task's `property`, else its set of
  annotations), so that, say, "sports vs cooking", "sports vs the rest" and "sports at 60% vs 30%"
  share a group; groups are dealt (seeded) to two folds, each group to the fold with fewer tasks;
- the verifier that judges fold k is fitted on judgements built from the tasks of the other fold
  (all of the file's tasks, whatever --limit): each annotation of a task against each of its
  samples, labelled by whether the task's property holds for the sample (`positive_truth`,
  `negative_truth`; without them, D1 counts as yes and D0 as no), plus, for each sample,
  NEGATIVES_PER_SAMPLE annotations of other training tasks about other properties, labelled
  from the sample's `*_tags` when the file has them (Assay's benchmark does) and 0 otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ml.describe.encoder import DEFAULT_ENCODER
from ml.describe.proposers import DEFAULT_LM, PROPOSERS
from ml.describe.verifiers import VERIFIERS

REQUIRED_KEYS = ("positive_samples", "negative_samples", "human_annotations")
TOP = 5
FOLDS = 2
NEGATIVES_PER_SAMPLE = 2
VERDICTS = ("top1", "top5", "top5_proposal_order", "top1_proposal_order")


class UsageError(Exception):
    """A bad argument or task file: reported on stderr with exit status 2."""


# --- task files -----------------------------------------------------------------------------------


def load_tasks(path: str | Path) -> list[dict[str, Any]]:
    """The tasks of a D3-style JSON file, checked; UsageError says what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"no task file at {path}")
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UsageError(f"{path} is not valid JSON ({error})") from None
    if not isinstance(tasks, list) or not tasks:
        raise UsageError(f"{path} must hold a non-empty JSON list of tasks")
    for index, task in enumerate(tasks):
        where = f"{path}, task {index}"
        if not isinstance(task, dict):
            raise UsageError(f"{where} is a {type(task).__name__}, not an object")
        missing = [k for k in REQUIRED_KEYS if k not in task]
        if missing:
            raise UsageError(f"{where} lacks {', '.join(missing)} (a task needs {', '.join(REQUIRED_KEYS)})")
        for key in REQUIRED_KEYS:
            value = task[key]
            if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
                raise UsageError(f"{where}: {key} must be a non-empty list of strings")
    return tasks


def task_name(task: dict[str, Any], index: int) -> str:
    return str(task.get("name") or f"task_{index}")


# --- judging --------------------------------------------------------------------------------------


def _judged(rows: Sequence[Any], annotations: Sequence[str], judge: Any) -> list[dict[str, Any]]:
    similarity = judge.similarities([r.hypothesis for r in rows], annotations)
    return [
        {
            "hypothesis": r.hypothesis,
            "validity": round(r.validity, 4),
            "p_value": round(r.p_value, 6),
            "proposal_rank": r.proposal_rank,
            "similarity": round(float(s), 4),
            "match": bool(s >= judge.threshold),
        }
        for r, s in zip(rows, similarity, strict=True)
    ]


def judge_task(rows: Sequence[Any], annotations: Sequence[str], judge: Any) -> dict[str, Any]:
    """Verdicts on ranked rows: top-1, any of the top 5, any of the first 5 in proposal order."""
    ranked = _judged(rows[:TOP], annotations, judge)
    in_order = _judged(sorted(rows, key=lambda r: r.proposal_rank)[:TOP], annotations, judge)
    return {
        "top1": bool(ranked and ranked[0]["match"]),
        "top5": any(h["match"] for h in ranked),
        "top1_proposal_order": bool(in_order and in_order[0]["match"]),
        "top5_proposal_order": any(h["match"] for h in in_order),
        "validity_top1": ranked[0]["validity"] if ranked else None,
        "n_hypotheses": len(rows),
        "hypotheses": ranked,
        "proposal_order": in_order,
    }


# --- the trained verifier, cross-validated over tasks ---------------------------------------------


def task_group(task: dict[str, Any]) -> str:
    """Tasks about the same property share a group (and so a fold)."""
    if task.get("property"):
        return f"property:{task['property']}"
    return "annotations:" + "|".join(sorted(a.strip().lower() for a in task["human_annotations"]))


def assign_folds(tasks: Sequence[dict[str, Any]], seed: int, folds: int = FOLDS) -> list[int]:
    """A fold for each task: groups in a seeded order, each to the fold with fewest tasks so far."""
    groups: dict[str, list[int]] = {}
    for index, task in enumerate(tasks):
        groups.setdefault(task_group(task), []).append(index)
    order = sorted(groups)
    random.Random(seed).shuffle(order)
    sizes = [0] * folds
    fold_of = [0] * len(tasks)
    for group in order:
        target = min(range(folds), key=lambda f: (sizes[f], f))
        for index in groups[group]:
            fold_of[index] = target
        sizes[target] += len(groups[group])
    return fold_of


def _samples(task: dict[str, Any]) -> list[tuple[str, bool, set[str] | None]]:
    """(text, whether the task's property holds, its tags or None) for every sample."""
    out = []
    for side, default in (("positive", True), ("negative", False)):
        texts = task[f"{side}_samples"]
        truth = task.get(f"{side}_truth") or [default] * len(texts)
        tag_lists = task.get(f"{side}_tags")
        for i, text in enumerate(texts):
            tags = set(tag_lists[i]) if tag_lists else None
            out.append((text, bool(truth[i]), tags))
    return out


def training_judgments(
    tasks: Sequence[dict[str, Any]], seed: int, negatives_per_sample: int = NEGATIVES_PER_SAMPLE
) -> list[tuple[str, str, int]]:
    """(annotation, sample, label) judgements from `tasks` alone; see the module docstring."""
    rng = random.Random(seed)
    annotated = [
        (a, task.get("property"), task_group(task)) for task in tasks for a in task["human_annotations"]
    ]
    judgments = []
    for task in tasks:
        group = task_group(task)
        others = [(a, prop) for a, prop, g in annotated if g != group]
        for text, holds, tags in _samples(task):
            judgments += [(a, text, int(holds)) for a in task["human_annotations"]]
            for a, prop in rng.sample(others, min(negatives_per_sample, len(others))):
                label = int(prop in tags) if tags is not None and prop else 0
                judgments.append((a, text, label))
    return judgments


# --- proposals cache -----------------------------------------------------------------------------


class CachedProposer:
    """A proposer whose answers are kept in a JSON file, keyed by everything they depend on (the
    proposer, its model, the samples in order, n and the seed), so runs that differ only in the
    verifier propose once. A cached answer is what the proposer returned, not a re-sampling."""

    def __init__(self, proposer: Any, path: str | Path, model: str):
        self.proposer = proposer
        self.name = proposer.name
        self.path = Path(path)
        self.model = model
        self.hits = 0
        self.entries: dict[str, list[str]] = {}
        if self.path.is_file():
            self.entries = json.loads(self.path.read_text(encoding="utf-8"))

    def propose(self, positive: Sequence[str], negative: Sequence[str], n: int, seed: int) -> list[str]:
        key = json.dumps([self.name, self.model, list(positive), list(negative), n, seed])
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        if digest in self.entries:
            self.hits += 1
            return list(self.entries[digest])
        found = self.proposer.propose(positive, negative, n, seed)
        self.entries[digest] = list(found)
        if self.path.is_file():  # keep what runs beside this one wrote meanwhile
            self.entries = {**json.loads(self.path.read_text(encoding="utf-8")), **self.entries}
        partial = self.path.with_name(f"{self.path.name}.{os.getpid()}.partial")
        partial.write_text(json.dumps(self.entries), encoding="utf-8")
        os.replace(partial, self.path)  # never a half-written cache
        return found


def select_tasks(tasks: Sequence[dict[str, Any]], only: str | None, limit: int) -> list[int]:
    """Indices of the tasks to run: those named in `only` (comma-separated indices or names, in
    file order), else all; then the first `limit` of them (0: no limit)."""
    chosen = list(range(len(tasks)))
    if only:
        names = {task_name(t, i): i for i, t in enumerate(tasks)}
        wanted = set()
        for item in (x.strip() for x in only.split(",") if x.strip()):
            if item.isdigit() and int(item) < len(tasks):
                wanted.add(int(item))
            elif item in names:
                wanted.add(names[item])
            else:
                raise UsageError(f"--only: no task {item!r} in the file ({len(tasks)} tasks)")
        chosen = sorted(wanted)
    return chosen[: limit or None]


# --- running --------------------------------------------------------------------------------------


def _subsample(texts: list[str], limit: int, rng: random.Random) -> list[str]:
    if limit <= 0 or len(texts) <= limit:
        return texts
    keep = sorted(rng.sample(range(len(texts)), limit))
    return [texts[i] for i in keep]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m ml.describe.bench",
        description="Run the describe pipeline over a D3-style benchmark and judge the descriptions.",
    )
    parser.add_argument("--tasks", required=True, help="JSON list of tasks (D3 benchmark format)")
    parser.add_argument("--proposer", default="discriminative", choices=sorted(PROPOSERS))
    parser.add_argument("--verifier", default="embedding", choices=sorted(VERIFIERS))
    parser.add_argument("--limit", type=int, default=0, help="only the first N tasks (0: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print only the final JSON line")
    parser.add_argument("--no-rerank", action="store_true", help="keep the proposer's order")
    parser.add_argument("--trained-verifier", help="a file saved by TrainedVerifier.save (no CV)")
    parser.add_argument("--n-hypotheses", type=int, default=20, help="hypotheses proposed per task")
    parser.add_argument(
        "--max-samples", type=int, default=0, help="at most N samples per group, seeded (0: all)"
    )
    parser.add_argument("--only", help="comma-separated task indices or names to run (before --limit)")
    parser.add_argument("--proposals-cache", help="JSON file of proposals kept across runs")
    parser.add_argument("--encoder", default=DEFAULT_ENCODER, help="sentence encoder directory")
    parser.add_argument("--lm", default=DEFAULT_LM, help="causal LM directory")
    parser.add_argument("--device", default=None, help="cpu, cuda, ... (default: the best available)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        raise UsageError("") if exit_.code else exit_ from None  # argparse printed its message
    if args.limit < 0 or args.max_samples < 0 or args.n_hypotheses < 1:
        raise UsageError("--limit and --max-samples must be >= 0 and --n-hypotheses >= 1")
    if args.max_samples and args.max_samples < 4:
        raise UsageError("--max-samples must be at least 4 (two to propose from, two held out)")
    if args.trained_verifier and args.verifier != "trained":
        raise UsageError("--trained-verifier goes with --verifier trained")
    if args.trained_verifier and not Path(args.trained_verifier).is_file():
        raise UsageError(f"no trained verifier file at {args.trained_verifier}")
    return args


def check_models(args: argparse.Namespace) -> None:
    """The local models the run needs are there."""
    if not (Path(args.encoder) / "config.json").is_file():
        raise UsageError(f"no sentence encoder (a directory with config.json) at {args.encoder}")
    if "lm" in (args.proposer, args.verifier) and not (Path(args.lm) / "config.json").is_file():
        raise UsageError(f"no causal LM (a directory with config.json) at {args.lm}")


def run(args: argparse.Namespace, out: Any = None) -> dict[str, Any]:
    """Run the benchmark as `args` say, printing per-task lines unless args.json; the summary."""
    from ml.describe.judge import Judge
    from ml.describe.pipeline import describe_in_detail
    from ml.describe.proposers import make_proposer
    from ml.describe.verifiers import TrainedVerifier, make_verifier

    out = out or sys.stdout
    all_tasks = load_tasks(args.tasks)
    check_models(args)
    chosen = select_tasks(all_tasks, args.only, args.limit)
    started = time.perf_counter()
    paths = {"encoder": args.encoder, "lm": args.lm, "device": args.device}
    proposer = make_proposer(args.proposer, **paths)
    if args.proposals_cache:
        model = str(Path(args.lm if args.proposer == "lm" else args.encoder).resolve())
        proposer = CachedProposer(proposer, args.proposals_cache, model)
    cross_validated = args.verifier == "trained" and not args.trained_verifier
    verifier = None
    if not cross_validated:
        verifier = make_verifier(args.verifier, trained=args.trained_verifier, **paths)
    judge = Judge(args.encoder, device=args.device)
    loading = time.perf_counter() - started

    fold_of = assign_folds(all_tasks, args.seed) if cross_validated else []
    fold_verifiers: dict[int, Any] = {}
    training: dict[str, Any] = {"seconds": 0.0, "judgments": {}}

    def verifier_for(index: int) -> Any:
        if not cross_validated:
            return verifier
        fold = fold_of[index]
        if fold not in fold_verifiers:
            clock = time.perf_counter()
            train_tasks = [t for i, t in enumerate(all_tasks) if fold_of[i] != fold]
            if not train_tasks:
                raise ValueError("cross-validation needs tasks about at least two properties")
            judgments = training_judgments(train_tasks, args.seed)
            fold_verifiers[fold] = TrainedVerifier(args.encoder, device=args.device).fit(judgments)
            training["judgments"][str(fold)] = len(judgments)
            training["seconds"] += time.perf_counter() - clock
        return fold_verifiers[fold]

    results, failures, times, cpu_times = [], [], [], []
    for index in chosen:
        task = all_tasks[index]
        name = task_name(task, index)
        clock, cpu_clock = time.perf_counter(), time.process_time()
        rng = random.Random(args.seed * 7919 + index)
        try:
            task_verifier = verifier_for(index)
            positive = _subsample(list(task["positive_samples"]), args.max_samples, rng)
            negative = _subsample(list(task["negative_samples"]), args.max_samples, rng)
            detail = describe_in_detail(
                positive,
                negative,
                proposer,
                task_verifier,
                n_hypotheses=args.n_hypotheses,
                top_k=TOP,
                seed=args.seed,
                rerank=not args.no_rerank,
            )
            verdict = judge_task(detail.rows, task["human_annotations"], judge)
        except Exception as error:  # a failing task is recorded, never fatal
            seconds = time.perf_counter() - clock
            times.append(seconds)
            cpu_times.append(time.process_time() - cpu_clock)
            failures.append({"index": index, "name": name, "error": f"{type(error).__name__}: {error}"})
            if not args.json:
                print(
                    f"{index:3d} {name:40.40s} FAILED {type(error).__name__}: {error}", file=out, flush=True
                )
            continue
        seconds = time.perf_counter() - clock
        times.append(seconds)
        cpu_times.append(time.process_time() - cpu_clock)
        entry = {
            "index": index,
            "name": name,
            "kind": task.get("kind"),
            "seconds": round(seconds, 2),
            "cpu_seconds": round(cpu_times[-1], 2),
            "stage_seconds": detail.seconds,
        }
        if cross_validated:
            entry["fold"] = fold_of[index]
        results.append({**entry, **verdict})
        if not args.json:
            best = verdict["hypotheses"][0]["hypothesis"] if verdict["hypotheses"] else "(none)"
            marks = " ".join(
                f"{k}={'Y' if verdict[k] else '-'}" for k in ("top1", "top5", "top5_proposal_order")
            )
            print(f"{index:3d} {name:40.40s} {marks} {seconds:6.1f}s  {best}", file=out, flush=True)

    summary = summarise(chosen, results, failures, times)
    summary["cpu_seconds_per_task"] = round(sum(cpu_times) / len(cpu_times), 2) if cpu_times else 0.0
    stages = [r["stage_seconds"] for r in results]
    summary["stage_seconds_per_task"] = {
        k: round(sum(s[k] for s in stages) / len(stages), 3) for k in (stages[0] if stages else {})
    }
    kinds = {all_tasks[i].get("kind") for i in chosen}
    if kinds != {None}:
        summary["by_kind"] = by_kind([all_tasks[i] for i in chosen], chosen, results)
    summary["config"] = {
        "tasks_file": str(args.tasks),
        "proposer": args.proposer,
        "verifier": args.verifier,
        "trained_verifier": args.trained_verifier
        or ("2-fold cross-validation over tasks" if cross_validated else None),
        "rerank": not args.no_rerank,
        "seed": args.seed,
        "limit": args.limit,
        "max_samples": args.max_samples,
        "n_hypotheses": args.n_hypotheses,
        "only": args.only,
        "proposals_cache": args.proposals_cache,
        "judge_threshold": judge.threshold,
        "judge_template": judge.template,
    }
    summary["seconds_loading"] = round(loading, 2)
    if isinstance(proposer, CachedProposer):
        summary["proposals_from_cache"] = proposer.hits
    if cross_validated:
        summary["training"] = {"seconds": round(training["seconds"], 2), "judgments": training["judgments"]}
    summary["seconds_total"] = round(time.perf_counter() - started, 2)
    return summary


def summarise(
    chosen: Sequence[int], results: list[dict[str, Any]], failures: list[dict[str, Any]], times: list[float]
) -> dict[str, Any]:
    n = len(chosen)

    def share(key: str) -> float:
        return round(sum(r[key] for r in results) / n, 4) if n else 0.0

    validities = [r["validity_top1"] for r in results if r["validity_top1"] is not None]
    return {
        "n": n,
        "top1": share("top1"),
        "top5": share("top5"),
        "top5_proposal_order": share("top5_proposal_order"),
        "top1_proposal_order": share("top1_proposal_order"),
        "mean_validity_top1": round(sum(validities) / len(validities), 4) if validities else None,
        "seconds_per_task": round(sum(times) / len(times), 2) if times else 0.0,
        "failures": failures,
        "tasks": results,
    }


def by_kind(tasks: Sequence[dict[str, Any]], chosen: Sequence[int], results: list[dict[str, Any]]) -> dict:
    done = {r["index"]: r for r in results}
    table: dict[str, dict[str, float]] = {}
    for task, index in zip(tasks, chosen, strict=True):
        row = table.setdefault(str(task.get("kind")), {"n": 0, **dict.fromkeys(VERDICTS, 0)})
        row["n"] += 1
        for key in VERDICTS:
            row[key] += bool(done.get(index, {}).get(key))
    return table


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = parse_args(argv)
        summary = run(args)  # checks the task file before loading any model
    except UsageError as error:
        if str(error):
            print(f"python -m ml.describe.bench: error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
