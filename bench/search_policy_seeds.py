"""Benchmark: how much the sweep's tiny policy varies from seed to seed, and whether training longer
steadies it.

    python bench/search_policy_seeds.py [--seeds 0,1,2] [--steps 2000,4000] [--n-embd 64] [--test 200]

For each seed and number of training steps, the policy is trained exactly as `search.sweep` trains it
(the seed's own policy problems, every other parameter at the sweep's default) and samples --samples
solutions at temperature 1 for each of the seed's first --test test problems. It prints pass@1, overall
and by the number of steps, and training seconds. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere without installing

from search_policy_cap import pass_at_1  # noqa: E402  (bench/, the script's own folder)

from ml.experiments import get  # noqa: E402
from ml.search.pipeline import policy_of_width, problems  # noqa: E402


def measure(seed: int, steps: int, args: argparse.Namespace) -> dict:
    params = get("search.sweep").validate({"policy_steps": steps, "n_embd": args.n_embd})
    domain, sets = problems(params, seed)
    started = time.perf_counter()
    policy, tokenizer = policy_of_width(params, domain, sets["policy"], seed, params["n_embd"])
    train_seconds = time.perf_counter() - started
    return {
        "seed": seed,
        "steps": steps,
        **pass_at_1(policy, tokenizer, domain, sets["test"][: args.test], args.samples, seed),
        "train_seconds": round(train_seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--steps", default="2000,4000")
    parser.add_argument("--n-embd", type=int, default=64)
    parser.add_argument("--test", type=int, default=200)
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    for seed in (int(s) for s in args.seeds.split(",")):
        for steps in (int(s) for s in args.steps.split(",")):
            rows.append(measure(seed, steps, args))
            row = rows[-1]
            print(
                f"seed {seed} steps {steps:>5}: pass@1 {row['pass_at_1']:.3f}  by steps "
                f"{row['pass_at_1_by_steps']}  ({row['train_seconds']:.0f} s)",
                flush=True,
            )
    print(json.dumps({"n_embd": args.n_embd, "rows": rows}))


if __name__ == "__main__":
    main()
