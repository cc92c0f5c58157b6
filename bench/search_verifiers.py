"""Benchmark: how good search.sweep's verifiers are at picking right answers, by where they start.

    python bench/search_verifiers.py [--inits policy,scratch] [--test 200] [--pool 64] [--seed 0]

Trains the policy exactly as search.train does (catalog defaults; cached under --cache so reruns skip
it), labels its samples on the labelling problems once, by Monte Carlo rollouts and exactly by the step
checker (--labels narrows that: oracle alone skips the rollouts), then trains from each --inits start
a PRM and an ORM on the Monte Carlo labels and a PRM on the exact ones (unless --set oracle_prm=false).
On --test test problems it samples a pool of --pool solutions and prints, per verifier, best-of-N and
weighted best-of-N accuracy at N = 1, 4, 16 and the pool (random subsamples, as the sweep measures
them) beside majority voting, the verifier's AUROC of right against wrong solutions over all pools and
within each pool (the one best-of-N needs; averaged over the pools holding both), how often its
favourite of each pool is right and well formed (one line per step, then the answer), and its training
seconds; --show K prints each verifier's favourite of the first K pools. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere without installing

from ml import experiments  # noqa: E402
from ml.search import pipeline  # noqa: E402
from ml.search.budget import Pool, pool_accuracy  # noqa: E402
from ml.search.policy import sample_solutions  # noqa: E402
from ml.search.select import AGGREGATIONS, aggregate  # noqa: E402
from ml.search.verifiers import score_steps, split_steps  # noqa: E402


def auroc(scores: list[float], right: list[bool]) -> float | None:
    """P(a right solution outscores a wrong one), ties counting half."""
    pos = np.array([s for s, r in zip(scores, right, strict=True) if r])
    neg = np.array([s for s, r in zip(scores, right, strict=True) if not r])
    if not len(pos) or not len(neg):
        return None
    greater = (pos[:, None] > neg[None, :]).mean()
    ties = (pos[:, None] == neg[None, :]).mean()
    return float(greater + ties / 2)


def within_problem_auroc(scores: list[float], right: list[bool], pool: int) -> float | None:
    """The mean over problems with both right and wrong samples of their AUROC: what best-of-N needs,
    since it only ever compares solutions to the same problem (a verifier that only learns difficulty
    scores well on plain AUROC and no better than chance here)."""
    values = [auroc(scores[i : i + pool], right[i : i + pool]) for i in range(0, len(scores), pool)]
    values = [v for v in values if v is not None]
    return round(float(np.mean(values)), 3) if values else None


def cached_policy(params: dict, domain, train_set, seed: int, cache: Path):
    from ml.lm.loading import load_model

    folder = cache / f"policy_seed{seed}_embd{params['n_embd']}_steps{params['policy_steps']}"
    if (folder / "config.json").is_file():
        return load_model(folder)
    policy, tokenizer = pipeline.policy_of_width(params, domain, train_set, seed, params["n_embd"])
    policy.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return policy, tokenizer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inits", default="policy,scratch")
    parser.add_argument("--test", type=int, default=200)
    parser.add_argument("--pool", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=Path("var/bench/search"))
    parser.add_argument(
        "--labels",
        default="mc,oracle",
        help="labellings to make: mc (rollouts; the PRM and ORM) and oracle (exact; the exact-label PRM)",
    )
    parser.add_argument(
        "--show", type=int, default=0, help="print each verifier's favourite of this many pools"
    )
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="a search.train param"
    )
    args = parser.parse_args()
    kinds = args.labels.split(",")
    if not set(kinds) <= {"mc", "oracle"}:  # refused before the policy trains, not minutes into it
        parser.error(f"--labels takes mc, oracle or both, comma-separated; got {args.labels!r}")
    torch.set_num_threads(args.threads)
    raw = dict(item.split("=", 1) for item in args.set)
    params = experiments.get("search.train").validate({**raw, "test_problems": args.test})
    domain, sets = pipeline.problems(params, args.seed)

    started = time.perf_counter()
    policy, tokenizer = cached_policy(params, domain, sets["policy"], args.seed, args.cache)
    print(f"policy ready in {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    labelled = pipeline.label_solutions(params, policy, tokenizer, domain, sets["prm"], args.seed, kinds)
    data = labelled[kinds[0]][0]
    label_seconds = time.perf_counter() - started
    print(f"{len(data)} labelled solutions in {label_seconds:.0f} s", flush=True)

    prompts = [domain.prompt(p) for p in sets["test"]]
    samples = sample_solutions(policy, tokenizer, prompts, n=args.pool, seed=args.seed)
    rows = [
        (prompt, split_steps(text)) for prompt, per in zip(prompts, samples, strict=True) for text, _ in per
    ]
    answers = [[domain.answer(text) for text, _ in per] for per in samples]
    right = [a == p.answer for p, per in zip(sets["test"], answers, strict=True) for a in per]
    # a well-formed solution has one line per step and then the answer line
    well_formed = [
        len(split_steps(text)) == p.n_steps + 1 and domain.answer(text) is not None
        for p, per in zip(sets["test"], samples, strict=True)
        for text, _ in per
    ]
    budgets = sorted({n for n in (1, 4, 16) if n < args.pool} | {args.pool})
    majority = pool_accuracy(
        [Pool(a, [0.0] * len(a), p.answer) for p, a in zip(sets["test"], answers, strict=True)],
        "majority", budgets, seed=args.seed,
    )  # fmt: skip
    report = {
        "seed": args.seed,
        "test_problems": args.test,
        "pool": args.pool,
        "labelled_solutions": len(data),
        "label_seconds": round(label_seconds, 1),
        "pass_at_1": round(float(np.mean(right)), 3),
        "well_formed": round(float(np.mean(well_formed)), 3),
        "majority": {n: round(float(majority[n].mean()), 3) for n in budgets},
        "verifiers": {},
    }
    print(f"pass@1 {report['pass_at_1']}  majority {report['majority']}", flush=True)
    for init in args.inits.split(","):
        started = time.perf_counter()
        verifiers, best = pipeline.train_verifiers(
            {**params, "verifier_init": init}, policy, tokenizer, labelled, args.seed
        )
        seconds = time.perf_counter() - started
        for name, scorer in verifiers.items():
            step_scores = score_steps(scorer, tokenizer, rows)
            scores = [aggregate(s, "last") for s in step_scores]
            pools = [
                Pool(a, scores[i * args.pool : (i + 1) * args.pool], p.answer)
                for i, (p, a) in enumerate(zip(sets["test"], answers, strict=True))
            ]
            top = [
                max(range(args.pool), key=lambda j, i=i: scores[i * args.pool + j]) for i in range(args.test)
            ]
            row = {
                "best_step": best[name],
                # the verifier's favourite of each pool: right, and of the right shape (a line per step)?
                "top_pick_right": round(
                    float(np.mean([right[i * args.pool + j] for i, j in enumerate(top)])), 3
                ),
                "top_pick_well_formed": round(
                    float(np.mean([well_formed[i * args.pool + j] for i, j in enumerate(top)])), 3
                ),
                "auroc": auroc(scores, right),
                # by step aggregation: min and product read a slip at its own step, last must see it
                # carried through to the answer
                "within_problem_auroc": {
                    how: within_problem_auroc([aggregate(s, how) for s in step_scores], right, args.pool)
                    for how in AGGREGATIONS
                },
                "train_seconds_both": round(seconds, 1),
            }
            for how in ("best_of_n", "weighted_best_of_n"):
                curve = pool_accuracy(pools, how, budgets, seed=args.seed)
                row[how] = {n: round(float(curve[n].mean()), 3) for n in budgets}
            report["verifiers"][f"{name}_{init}"] = row
            print(f"{name} from {init}: {row}", flush=True)
            for i in range(min(args.show, args.test)):
                problem, j = sets["test"][i], top[i]
                common = Counter(answers[i]).most_common(3)
                print(f"  {problem.text} = {problem.answer} | pool's answers {common} | favourite "
                      f"{scores[i * args.pool + j]:.2f}: {samples[i][j][0]!r}")  # fmt: skip
    print(json.dumps(report))


if __name__ == "__main__":
    main()
