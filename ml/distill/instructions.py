"""Instruction internalisation (context distillation, experiment 2).

A tiny model learns four string tasks, each selected by an instruction written before the input:

    reverse:cfabd>dbafc      sort:cfabd>abcdf      skip:cfabd>cad      shift:cfabd>dgbce

Distillation then moves one instruction into the weights: the student sees only `cfabd>` and should
do what the teacher did after `reverse:` (soft targets: the teacher's next-token distributions). A
second distillation, from the student itself prompted with another instruction, overwrites the first.
After each stage we measure, on held-out inputs:

* the internalised task with no instruction, against the teacher with its instruction;
* the task it replaced, with no instruction (overwriting should erase it);
* every task with its instruction (how much of the instruction-following the student keeps).

A tiny model fine-tuned on bare inputs alone forgets how to follow every instruction (measured: 0%
instructed accuracy after one distillation). `preserve_share` (default 0.5) fills that share of each
distillation batch with instructed inputs self-distilled from the teacher, which keeps them; 0 gives
pure context distillation.
"""

from __future__ import annotations

import json
import random
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

LETTERS = "abcdefgh"
SHIFT = {c: LETTERS[(i + 1) % len(LETTERS)] for i, c in enumerate(LETTERS)}
TASKS = {
    "reverse": lambda s: s[::-1],
    "sort": lambda s: "".join(sorted(s)),
    "skip": lambda s: s[::2],
    "shift": lambda s: "".join(SHIFT[c] for c in s),
}
SEP = ">"
ALPHABET = LETTERS + SEP + ":" + "".join(TASKS)
MAX_LEN = 8
# preset=smoke: the whole pipeline in under a minute.
SMOKE = {"train_size": 400, "test_size": 40, "distill_inputs": 100, "steps": 150, "distill_steps": 30}


def random_input(rng: random.Random) -> str:
    return "".join(rng.choice(LETTERS) for _ in range(rng.randint(3, MAX_LEN))) + SEP


def instruction(task: str) -> str:
    return f"{task}:"


def accuracy(model, tokenizer, task: str, inputs: list[str], instructed: bool) -> float:
    from ml.distill.supervised import greedy

    prefix = instruction(task) if instructed else ""
    outputs = greedy(model, tokenizer, [prefix + x for x in inputs], MAX_LEN + 2)
    return float(np.mean([out == TASKS[task](x[:-1]) for x, out in zip(inputs, outputs, strict=True)]))


def measure(model, tokenizer, test: list[str]) -> dict[str, dict[str, float]]:
    """Accuracy on every task with its instruction, and with none."""
    return {
        "instructed": {t: accuracy(model, tokenizer, t, test, True) for t in TASKS},
        "bare": {t: accuracy(model, tokenizer, t, test, False) for t in TASKS},
    }


