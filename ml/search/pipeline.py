"""`search.sweep`: train the policy and the verifiers, then measure accuracy against test-time budget.

One seed runs the whole chain on disjoint problems:

1. the policy learns from slipped solutions of the train problems;
2. it samples solutions to other train problems; Monte Carlo rollouts label their steps; a PRM learns
   those soft labels and an ORM the final-answer correctness of the same solutions;
3. on validation and test problems it samples a pool of `max(budgets)` solutions each, scored by both
   verifiers, from which majority, best-of-N and weighted best-of-N are measured at every budget by
   random subsampling;
4. beam search (M = 4, lookahead 0 and 1) runs separately for every budget;
5. difficulty bins (oracle: pass@1 of the pool; predicted: mean PRM score) and compute-optimal
   selection per bin, chosen on validation and scored on test, against weighted best-of-N;
6. a revision model (the policy fine-tuned on its own wrong-then-right samples): sequential, balanced
   and parallel chains at every budget;
7. a FLOPs-matched comparison with a policy about 14 times larger trained on the same data.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from ml.experiments import (
    ArtifactOut,
    ExperimentResult,
    ParamError,
    ProgressFn,
    parse_seeds,
    save_figure,
    scaled,
    with_preset,
)

SMOKE = {
    "train_problems": 600,
    "prm_problems": 40,
    "validation_problems": 12,
    "test_problems": 12,
    "policy_steps": 150,
    "prm_steps": 60,
    "rollouts": 2,
    "budgets": "1,2,4",
    "n_embd": 32,
    "max_operands": 3,
    "revision_samples": 4,
    "revision_steps": 30,
    "large_n_embd": 128,
}
BEAM_WIDTH = 4


def parse_budgets(raw: str) -> list[int]:
    try:
        budgets = sorted({int(b) for b in raw.split(",") if b.strip()})
    except ValueError:
        raise ParamError("budgets", f"comma-separated integers, got {raw!r}") from None
    if not budgets or budgets[0] < 1 or budgets[-1] > 256:
        raise ParamError("budgets", "budgets between 1 and 256")
    return budgets


def _pools(policy, tokenizer, prm, orm, domain, problems, n: int, seed: int):
    from ml.search.budget import Pool
    from ml.search.policy import sample_solutions
    from ml.search.verifiers import score_steps, split_steps

    samples = sample_solutions(policy, tokenizer, [domain.prompt(p) for p in problems], n=n, seed=seed)
    rows = [
        (domain.prompt(p), split_steps(text))
        for p, per in zip(problems, samples, strict=True)
        for text, _ in per
    ]
    prm_scores = score_steps(prm, tokenizer, rows)
    orm_scores = score_steps(orm, tokenizer, rows)
    pools = {"prm": [], "orm": []}
    tokens = [k for per in samples for _, k in per]
    for i, (problem, per) in enumerate(zip(problems, samples, strict=True)):
        answers = [domain.answer(text) for text, _ in per]
        for name, scores in (("prm", prm_scores), ("orm", orm_scores)):
            last = [s[-1] if s else 0.0 for s in scores[i * n : (i + 1) * n]]
            pools[name].append(Pool(answers, last, problem.answer))
    return pools, float(np.mean(tokens))


def run_seed(params: dict[str, Any], seed: int, report: ProgressFn) -> dict[str, Any]:
    from ml.distill.supervised import tiny_char_model
    from ml.search.beam import beam_search, lm_step_sampler, prm_prefix_scorer
    from ml.search.budget import compute_optimal, difficulty_bins, efficiency_multiplier, pool_accuracy
    from ml.search.policy import ALPHABET, sample_solutions, train_policy
    from ml.search.select import weighted_best_of_n
    from ml.search.tasks import ArithmeticChains, make_splits
    from ml.search.verifiers import (
        Labelled,
        StepScorer,
        mc_step_labels,
        split_steps,
        train_scorer,
    )

    domain = ArithmeticChains(max_operands=params["max_operands"], max_operand=params["max_operand"])
    sizes = {
        "train": params["train_problems"] + params["prm_problems"],
        "validation": params["validation_problems"],
        "test": params["test_problems"],
    }
    splits = make_splits(domain, seed, sizes)
    policy_train, prm_train = (
        splits["train"][: params["train_problems"]],
        splits["train"][params["train_problems"] :],
    )
    size = {"n_layer": 2, "n_embd": params["n_embd"], "n_head": 4}
    times: dict[str, float] = {}

    started = time.perf_counter()
    policy, tokenizer = train_policy(
        domain, policy_train, slip_rate=params["slip_rate"], steps=params["policy_steps"], seed=seed,
        report=scaled(report, 0.0, 0.3), **size,
    )  # fmt: skip
    times["policy"] = time.perf_counter() - started

    started = time.perf_counter()
    sampled = sample_solutions(policy, tokenizer, [domain.prompt(p) for p in prm_train], n=4, seed=seed)
    items = [(p, split_steps(text)) for p, per in zip(prm_train, sampled, strict=True) for text, _ in per]
    items = [(p, steps) for p, steps in items if steps]
    labels = mc_step_labels(policy, tokenizer, domain, items, rollouts=params["rollouts"], seed=seed)
    data = [Labelled(domain.prompt(p), steps, lab) for (p, steps), lab in zip(items, labels, strict=True)]
    verifiers = {}
    for name, outcome_only in (("prm", False), ("orm", True)):
        backbone, _ = tiny_char_model(ALPHABET, block_size=160, **size)
        verifiers[name] = StepScorer(backbone)
        train_scorer(
            verifiers[name], tokenizer, data, outcome_only=outcome_only, steps=params["prm_steps"], seed=seed
        )
    times["verifiers"] = time.perf_counter() - started
    report(0.55, "verifiers trained")

    budgets = params["budgets"]
    started = time.perf_counter()
    curves: dict[str, dict[str, dict[int, np.ndarray]]] = {}
    stats = {}
    for split in ("validation", "test"):
        pools, mean_tokens = _pools(
            policy, tokenizer, verifiers["prm"], verifiers["orm"], domain, splits[split], budgets[-1], seed
        )
        curves[split] = {"majority": pool_accuracy(pools["prm"], "majority", budgets, seed=seed)}
        for verifier in ("prm", "orm"):
            for how in ("best_of_n", "weighted_best_of_n"):
                curves[split][f"{how}_{verifier}"] = pool_accuracy(pools[verifier], how, budgets, seed=seed)
        stats[split] = {
            "pass_at_1": [p.pass_at_1() for p in pools["prm"]],
            "mean_prm": [float(np.mean(p.scores)) for p in pools["prm"]],
            "mean_tokens": mean_tokens,
        }
    times["pools"] = time.perf_counter() - started
    report(0.7, "pools scored")

    started = time.perf_counter()
    sampler = lm_step_sampler(policy, tokenizer)
    scorer = prm_prefix_scorer(verifiers["prm"], tokenizer, "last")
    for split in ("validation", "test"):
        prompts = [domain.prompt(p) for p in splits[split]]
        for k in (0, 1):
            name = f"beam_k{k}"
            curves[split][name] = {}
            for n in budgets:
                width = min(BEAM_WIDTH, n)
                results = beam_search(
                    prompts, sampler, scorer, n=n, m=width if n % width == 0 else 1, lookahead=k, seed=seed
                )
                correct = []
                for problem, result in zip(splits[split], results, strict=True):
                    answers = [domain.answer("".join(c.steps)) for c in result.finished]
                    correct.append(
                        float(
                            weighted_best_of_n(answers, [c.score for c in result.finished]) == problem.answer
                        )
                    )
                curves[split][name][n] = np.array(correct)
    times["beam"] = time.perf_counter() - started
    report(0.95, "beam search done")

    started = time.perf_counter()
    revision = run_revisions(
        params, policy, tokenizer, verifiers["orm"], domain, prm_train, splits["test"], seed
    )
    times["revisions"] = time.perf_counter() - started

    started = time.perf_counter()
    matched = (
        flops_matched(
            params,
            policy,
            verifiers["prm"],
            domain,
            policy_train,
            splits["test"],
            curves["test"],
            stats,
            seed,
        )
        if params["large_n_embd"]
        else None
    )
    times["flops_matched"] = time.perf_counter() - started

    summary: dict[str, Any] = {
        "times": {k: round(v, 1) for k, v in times.items()},
        "revisions": revision,
        "flops_matched": matched,
    }
    summary["test_accuracy"] = {
        m: {n: float(v[n].mean()) for n in budgets} for m, v in curves["test"].items()
    }
    baseline = {n: float(curves["test"]["weighted_best_of_n_prm"][n].mean()) for n in budgets}
    for kind, statistic in (("oracle", "pass_at_1"), ("predicted", "mean_prm")):
        sel_bins = difficulty_bins(stats["validation"][statistic])
        ev_bins = difficulty_bins(stats["test"][statistic])
        optimal = {}
        for n in budgets:
            accuracy, choice = compute_optimal(curves["validation"], sel_bins, curves["test"], ev_bins, n)
            # how many weighted best-of-N generations it takes to match this accuracy, per generation spent
            multiplier = efficiency_multiplier(accuracy, n, baseline)
            optimal[n] = {"accuracy": accuracy, "choice": choice, "efficiency_multiplier": multiplier}
        summary[f"compute_optimal_{kind}"] = optimal
    summary["test_pass_at_1"] = float(np.mean(stats["test"]["pass_at_1"]))
    return summary


RATIOS = (0.16, 0.79, 22.0)  # R = inference tokens / pretraining tokens, as in the paper


def flops_matched(params, policy, prm, domain, train_problems, test_problems, test_curves, stats, seed: int):
    """Train a policy about (large_n_embd / n_embd)^2 times larger on the same data, and compare its
    single-sample accuracy per difficulty bin with the small policy's weighted best-of-N at the budget
    that costs the same FLOPs. The PRM's scoring counts: each small-model generation costs
    (policy + PRM) parameters, so the matched generation budget shrinks by that factor."""
    from ml.lm.models import count_params
    from ml.search.budget import difficulty_bins
    from ml.search.flops import matched_budget
    from ml.search.policy import sample_solutions, train_policy

    large, tokenizer = train_policy(
        domain, train_problems, slip_rate=params["slip_rate"], steps=params["policy_steps"], seed=seed,
        n_layer=2, n_embd=params["large_n_embd"], n_head=4,
    )  # fmt: skip
    small_params, large_params = count_params(policy), count_params(large)
    size_ratio = large_params / small_params
    per_generation = (small_params + count_params(prm)) / small_params
    samples = sample_solutions(large, tokenizer, [domain.prompt(p) for p in test_problems], n=1, seed=seed)
    large_correct = np.array(
        [domain.answer(s[0][0]) == p.answer for p, s in zip(test_problems, samples, strict=True)]
    )
    bins = difficulty_bins(stats["test"]["pass_at_1"])
    small_curve = test_curves["weighted_best_of_n_prm"]
    verdicts = {}
    for ratio in RATIOS:
        generations = matched_budget(size_ratio, ratio) / per_generation
        affordable = [n for n in small_curve if n <= generations]
        budget = max(affordable) if affordable else None
        per_bin = {}
        for b in np.unique(bins):
            members = bins == b
            small = float(small_curve[budget][members].mean()) if budget else None
            big = float(large_correct[members].mean())
            per_bin[int(b)] = {
                "small_test_time": small,
                "large_one_sample": big,
                "winner": None if small is None else "test-time compute" if small >= big else "pretraining",
            }
        verdicts[str(ratio)] = {
            "matched_generations": round(generations, 1),
            "budget_used": budget,
            "bins": per_bin,
        }
    return {
        "small_params": small_params,
        "large_params": large_params,
        "size_ratio": round(size_ratio, 2),
        "large_accuracy": float(large_correct.mean()),
        "by_ratio": verdicts,
    }


def run_revisions(
    params, policy, tokenizer, orm, domain, train_problems, test_problems, seed: int
) -> dict[str, Any]:
    """Fine-tune a copy of the policy into a revision model on its own samples, then measure sequential,
    balanced and parallel chains at every budget, selected by majority or hierarchically by the ORM."""
    import copy
    import math
    import random

    from ml.distill.supervised import train_pairs
    from ml.search.policy import sample_solutions
    from ml.search.revisions import hierarchical_select, lm_attempts, revision_examples, sequential_revisions
    from ml.search.select import majority
    from ml.search.verifiers import score_steps, split_steps

    rng = random.Random(seed)
    prompts = [domain.prompt(p) for p in train_problems]
    samples = sample_solutions(policy, tokenizer, prompts, n=params["revision_samples"], seed=seed + 1)
    pairs = []
    for problem, prompt, per in zip(train_problems, prompts, samples, strict=True):
        texts = [t for t, _ in per]
        # a problem the policy never solved still teaches revising, towards the reference solution
        right = [t for t in texts if domain.answer(t) == problem.answer] or [domain.solution(problem)]
        wrong = [t for t in texts if domain.answer(t) != problem.answer]
        pairs += revision_examples(prompt, right, wrong, rng)
    model = copy.deepcopy(policy)
    train_pairs(model, tokenizer, pairs, params["revision_steps"], batch_size=32, lr=1e-3, seed=seed)
    generate = lm_attempts(model, tokenizer)
    test_prompts = [domain.prompt(p) for p in test_problems]
    curves: dict[str, dict[int, float]] = {}
    flips = [0, 0]  # (correct attempts followed by another, of which the next is wrong)
    for n in params["budgets"]:
        shapes = {
            "sequential": (1, n),
            "balanced": (max(1, n // math.isqrt(n)), math.isqrt(n)),
            "parallel": (n, 1),
        }
        for shape, (chains, length) in shapes.items():
            attempts = sequential_revisions(generate, test_prompts, chains=chains, length=length, seed=seed)
            rows = [
                (prompt, split_steps(a))
                for prompt, per in zip(test_prompts, attempts, strict=True)
                for c in per
                for a in c
            ]
            scores = iter(s[-1] if s else 0.0 for s in score_steps(orm, tokenizer, rows))
            by_majority, by_orm = [], []
            for problem, per in zip(test_problems, attempts, strict=True):
                answers = [[domain.answer(a) for a in chain] for chain in per]
                chain_scores = [[next(scores) for _ in chain] for chain in per]
                by_majority.append(majority([a for chain in answers for a in chain]) == problem.answer)
                by_orm.append(hierarchical_select(answers, chain_scores) == problem.answer)
                if shape == "sequential":
                    for chain in answers:
                        for before, after in zip(chain, chain[1:], strict=False):
                            if before == problem.answer:
                                flips[0] += 1
                                flips[1] += after != problem.answer
            curves.setdefault(f"{shape}_majority", {})[n] = float(np.mean(by_majority))
            curves.setdefault(f"{shape}_orm", {})[n] = float(np.mean(by_orm))
    return {
        "training_pairs": len(pairs),
        "test_accuracy": curves,
        "correct_to_wrong_share": flips[1] / flips[0] if flips[0] else None,
    }


def sweep(params: dict[str, Any], workdir: Path, report: ProgressFn) -> ExperimentResult:
    params = with_preset(params, SMOKE)
    seeds = parse_seeds(params["seeds"])
    params["budgets"] = parse_budgets(params["budgets"])
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    runs = [
        run_seed(params, s, scaled(report, i / len(seeds), (i + 1) / len(seeds))) for i, s in enumerate(seeds)
    ]
    metrics = {"runs": runs, "seconds": round(time.perf_counter() - started, 1), "params": params}
    (workdir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    plots = plot(runs, params["budgets"], workdir / "accuracy_vs_budget")
    report(1.0, f"{len(seeds)} seed(s) swept")
    return ExperimentResult(
        metrics={"seconds": metrics["seconds"], "test_accuracy": [r["test_accuracy"] for r in runs]},
        artifacts=[
            ArtifactOut(workdir / "metrics.json", "metrics", "metrics.json"),
            *(ArtifactOut(p, "plot", p.name) for p in plots),
        ],
    )


def plot(runs: list[dict[str, Any]], budgets: list[int], out_stem: Path) -> list[Path]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.2), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for method in runs[0]["test_accuracy"]:
        mean = [np.mean([r["test_accuracy"][method][n] for r in runs]) for n in budgets]
        ax.plot(budgets, mean, marker="o", label=method.replace("_", " "))
    optimal = [np.mean([r["compute_optimal_oracle"][n]["accuracy"] for r in runs]) for n in budgets]
    ax.plot(budgets, optimal, "k--", label="compute-optimal (oracle bins)")
    ax.set(xscale="log", xlabel="generations per problem (budget)", ylabel="test accuracy")
    ax.set_xticks(budgets, [str(b) for b in budgets])
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return save_figure(fig, out_stem)
