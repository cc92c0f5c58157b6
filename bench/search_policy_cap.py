"""Benchmark: how the cap on chains' running values (ArithmeticChains.max_value) sets the tiny policy's
accuracy, the figure search.sweep's default cap was chosen by.

    python bench/search_policy_cap.py [--caps 100,999,0] [--steps 2000] [--n-embd 64] [--test 200]

For each cap (0: none) the policy is trained as search.train trains it (8,000 problems, slip rate 0.1,
seed 0) and samples --samples solutions at temperature 1 for each of --test test problems; it prints
pass@1 overall and by the number of steps, and training seconds. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere without installing

from ml.search.policy import sample_solutions, train_policy  # noqa: E402
from ml.search.tasks import ArithmeticChains, make_splits  # noqa: E402


def pass_at_1(policy, tokenizer, domain, problems, samples: int, seed: int) -> dict:
    """pass@1 (the share of `samples` solutions at temperature 1 that reach the answer), overall and by
    the problem's number of steps, each rounded to 3 places."""
    solutions = sample_solutions(
        policy, tokenizer, [domain.prompt(p) for p in problems], n=samples, seed=seed
    )
    by_steps: dict[int, list[float]] = defaultdict(list)
    for problem, per in zip(problems, solutions, strict=True):
        right = sum(domain.answer(text) == problem.answer for text, _ in per)
        by_steps[problem.n_steps].append(right / len(per))
    every = [acc for accs in by_steps.values() for acc in accs]
    return {
        "pass_at_1": round(sum(every) / len(every), 3),
        "pass_at_1_by_steps": {k: round(sum(v) / len(v), 3) for k, v in sorted(by_steps.items())},
    }


def measure(cap: int, args: argparse.Namespace) -> dict:
    domain = ArithmeticChains(max_operands=8, max_operand=20, max_value=cap)
    splits = make_splits(domain, args.seed, {"train": args.train, "test": args.test})
    started = time.perf_counter()
    policy, tokenizer = train_policy(
        domain, splits["train"], slip_rate=0.1, n_embd=args.n_embd, steps=args.steps, seed=args.seed
    )
    train_seconds = time.perf_counter() - started
    return {
        "cap": cap,
        **pass_at_1(policy, tokenizer, domain, splits["test"], args.samples, args.seed),
        "train_seconds": round(train_seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--caps", default="100,999,0")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--n-embd", type=int, default=64)
    parser.add_argument("--train", type=int, default=8000)
    parser.add_argument("--test", type=int, default=200)
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    for cap in (int(c) for c in args.caps.split(",")):
        rows.append(measure(cap, args))
        row = rows[-1]
        print(f"cap {cap or 'none':>5}: pass@1 {row['pass_at_1']:.3f}  by steps {row['pass_at_1_by_steps']}")
    print(json.dumps({"steps": args.steps, "n_embd": args.n_embd, "rows": rows}))


if __name__ == "__main__":
    main()
