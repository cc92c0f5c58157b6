"""The imitation study (Gudibande et al., "The False Promise of Imitating Proprietary LLMs"), tiny.

A reference model answers every fact of a synthetic world in a confident house style. Two base
models (weak: small, pretrained on the facts of 4 topics; strong: larger, pretrained on 7) are
fine-tuned on the reference's own sampled answers, either broad (the covered half of the entities
of all 7 general topics) or task-specific (one big topic only the reference knows), in several
amounts. We then measure:

* exact-match accuracy on held-out facts (the other half of the entities: the imitation data never
  asks about them): expected flat in imitation data, higher for the strong base;
* exact-match accuracy on the task topic: expected to rise with task-specific imitation data;
* a style-driven simulated crowd rater (ml.distill.rater) comparing each model's answer with the
  reference's on held-out prompts: expected to approach parity as the style is imitated.

Pretraining text states each fact as question-answer pairs in plain phrasings and as a declarative
sentence. A 1-3 layer model fine-tuned on imitation data alone forgets most of what it knew (held-out
accuracy 0.88 -> 0.1-0.2 in our probes), which a billion-parameter LM does not; so by default each
imitation set is mixed with `replay` copies of the base's own declarative pretraining sentences.
They contain no questions, so they teach no answer style. `replay=0` gives pure imitation data.

The world and the reference depend on `world_seed`; bases, imitation samples, fine-tuning and rater
noise depend on each of `seeds`.
"""

from __future__ import annotations

import json
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ml.distill import rater
from ml.distill.world import (
    Fact,
    World,
    house_answer,
    is_correct,
    make_world,
    plain_answers,
    prompt,
    split_by_entity,
    statement,
)
from ml.experiments import ArtifactOut, ExperimentResult, ParamError, ProgressFn

WEAK_TOPICS, GENERAL_TOPICS = slice(0, 4), slice(0, 7)
TASK_TOPIC = "language"
PRETRAIN_BLOCK, IMITATE_BLOCK = 64, 96  # training windows: plain docs are <= 60 chars, house ones ~80
MAX_NEW_TOKENS = 56
N_BOOT = 1000


@dataclass(frozen=True)
class Size:
    n_layer: int
    n_embd: int
    steps: int


def _ints(raw: str, field: str) -> list[int]:
    try:
        values = [int(x) for x in str(raw).replace(" ", "").split(",") if x]
    except ValueError:
        raise ParamError(field, f"expected comma-separated integers, got {raw!r}") from None
    if not values or min(values) < 0:
        raise ParamError(field, "expected at least one non-negative integer")
    return values


def _scaled(report: ProgressFn, lo: float, hi: float) -> ProgressFn:
    return lambda fraction, message: report(lo + (hi - lo) * fraction, message)


def _new_model(tokenizer, size: Size, device):
    from ml.lm.models import tiny_gpt2

    heads = 4 if size.n_embd % 4 == 0 else 1
    return tiny_gpt2(
        vocab_size=len(tokenizer),
        n_layer=size.n_layer,
        n_embd=size.n_embd,
        n_head=heads,
        block_size=128,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    ).to(device)


def _model(path: str, tokenizer, size: Size, device):
    """A tiny model of `size` on the shared character tokenizer, or the local checkpoint at `path`
    (a model directory or .gguf) with its own tokenizer: the same study then runs on real LMs."""
    if not path:
        return _new_model(tokenizer, size, device), tokenizer
    from ml.lm.loading import load_model

    return load_model(path, device=device)


def _check_paths(params: dict[str, Any]) -> None:
    for field in ("ref_model", "strong_model", "weak_model"):
        path = params.get(field) or ""
        if path and not Path(path).expanduser().exists():
            raise ParamError(field, f"no local model at {path}")