def run_seed(params: dict[str, Any], seed: int, report: ProgressFn) -> dict[str, Any]:
    from ml.distill.context import distill, template_inputs
    from ml.distill.supervised import tiny_char_model, train_pairs
    from ml.lm.seeding import seed_everything

    first, second = params["first"], params["second"]
    rng = random.Random(seed)
    test = [random_input(rng) for _ in range(params["test_size"])]
    held_out = set(test)
    pairs = []
    while len(pairs) < params["train_size"]:
        x = random_input(rng)
        if x not in held_out:
            task = rng.choice(list(TASKS))
            pairs.append((instruction(task) + x, TASKS[task](x[:-1])))
    seed_everything(seed)
    model, tok = tiny_char_model(
        ALPHABET, params["n_layer"], params["n_embd"], params["n_head"], block_size=64
    )
    started = time.perf_counter()
    train_pairs(
        model, tok, pairs, params["steps"], params["batch_size"], params["lr"], seed, scaled(report, 0, 0.6)
    )
    seconds = {"base": round(time.perf_counter() - started, 1)}
    # Unlabelled inputs for distillation, drawn from the same template (never the test inputs).
    draw = template_inputs(random_input)
    stages = {"base": measure(model, tok, test)}
    student = model
    for k, task in enumerate((first, second)):
        inputs = [x for x in draw(params["distill_inputs"], seed * 10 + k + 1) if x not in held_out]
        # With preserve_share > 0, every instructed task keeps its current behaviour (self-distilled).
        tasks = list(TASKS)
        preserve = [(instruction(tasks[i % len(tasks)]), x) for i, x in enumerate(inputs[: len(inputs) // 2])]
        student, distilled = distill(
            student,
            tok,
            instruction(task),
            inputs,
            mode="soft",
            top_k=params["top_k"],
            steps=params["distill_steps"],
            batch_size=params["batch_size"],
            lr=params["distill_lr"],
            max_new_tokens=MAX_LEN + 2,
            seed=seed,
            preserve=preserve if params["preserve_share"] > 0 else (),
            preserve_share=params["preserve_share"],
            report=scaled(report, 0.6 + 0.2 * k, 0.8 + 0.2 * k),
        )
        seconds[f"distill_{task}"] = distilled.seconds
        stages[f"after_{task}"] = measure(student, tok, test)
    return {"seed": seed, "stages": stages, "seconds": seconds}


def summarise(runs: list[dict[str, Any]], first: str, second: str) -> dict[str, Any]:
    """Means over seeds of every measurement, plus the headline ratios."""

    def mean(path):
        values = []
        for r in runs:
            node = r["stages"]
            for key in path:
                node = node[key]
            values.append(node)
        return round(float(np.mean(values)), 4)

    stages = {
        stage: {kind: {t: mean((stage, kind, t)) for t in TASKS} for kind in ("instructed", "bare")}
        for stage in runs[0]["stages"]
    }
    others = [t for t in TASKS if t != first]
    after_first, after_second = stages[f"after_{first}"], stages[f"after_{second}"]
    teacher_first = stages["base"]["instructed"][first]
    teacher_second = after_first["instructed"][second]
    return {
        "stages": stages,
        "first": {
            "task": first,
            "teacher": teacher_first,
            "student_bare": after_first["bare"][first],
            "ratio": round(after_first["bare"][first] / teacher_first, 3) if teacher_first else None,
            "retention_instructed_others": {
                t: {"before": stages["base"]["instructed"][t], "after": after_first["instructed"][t]}
                for t in others
            },
        },
        "second": {
            "task": second,
            "teacher": teacher_second,
            "student_bare": after_second["bare"][second],
            "ratio": round(after_second["bare"][second] / teacher_second, 3) if teacher_second else None,
            "first_task_bare_after_overwrite": after_second["bare"][first],
        },
    }


def plot(summary: dict[str, Any], out_stem: Path) -> list[Path]:
    """Bars per stage: each task with no instruction (hatched) and with its instruction (solid)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    stages = list(summary["stages"])
    tasks = list(TASKS)
    fig = Figure(figsize=(8, 4.2), dpi=100)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(stages), sharey=True)
    width = 0.38
    for ax, stage in zip(axes, stages, strict=True):
        data = summary["stages"][stage]
        xs = np.arange(len(tasks))
        ax.bar(xs - width / 2, [data["instructed"][t] for t in tasks], width, label="with instruction")
        ax.bar(xs + width / 2, [data["bare"][t] for t in tasks], width, hatch="//", label="no instruction")
        ax.set_xticks(xs, tasks, rotation=30)
        ax.set_title(stage.replace("_", " "))
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("exact-match accuracy")
    axes[0].legend(fontsize=8)
    fig.suptitle("Instruction internalisation: distil one instruction, then overwrite it")
    fig.tight_layout()
    return save_figure(fig, out_stem)


def run(params: dict[str, Any], workdir: Path, report: ProgressFn) -> ExperimentResult:
    """Entry point of distill.instructions (registered in ml.catalog)."""
    params = with_preset(params, SMOKE)
    seeds = parse_seeds(params["seeds"])
    for field in ("first", "second"):
        if params[field] not in TASKS:
            raise ParamError(field, f"unknown task {params[field]!r}; known: {', '.join(TASKS)}")
    if params["first"] == params["second"]:
        raise ParamError("second", "must differ from first (it overwrites it)")
    if params["n_embd"] % params["n_head"]:
        raise ParamError("n_head", f"must divide n_embd ({params['n_embd']})")
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    runs = [
        run_seed(params, seed, scaled(report, i / len(seeds), (i + 1) / len(seeds)))
        for i, seed in enumerate(seeds)
    ]
    summary = summarise(runs, params["first"], params["second"])
    metrics = {**summary, "runs": runs, "seconds": round(time.perf_counter() - started, 1), "params": params}
    metrics_path = workdir / "metrics.json"
    metrics_path.write_text(json.dumps(metrics, indent=2) + "\n")
    plots = plot(summary, workdir / "instruction_internalisation")
    first = summary["first"]
    report(1.0, f"{first['task']}: student {first['student_bare']:.2f} vs teacher {first['teacher']:.2f}")
    return ExperimentResult(
        metrics={k: metrics[k] for k in ("first", "second", "stages", "seconds")},
        artifacts=[
            ArtifactOut(metrics_path, "metrics", metrics_path.name),
            *(ArtifactOut(p, "plot", p.name) for p in plots),
        ],
    )
