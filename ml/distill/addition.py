"""Scratch-pad internalisation on 8-digit addition (context distillation, experiment 1).

A tiny model learns addition from labelled problems written with an instruction and a digit-by-digit
scratch-pad (the teacher). Distillation then teaches the same weights to answer directly, with no
instruction and no scratch-pad, from the teacher's extracted answers on unlabelled problems (hard
labels, as in the paper). Three systems are compared on held-out problems of 1-8 digits:

    teacher  instruction + problem -> scratch-pad + answer
    direct   the same architecture trained from scratch on the teacher's labelled problems, directly
    student  the teacher's weights after distillation, answering directly

Formats (operands zero-padded to 8 digits, so every digit sits at a fixed place):

    problem      03141592+27182818=
    scratch-pad  2+8+0=10;9+1+1=11;...;0+0+0=00;ans=       (rightmost digit first: a+b+carry=carry,digit)
    answer       014423030      answer_order="lsb" (default): the sum's 9 digits, least significant first
                 030324410      answer_order="msb": as usually written

Why least significant first by default: written that way, each answer digit depends only on nearby
operand digits and the digit before it, which a tiny model can learn directly given enough examples.
Most-significant-first needs a carry look-ahead over all lower digits; at this scale neither direct
training nor distillation learns it in minutes (the teacher still does, with its scratch-pad).
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

WIDTH = 8
INSTRUCTION = "step by step:"
ALPHABET = "0123456789+=;ans:" + INSTRUCTION
ANSWER_MARK = "ans="


def operands(rng: random.Random, digits: int) -> tuple[int, int]:
    """Two operands with exactly `digits` digits each (1-digit operands may be 0)."""
    low = 0 if digits == 1 else 10 ** (digits - 1)
    return rng.randrange(low, 10**digits), rng.randrange(low, 10**digits)


def problem(a: int, b: int) -> str:
    return f"{a:0{WIDTH}d}+{b:0{WIDTH}d}="


ORDERS = ("lsb", "msb")


def answer(a: int, b: int, order: str = "lsb") -> str:
    digits = f"{a + b:0{WIDTH + 1}d}"
    return digits[::-1] if order == "lsb" else digits


def scratchpad(a: int, b: int) -> str:
    """One step per digit, rightmost first: `x+y+carry_in=carry_out digit;`, then the answer mark."""
    xs, ys = f"{a:0{WIDTH}d}"[::-1], f"{b:0{WIDTH}d}"[::-1]
    steps, carry = [], 0
    for x, y in zip(xs, ys, strict=True):
        total = int(x) + int(y) + carry
        steps.append(f"{x}+{y}+{carry}={total:02d};")
        carry = total // 10
    return "".join(steps) + ANSWER_MARK


def split_scratchpad(completion: str) -> tuple[str, str] | None:
    """(scratch-pad up to and including the answer mark, answer), or None without a well-formed answer."""
    cut = completion.rfind(ANSWER_MARK)
    if cut < 0:
        return None
    digits = completion[cut + len(ANSWER_MARK) :]
    if len(digits) != WIDTH + 1 or not digits.isdigit():
        return None
    return completion[: cut + len(ANSWER_MARK)], digits


def parse_scratchpad(text: str) -> tuple[list[tuple[int, int, int, int]], str]:
    """The steps (x, y, carry_in, total) and the answer of a teacher completion; ValueError if malformed."""
    parts = split_scratchpad(text)
    if parts is None:
        raise ValueError(f"no answer after {ANSWER_MARK!r} in {text!r}")
    scratch, digits = parts
    steps = []
    for step in scratch[: -len(ANSWER_MARK)].split(";")[:-1]:
        left, total = step.split("=")
        x, y, carry = left.split("+")
        steps.append((int(x), int(y), int(carry), int(total)))
    return steps, digits


def parse_answer(text: str, order: str = "lsb") -> int | None:
    text = text.strip()
    if not text.isdigit():
        return None
    return int(text[::-1] if order == "lsb" else text)


def draw_problems(rng: random.Random, n: int, exclude: set[tuple[int, int]]) -> list[tuple[int, int]]:
    """n problems, digit counts uniform over 1-8, none of them in `exclude` (the test problems)."""
    found = []
    while len(found) < n:
        ab = operands(rng, rng.randint(1, WIDTH))
        if ab not in exclude:
            found.append(ab)
    return found


def held_out_problems(
    rng: random.Random, per_digit: int
) -> tuple[list[tuple[int, int]], set[tuple[int, int]]]:
    """`per_digit` problems for each digit count, and the set training must avoid. Only 100 one-digit
    problems exist, so those are not withheld from training; all longer ones are."""
    found = [operands(rng, d) for d in range(1, WIDTH + 1) for _ in range(per_digit)]
    return found, {ab for ab in found if n_digits(*ab) > 1}


def n_digits(a: int, b: int) -> int:
    return max(len(str(a)), len(str(b)))


def accuracy_by_digits(problems: list[tuple[int, int]], answers: list[int | None]) -> dict[int, float]:
    hits: dict[int, list[bool]] = {}
    for (a, b), got in zip(problems, answers, strict=True):
        hits.setdefault(n_digits(a, b), []).append(got == a + b)
    return {d: float(np.mean(v)) for d, v in sorted(hits.items())}


def run_seed(params: dict[str, Any], seed: int, report: ProgressFn) -> dict[str, Any]:
    """Train the teacher and the direct baseline, distil the student; score all three."""
    from ml.distill.context import distill
    from ml.distill.supervised import greedy, tiny_char_model, train_pairs
    from ml.lm.seeding import seed_everything

    rng = random.Random(seed)
    test, seen = held_out_problems(rng, params["test_per_digit"])
    labelled = draw_problems(rng, params["labelled"], seen)
    unlabelled = draw_problems(rng, params["unlabelled"], seen)
    size = dict(n_layer=params["n_layer"], n_embd=params["n_embd"], n_head=params["n_head"], block_size=128)
    train = dict(batch_size=params["batch_size"], lr=params["lr"], seed=seed)
    times = {}

    started = time.perf_counter()
    seed_everything(seed)
    teacher, tok = tiny_char_model(ALPHABET, **size)
    order = params["answer_order"]
    teacher_pairs = [
        (INSTRUCTION + problem(a, b), scratchpad(a, b) + answer(a, b, order)) for a, b in labelled
    ]
    train_pairs(teacher, tok, teacher_pairs, params["steps"], report=scaled(report, 0.0, 0.4), **train)
    times["teacher"] = time.perf_counter() - started

    started = time.perf_counter()
    seed_everything(seed)
    direct, _ = tiny_char_model(ALPHABET, **size)
    direct_pairs = [(problem(a, b), answer(a, b, order)) for a, b in labelled]
    train_pairs(direct, tok, direct_pairs, params["steps"], report=scaled(report, 0.4, 0.7), **train)
    times["direct"] = time.perf_counter() - started

    student, distilled = distill(
        teacher,
        tok,
        INSTRUCTION,
        [problem(a, b) for a, b in unlabelled],
        mode=params["mode"],
        split=split_scratchpad,
        steps=params["distill_steps"],
        batch_size=params["batch_size"],
        lr=params["distill_lr"],
        max_new_tokens=96,
        seed=seed,
        report=scaled(report, 0.7, 0.95),
    )
    times["distill"] = distilled.seconds

    prompts = [problem(a, b) for a, b in test]
    teacher_out = greedy(teacher, tok, [INSTRUCTION + p for p in prompts], 96)
    teacher_answers = [parse_answer(s[1], order) if (s := split_scratchpad(t)) else None for t in teacher_out]
    answers = {
        "teacher": teacher_answers,
        "direct": [parse_answer(t, order) for t in greedy(direct, tok, prompts, WIDTH + 2)],
        "student": [parse_answer(t, order) for t in greedy(student, tok, prompts, WIDTH + 2)],
    }
    return {
        "seed": seed,
        "accuracy": {name: accuracy_by_digits(test, got) for name, got in answers.items()},
        "correct": {
            name: {
                str(d): [int(g == a + b) for (a, b), g in zip(test, got, strict=True) if n_digits(a, b) == d]
                for d in range(1, WIDTH + 1)
            }
            for name, got in answers.items()
        },
        "teacher_answer_rate": distilled.used / distilled.inputs,
        "seconds": {k: round(v, 1) for k, v in times.items()},
    }


SYSTEMS = ("teacher", "direct", "student")
# preset=smoke: the whole pipeline in about two minutes (teacher accuracy is then low).
SMOKE = {"labelled": 300, "unlabelled": 300, "test_per_digit": 10, "steps": 150, "distill_steps": 30}


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per system and digit count: mean accuracy over seeds and a bootstrap CI over the pooled problems."""
    from ml.stats import bootstrap_ci

    table: dict[str, dict[str, Any]] = {}
    for name in SYSTEMS:
        table[name] = {}
        for d in range(1, WIDTH + 1):
            pooled = np.array([c for r in runs for c in r["correct"][name][str(d)]], dtype=float)
            ci = bootstrap_ci(pooled, np.mean, n_boot=1000, seed=0)
            table[name][str(d)] = {
                "mean": round(float(np.mean([r["accuracy"][name][d] for r in runs])), 4),
                "ci_low": round(ci.ci_low, 4),
                "ci_high": round(ci.ci_high, 4),
            }
    eight = {name: table[name][str(WIDTH)]["mean"] for name in SYSTEMS}
    return {
        "by_digits": table,
        "eight_digit": eight,
        "student_over_teacher_8": round(eight["student"] / eight["teacher"], 3) if eight["teacher"] else None,
        "student_minus_direct_8_points": round(100 * (eight["student"] - eight["direct"]), 1),
    }


