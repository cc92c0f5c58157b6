"""Benchmark: PRM-guided beam search batched across prompts against one prompt at a time.

    python bench/search_beam.py [--prompts 64] [--n 16] [--m 4] [--lookahead 0] [--repeats 3] [--device cpu]

A tiny policy (ml.search.policy.train_policy, briefly trained on arithmetic chains) and a tiny PRM
(a StepScorer briefly trained on exact step labels; neither is accurate, nor needs to be) run
ml.search.beam.beam_search over --prompts test problems twice per repeat: one call with every prompt,
and one call per prompt. Per-row sampling seeds make both give the same result for each prompt; the
script checks that (step texts equal, scores within 1e-6) besides timing both. A third call per repeat
runs the batched search with every row reading its own prompt (ml.lm.generate.SHARED_PREFILL off), to
measure what reading a prompt shared by several rows once saves; its results must be the same too.
The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

import torch
import transformers

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere without installing

from ml.distill.supervised import tiny_char_model  # noqa: E402
from ml.lm import generate as generation  # noqa: E402
from ml.lm.device import pick_device  # noqa: E402
from ml.lm.models import count_params  # noqa: E402
from ml.lm.seeding import seed_everything  # noqa: E402
from ml.search.beam import beam_search, lm_step_sampler, prm_prefix_scorer  # noqa: E402
from ml.search.policy import ALPHABET, train_policy  # noqa: E402
from ml.search.tasks import ArithmeticChains, make_splits, with_slips  # noqa: E402
from ml.search.verifiers import (  # noqa: E402
    Labelled,
    StepScorer,
    oracle_step_labels,
    split_steps,
    train_scorer,
)


def same(a, b) -> bool:
    """Two BeamResults agree: the same candidates in the same order, scores equal up to 1e-6."""
    return (
        len(a.finished) == len(b.finished)
        and all(
            x.steps == y.steps and x.finished == y.finished and abs(x.score - y.score) <= 1e-6
            for x, y in zip(a.finished, b.finished, strict=True)
        )
        and (a.generated_steps, a.generated_tokens) == (b.generated_steps, b.generated_tokens)
    )


def score_gap(a, b) -> float:
    """The largest score difference between candidates of two results with the same steps."""
    return max(
        (abs(x.score - y.score) for x, y in zip(a.finished, b.finished, strict=False) if x.steps == y.steps),
        default=0.0,
    )


def timed(fn, totals: dict[str, float], name: str):
    """`fn`, adding the seconds spent in it to totals[name]."""

    def wrapper(*args):
        started = time.perf_counter()
        try:
            return fn(*args)
        finally:
            totals[name] = totals.get(name, 0.0) + time.perf_counter() - started

    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prompts", type=int, default=64)
    parser.add_argument("--n", type=int, default=16, help="budget N: samples per prompt per round")
    parser.add_argument("--m", type=int, default=4, help="beam width M")
    parser.add_argument("--lookahead", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--policy-steps", type=int, default=300)
    parser.add_argument("--prm-steps", type=int, default=150)
    parser.add_argument("--n-embd", type=int, default=64)
    parser.add_argument("--max-operands", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=256, help="rows per decode in the sampler")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, mps or auto (models train on the CPU)")
    args = parser.parse_args()
    transformers.logging.set_verbosity_error()
    if args.threads:
        torch.set_num_threads(args.threads)

    started = time.perf_counter()
    domain = ArithmeticChains(max_operands=args.max_operands)
    splits = make_splits(domain, args.seed, {"train": 3000, "test": args.prompts})
    size = {"n_layer": 2, "n_embd": args.n_embd, "n_head": 4}
    policy, tokenizer = train_policy(
        domain, splits["train"], steps=args.policy_steps, batch_size=32, seed=args.seed, **size
    )
    seed_everything(args.seed)
    rng = random.Random(args.seed)
    data = []
    for problem in splits["train"][:1000]:
        steps = split_steps(with_slips(problem, rng, slip_rate=0.3))
        data.append(Labelled(domain.prompt(problem), steps, oracle_step_labels(domain, problem, steps)))
    backbone, _ = tiny_char_model(ALPHABET, block_size=160, **size)
    prm = StepScorer(backbone)
    train_scorer(prm, tokenizer, data, steps=args.prm_steps, batch_size=32, lr=2e-3, seed=args.seed)
    device = pick_device(args.device)
    policy, prm = policy.to(device), prm.to(device)
    setup_s = time.perf_counter() - started

    prompts = [domain.prompt(p) for p in splits["test"]]
    spent: dict[str, float] = {}  # seconds in the policy and in the PRM, over every search
    sampler = timed(lm_step_sampler(policy, tokenizer, batch_size=args.batch_size), spent, "policy")
    scorer = timed(prm_prefix_scorer(prm, tokenizer, "last", batch_size=args.batch_size), spent, "prm")
    search = dict(n=args.n, m=args.m, lookahead=args.lookahead, temperature=1.0, seed=args.seed)

    beam_search(prompts[:2], sampler, scorer, **search)  # warm-up
    spent.clear()
    batched_runs, looped_runs, unshared_runs, identical, gaps = [], [], [], [], []
    for r in range(args.repeats):
        t0 = time.perf_counter()
        batched = beam_search(prompts, sampler, scorer, **search)
        t1 = time.perf_counter()
        looped = [beam_search([p], sampler, scorer, **search)[0] for p in prompts]
        t2 = time.perf_counter()
        generation.SHARED_PREFILL = False
        try:
            unshared = beam_search(prompts, sampler, scorer, **search)
        finally:
            generation.SHARED_PREFILL = True
        t3 = time.perf_counter()
        batched_runs.append(t1 - t0)
        looped_runs.append(t2 - t1)
        unshared_runs.append(t3 - t2)
        agree = [same(a, b) and same(a, c) for a, b, c in zip(batched, looped, unshared, strict=True)]
        identical.append(sum(agree) / len(prompts))
        gaps.append(max(score_gap(a, b) for a, b in zip(batched, looped, strict=True)))
        print(
            f"repeat {r + 1}: batched {batched_runs[-1]:.2f} s, looped {looped_runs[-1]:.2f} s, "
            f"batched without shared prefill {unshared_runs[-1]:.2f} s, identical {identical[-1]:.3f}",
            flush=True,
        )

    tokens = sum(b.generated_tokens for b in batched)
    steps = sum(b.generated_steps for b in batched)
    accuracy = statistics.mean(
        max(b.finished, key=lambda c: c.score).steps[-1].strip() == f"answer: {p.answer}"
        for b, p in zip(batched, splits["test"], strict=True)
    )
    batched_median, looped_median = statistics.median(batched_runs), statistics.median(looped_runs)
    unshared_median = statistics.median(unshared_runs)
    summary = {
        "device": str(device),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "policy_params": count_params(policy),
        "policy_steps": args.policy_steps,
        "prm_params": count_params(prm),
        "prm": f"trained {args.prm_steps} steps on exact step labels",
        "prompts": args.prompts,
        "n": args.n,
        "m": args.m,
        "lookahead": args.lookahead,
        "repeats": args.repeats,
        "setup_s": round(setup_s, 1),
        "generated_steps": steps,
        "generated_tokens": tokens,
        "top_beam_accuracy": round(accuracy, 3),
        "batched_s": round(batched_median, 3),
        "looped_s": round(looped_median, 3),
        "speedup": round(looped_median / batched_median, 2),
        "unshared_prefill_s": round(unshared_median, 3),
        "shared_prefill_speedup": round(unshared_median / batched_median, 2),
        "policy_share": round(
            spent["policy"] / (sum(batched_runs) + sum(looped_runs) + sum(unshared_runs)), 3
        ),
        "prm_share": round(spent["prm"] / (sum(batched_runs) + sum(looped_runs) + sum(unshared_runs)), 3),
        "identical_fraction": min(identical),
        "max_score_gap": max(gaps),
    }
    print(
        f"{device}, torch {torch.__version__}, {torch.get_num_threads()} thread(s); policy {summary['policy_params']:,} "
        f"params ({args.policy_steps} steps), PRM {summary['prm_params']:,} params ({summary['prm']})"
    )
    print(
        f"{args.prompts} prompts, N={args.n}, M={args.m}, lookahead {args.lookahead}: {steps} steps, "
        f"{tokens} tokens per search"
    )
    print(f"median batched {batched_median:.2f} s, looped {looped_median:.2f} s: {summary['speedup']}x")
    print(
        f"median batched with every row reading its own prompt {unshared_median:.2f} s: shared prefill "
        f"{summary['shared_prefill_speedup']}x"
    )
    print(f"time in the policy {summary['policy_share']:.0%}, in the PRM {summary['prm_share']:.0%}")
    print(
        f"identical results (fraction of prompts, worst repeat): {summary['identical_fraction']:.3f}; "
        f"largest score gap between the same candidates batched and looped: {max(gaps):.1e}"
    )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