def _train(model, tokenizer, texts: list[str], steps: int, lr: float, block: int, seed: int, report):
    from ml.lm.train import TrainConfig, train_causal_lm

    cfg = TrainConfig(
        steps=steps,
        batch_size=16,
        lr=lr,
        block_size=block,
        warmup=min(30, max(1, steps // 10)),
        eval_every=0,
        seed=seed,
        val_fraction=0.0,  # memorising facts is the point; there is nothing to generalise to
    )
    return train_causal_lm(model, tokenizer, texts, cfg, report)


def answer(model, tokenizer, facts: list[Fact], temperature: float = 0.0, seed: int = 0) -> list[str]:
    """Each model's answer to each fact's question (greedy unless a temperature is given)."""
    from ml.lm.generate import sample

    outs = sample(
        model,
        tokenizer,
        [prompt(f) for f in facts],
        max_new_tokens=MAX_NEW_TOKENS,
        temperature=temperature,
        stop=["\n"],
        seed=seed,
        batch_size=128,
    )
    return [o[0] for o in outs]


def _ci(values: list[float] | np.ndarray, seed: int) -> dict[str, float]:
    from ml.stats import bootstrap_ci

    ci = bootstrap_ci(np.asarray(values, dtype=float), np.mean, n_boot=N_BOOT, seed=seed)
    return {"mean": round(ci.estimate, 4), "lo": round(ci.ci_low, 4), "hi": round(ci.ci_high, 4)}


def _seed_ci(values: list[float]) -> dict[str, Any]:
    """Mean across seeds with a t-interval (the spread a new seed would show)."""
    from ml.stats import t_sf

    arr = np.asarray(values, dtype=float)
    mean = float(arr.mean())
    if len(arr) < 2:
        return {"mean": round(mean, 4), "lo": None, "hi": None, "per_seed": [round(v, 4) for v in values]}
    # Two-sided 97.5% t quantile by bisection on the survival function (no scipy at run time).
    lo_t, hi_t = 0.0, 100.0
    for _ in range(60):
        mid = (lo_t + hi_t) / 2
        lo_t, hi_t = (mid, hi_t) if t_sf(mid, len(arr) - 1) > 0.025 else (lo_t, mid)
    half = hi_t * float(arr.std(ddof=1)) / math.sqrt(len(arr))
    # Every value here is a rate, so the interval is clipped to [0, 1].
    return {
        "mean": round(mean, 4),
        "lo": round(max(0.0, mean - half), 4),
        "hi": round(min(1.0, mean + half), 4),
        "per_seed": [round(v, 4) for v in values],
    }


def evaluate(
    model, tokenizer, ref, ref_tokenizer, heldout: list[Fact], task: list[Fact], ref_heldout: dict, seed: int
) -> dict[str, Any]:
    """Held-out and task-topic accuracy, and the simulated rater's verdicts against the reference."""
    out_h = answer(model, tokenizer, heldout)
    out_t = answer(model, tokenizer, task)
    correct_h = [is_correct(f, o) for f, o in zip(heldout, out_h, strict=True)]
    correct_t = [is_correct(f, o) for f, o in zip(task, out_t, strict=True)]
    flu = rater.fluency(ref, ref_tokenizer, [prompt(f) for f in heldout], out_h)
    verdicts = rater.judge(
        out_h, ref_heldout["outputs"], correct_h, ref_heldout["correct"], flu, ref_heldout["fluency"], seed
    )
    outcomes = [v.outcome for v in verdicts]
    good = [o != "loss" for o in outcomes]  # "rated as good as or better than the reference"
    return {
        "heldout_acc": _ci(correct_h, seed),
        "task_acc": _ci(correct_t, seed + 1),
        "preference": _ci(good, seed + 2),
        "win": round(outcomes.count("win") / len(outcomes), 4),
        "tie": round(outcomes.count("tie") / len(outcomes), 4),
        "loss": round(outcomes.count("loss") / len(outcomes), 4),
        "style_rate": round(float(np.mean([o.strip().startswith(rater.HOUSE_OPENER) for o in out_h])), 4),
        "outputs_heldout": out_h,
    }


def _pretrain_texts(facts: list[Fact]) -> list[str]:
    return [prompt(f) + a for f in facts for a in plain_answers(f)] + [statement(f) for f in facts]


def imitation_texts(data: list[str], base_facts: list[Fact], replay: int) -> list[str]:
    """An imitation set as fine-tuned on: the reference's answers plus `replay` copies of the base's
    declarative pretraining sentences (the same copies whatever the amount, so amount is the only
    thing that varies along a curve)."""
    return data + [statement(f) for f in base_facts] * replay


def run(params: dict[str, Any], workdir: Path, report: ProgressFn) -> ExperimentResult:
    """Entry point of distill.imitation (params validated by the registry)."""
    import torch

    from ml.lm.device import pick_device
    from ml.lm.seeding import seed_everything
    from ml.lm.tokenizers import char_tokenizer

    started = time.perf_counter()
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    seeds = _ints(params["seeds"], "seeds")
    amounts = sorted(set(_ints(params["amounts"], "amounts")) - {0})
    if not amounts:
        raise ParamError("amounts", "need at least one positive amount")
    ref_size = Size(params["ref_layers"], params["ref_embd"], params["ref_steps"])
    strong = Size(params["strong_layers"], params["strong_embd"], params["base_steps"])
    weak = Size(params["weak_layers"], params["weak_embd"], params["base_steps"])
    for name, size in (("ref_embd", ref_size), ("strong_embd", strong), ("weak_embd", weak)):
        if size.n_embd % 4 and size.n_embd > 4:
            raise ParamError(name, "must be a multiple of 4")
    _check_paths(params)
    device = pick_device()

    world: World = make_world(
        params["world_seed"], params["entities_per_topic"], TASK_TOPIC, params["task_entities"]
    )
    topics = world.topics
    broad_facts, heldout = split_by_entity(world.topic_facts(*topics[GENERAL_TOPICS]))
    task = world.topic_facts(TASK_TOPIC)
    # One character vocabulary for every model, so any base can be fine-tuned on any answer.
    tokenizer = char_tokenizer(
        [prompt(f) + house_answer(f) + "".join(plain_answers(f)) + statement(f) for f in world.facts]
    )
    n_jobs = 1 + len(seeds) * (2 + 2 + 2 * (1 + 2 * len(amounts)))
    done = 0

    def step(message: str) -> ProgressFn:
        nonlocal done
        # Jobs fill [0, 0.95] of the progress bar; aggregating and plotting take the rest.
        lo = 0.95 * done / n_jobs
        done += 1
        report(lo, message)
        return _scaled(report, lo, 0.95 * done / n_jobs)

    # The reference ("proprietary") model: biggest, knows every fact, answers in the house style.
    seed_everything(params["world_seed"])
    ref, ref_tok = _model(params["ref_model"], tokenizer, ref_size, device)
    ref_texts = [prompt(f) + house_answer(f) for f in world.facts]
    _train(
        ref,
        ref_tok,
        ref_texts,
        ref_size.steps,
        params["lr"],
        IMITATE_BLOCK,
        params["world_seed"],
        step("training the reference model"),
    )
    ref_h = answer(ref, ref_tok, heldout)
    ref_t = answer(ref, ref_tok, task)
    ref_heldout = {
        "outputs": ref_h,
        "correct": [is_correct(f, o) for f, o in zip(heldout, ref_h, strict=True)],
        "fluency": rater.fluency(ref, ref_tok, [prompt(f) for f in heldout], ref_h),
    }
    # Parity: how often the rater finds the reference as good as itself (ties are noisy, so below 1).
    self_verdicts = rater.judge(
        ref_h,
        ref_h,
        ref_heldout["correct"],
        ref_heldout["correct"],
        ref_heldout["fluency"],
        ref_heldout["fluency"],
        params["world_seed"],
    )
    reference = {
        "parity": round(float(np.mean([v.outcome != "loss" for v in self_verdicts])), 4),
        "heldout_acc": _ci(ref_heldout["correct"], 0),
        "task_acc": _ci([is_correct(f, o) for f, o in zip(task, ref_t, strict=True)], 1),
        "all_acc": round(
            float(
                np.mean(
                    [
                        is_correct(f, o)
                        for f, o in zip(world.facts, answer(ref, ref_tok, world.facts), strict=True)
                    ]
                )
            ),
            4,
        ),
    }

    per_seed: dict[str, list[dict[str, Any]]] = {}
    ratings: list[dict[str, str]] = []
    for seed in seeds:
        rows: list[dict[str, Any]] = []
        rng = random.Random(seed)
        # Imitation data: the reference's own sampled answers; smaller amounts are prefixes of larger.
        data: dict[str, list[str]] = {}
        for kind, pool in (("broad", broad_facts), ("task", task)):
            step(f"seed {seed}: sampling {amounts[-1]} {kind} imitation answers")
            facts = [rng.choice(pool) for _ in range(amounts[-1])]
            outs = answer(ref, ref_tok, facts, temperature=params["temperature"], seed=seed)
            data[kind] = [prompt(f) + o for f, o in zip(facts, outs, strict=True)]
        bases = (("weak", weak, topics[WEAK_TOPICS]), ("strong", strong, topics[GENERAL_TOPICS]))
        for base_name, size, pre_topics in bases:
            seed_everything(seed)
            base, base_tok = _model(params[f"{base_name}_model"], tokenizer, size, device)
            base_facts = world.topic_facts(*pre_topics)
            texts = _pretrain_texts(base_facts)
            _train(
                base,
                base_tok,
                texts,
                size.steps,
                params["lr"],
                PRETRAIN_BLOCK,
                seed,
                step(f"seed {seed}: pretraining the {base_name} base"),
            )
            state = {k: v.detach().clone() for k, v in base.state_dict().items()}
            step(f"seed {seed}: evaluating the {base_name} base")
            metrics = evaluate(base, base_tok, ref, ref_tok, heldout, task, ref_heldout, seed)
            rows.append({"base": base_name, "kind": "base", "amount": 0, **metrics})
            for kind in ("broad", "task"):
                for amount in amounts:
                    base.load_state_dict(state)  # every imitation model starts from the same base
                    _train(
                        base,
                        base_tok,
                        imitation_texts(data[kind][:amount], base_facts, params["replay"]),
                        params["ft_steps"],
                        params["ft_lr"],
                        IMITATE_BLOCK,
                        seed,
                        step(f"seed {seed}: imitating {kind} x{amount} on {base_name}"),
                    )
                    metrics = evaluate(base, base_tok, ref, ref_tok, heldout, task, ref_heldout, seed)
                    rows.append({"base": base_name, "kind": kind, "amount": amount, **metrics})
        per_seed[str(seed)] = rows
        if not ratings:
            ratings = _ratings(seed, heldout, ref_h, rows, amounts[-1])

    report(0.97, "aggregating and plotting")
    aggregate = _aggregate(per_seed)
    metrics_out = {
        "config": {
            **params,
            "device": str(device),
            "torch_version": torch.__version__,
            "n_heldout": len(heldout),
            "n_task": len(task),
            "n_facts": len(world.facts),
            "topics": {
                "weak_base": topics[WEAK_TOPICS],
                "strong_base_and_broad": topics[GENERAL_TOPICS],
                "task": TASK_TOPIC,
            },
            "rater": {"weights": rater.WEIGHTS, "noise": rater.NOISE, "tie": rater.TIE},
        },
        "reference": reference,
        "aggregate": aggregate,
        "per_seed": {
            s: [{k: v for k, v in r.items() if k != "outputs_heldout"} for r in rows]
            for s, rows in per_seed.items()
        },
        "seconds": round(time.perf_counter() - started, 2),
    }
    metrics_path = workdir / "metrics.json"
    metrics_path.write_text(json.dumps(metrics_out, indent=2) + "\n")
    ratings_path = workdir / "ratings.jsonl"
    ratings_path.write_text("".join(json.dumps(r) + "\n" for r in ratings))
    plots = plot_all(aggregate, reference, workdir)
    report(1.0, f"done in {metrics_out['seconds']:.0f}s")
    return ExperimentResult(
        metrics={k: metrics_out[k] for k in ("reference", "aggregate", "seconds")},
        artifacts=[
            ArtifactOut(metrics_path, "metrics", metrics_path.name),
            ArtifactOut(ratings_path, "dataset", ratings_path.name),
            *(ArtifactOut(p, "plot", p.name) for p in plots),
        ],
    )


def _ratings(seed: int, heldout: list[Fact], ref_out: list[str], rows: list[dict], top: int) -> list[dict]:
    """Held-out prompts answered by the reference and the two broad imitation models with most data."""
    pick = {
        f"imitation-{r['base']}-broad-{top}": r["outputs_heldout"]
        for r in rows
        if r["kind"] == "broad" and r["amount"] == top
    }
    lines = []
    for i, fact in enumerate(heldout):
        for model, outs in {"reference": ref_out, **pick}.items():
            lines.append(
                {
                    "prompt_id": f"s{seed}-{fact.id}",
                    "prompt": prompt(fact),
                    "model": model,
                    "output": outs[i].strip(),
                }
            )
    return lines + _quality_control(seed, heldout[:2], ref_out[:2])


def _quality_control(seed: int, facts: list[Fact], ref_out: list[str]) -> list[dict]:
    """Silent gold pairs (the reference's answer against the same words scrambled, marked broken) and
    one attention check, so the dataset imports as a rating study with quality control built in."""
    lines = []
    for fact, out in zip(facts, ref_out, strict=True):
        base = {"prompt_id": f"gold-s{seed}-{fact.id}", "prompt": prompt(fact)}
        broken = " ".join(reversed(out.split())) or "???"
        lines.append({**base, "model": "reference", "output": out.strip()})
        lines.append({**base, "model": "scrambled", "output": broken, "gold": "broken"})
    check = {
        "prompt_id": f"attention-s{seed}",
        "prompt": "Attention check: whatever the answers say, choose 'Both are bad' (key 4).\n"
        + prompt(facts[0]),
        "attention": True,
        "expected": "both_bad",
    }
    lines.append({**check, "model": "reference", "output": ref_out[0].strip()})
    lines.append({**check, "model": "scrambled", "output": "It is. It is. It is."})
    return lines


def _aggregate(per_seed: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    keys = ("heldout_acc", "task_acc", "preference")
    first = next(iter(per_seed.values()))
    out = []
    for i, row in enumerate(first):
        runs = [rows[i] for rows in per_seed.values()]
        agg: dict[str, Any] = {"base": row["base"], "kind": row["kind"], "amount": row["amount"]}
        for key in keys:
            agg[key] = _seed_ci([r[key]["mean"] for r in runs])
            if len(runs) == 1:  # one seed: fall back on the bootstrap over prompts
                agg[key].update(lo=row[key]["lo"], hi=row[key]["hi"])
        for key in ("win", "tie", "loss", "style_rate"):
            agg[key] = round(float(np.mean([r[key] for r in runs])), 4)
        out.append(agg)
    return out


def plot_all(aggregate: list[dict[str, Any]], reference: dict[str, Any], workdir: Path) -> list[Path]:
    """Three figures, PNG and SVG each: rater preference, held-out accuracy, task-topic accuracy."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    specs = (
        (
            "preference",
            "rated as good as or better than reference",
            ("broad", "task"),
            None,
            "rater_preference",
        ),
        (
            "heldout_acc",
            "held-out facts: exact-match accuracy",
            ("broad", "task"),
            reference["heldout_acc"]["mean"],
            "heldout_accuracy",
        ),
        (
            "task_acc",
            f"task topic ({TASK_TOPIC}): exact-match accuracy",
            ("task", "broad"),
            reference["task_acc"]["mean"],
            "task_accuracy",
        ),
    )
    paths = []
    amounts = sorted({r["amount"] for r in aggregate if r["amount"] > 0})
    for key, title, kinds, ref_level, stem in specs:
        fig = Figure(figsize=(6.4, 4.2), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        for base, color in (("weak", "tab:orange"), ("strong", "tab:blue")):
            base_row = next(r for r in aggregate if r["base"] == base and r["kind"] == "base")
            ax.axhline(
                base_row[key]["mean"],
                color=color,
                linestyle=":",
                linewidth=1,
                label=f"{base} base (no imitation)",
            )
            for kind, style in zip(kinds, ("o-", "s--"), strict=True):
                rows = [r for r in aggregate if r["base"] == base and r["kind"] == kind]
                means = [r[key]["mean"] for r in rows]
                lo = [
                    r[key]["mean"] - (r[key]["lo"] if r[key]["lo"] is not None else r[key]["mean"])
                    for r in rows
                ]
                hi = [
                    (r[key]["hi"] if r[key]["hi"] is not None else r[key]["mean"]) - r[key]["mean"]
                    for r in rows
                ]
                ax.errorbar(
                    [r["amount"] for r in rows],
                    means,
                    yerr=[lo, hi],
                    fmt=style,
                    color=color,
                    capsize=3,
                    label=f"{base} + {kind} imitation",
                )
        if ref_level is not None:
            ax.axhline(ref_level, color="black", linestyle="-.", linewidth=1, label="reference model")
        else:
            parity = reference["parity"]
            ax.axhline(
                parity, color="black", linestyle="-.", linewidth=1, label="parity (reference vs itself)"
            )
        ax.set_xscale("log", base=2)
        ax.set_xticks(amounts, [str(a) for a in amounts])
        ax.set_xlabel("imitation examples")
        ax.set_ylim(-0.02, 1.05)
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best")
        fig.tight_layout()
        for suffix in (".png", ".svg"):
            path = workdir / f"{stem}{suffix}"
            fig.savefig(path)
            paths.append(path)
    return paths