def plot(summary: dict[str, Any], out_stem: Path) -> list[Path]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.2), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    digits = list(range(1, WIDTH + 1))
    labels = {
        "teacher": "teacher (instruction + scratch-pad)",
        "direct": "direct training on the labelled problems",
        "student": "distilled student (direct answer)",
    }
    for name in SYSTEMS:
        rows = [summary["by_digits"][name][str(d)] for d in digits]
        ax.plot(digits, [r["mean"] for r in rows], marker="o", label=labels[name])
        ax.fill_between(digits, [r["ci_low"] for r in rows], [r["ci_high"] for r in rows], alpha=0.2)
    ax.set_xlabel("digits per operand")
    ax.set_ylabel("exact-match accuracy")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("Scratch-pad internalisation on addition")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return save_figure(fig, out_stem)


def run(params: dict[str, Any], workdir: Path, report: ProgressFn) -> ExperimentResult:
    """Entry point of distill.addition (registered in ml.catalog)."""

    params = with_preset(params, SMOKE)
    seeds = parse_seeds(params["seeds"])
    if params["n_embd"] % params["n_head"]:
        raise ParamError("n_head", f"must divide n_embd ({params['n_embd']})")
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    runs = []
    for i, seed in enumerate(seeds):
        runs.append(run_seed(params, seed, scaled(report, i / len(seeds), (i + 1) / len(seeds))))
    summary = summarise(runs)
    metrics = {
        **summary,
        "runs": [{k: v for k, v in r.items() if k != "correct"} for r in runs],
        "seconds": round(time.perf_counter() - started, 1),
        "params": params,
    }
    metrics_path = workdir / "metrics.json"
    metrics_path.write_text(json.dumps(metrics, indent=2) + "\n")
    plots = plot(summary, workdir / "accuracy_by_digits")
    report(
        1.0,
        f"8 digits: teacher {summary['eight_digit']['teacher']:.2f}, "
        f"direct {summary['eight_digit']['direct']:.2f}, student {summary['eight_digit']['student']:.2f}",
    )
    return ExperimentResult(
        metrics={
            k: metrics[k]
            for k in (
                "eight_digit",
                "student_over_teacher_8",
                "student_minus_direct_8_points",
                "by_digits",
                "seconds",
            )
        },
        artifacts=[
            ArtifactOut(metrics_path, "metrics", metrics_path.name),
            *(ArtifactOut(p, "plot", p.name) for p in plots),
        ],
    )
