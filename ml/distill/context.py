"""Context distillation (Snell, Klein, Zhong 2022): move what a context does into the weights.

The teacher is a model conditioned on `teacher_context + input`; it writes `scratch-pad + answer`.
The student is a copy of the same model, fine-tuned to produce the answer from `input` alone:

* mode="hard": cross-entropy on the teacher's extracted answers;
* mode="soft": KL from the teacher's next-token distributions over the answer tokens (the teacher
  reads its own context and scratch-pad while scoring them), optionally compressed to its top k.

Works with any causal LM and its tokenizer. Prompts and answers are tokenised in pieces and joined as
ids, so the teacher and the student score exactly the same answer tokens. Inputs come from any
`InputSource`: a template generator, or samples from an LM (see `lm_inputs`).

    student, report = distill(model, tokenizer, "reverse:", ["abc>", "dcab>"], mode="soft")
"""

from __future__ import annotations

import copy
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from ml.lm.generate import sample

MODES = ("soft", "hard")
# split(completion) -> (scratch_pad, answer), or None when the teacher wrote no usable answer.
SplitFn = Callable[[str], "tuple[str, str] | None"]
# an input source: (how many, seed) -> that many input strings
InputSource = Callable[[int, int], list[str]]


def answer_only(completion: str) -> tuple[str, str] | None:
    """The default split: no scratch-pad, the whole completion is the answer."""
    return ("", completion) if completion else None


def template_inputs(make_one: Callable[[random.Random], str]) -> InputSource:
    """An input source from a function that builds one input from a seeded RNG."""

    def draw(n: int, seed: int) -> list[str]:
        rng = random.Random(seed)
        return [make_one(rng) for _ in range(n)]

    return draw


def lm_inputs(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompt: str,
    stop: str = "\n",
    max_new_tokens: int = 64,
    temperature: float = 1.0,
    keep: Callable[[str], bool] = bool,
) -> InputSource:
    """An input source that samples inputs from an LM after `prompt` (e.g. a few example inputs),
    cut at `stop`; samples that `keep` rejects (by default, empty ones) are dropped and redrawn."""

    def draw(n: int, seed: int) -> list[str]:
        found: list[str] = []
        for attempt in range(20):
            texts = sample(
                model,
                tokenizer,
                [prompt] * max(n - len(found), 1),
                max_new_tokens=max_new_tokens,
                temperature=temperature,
                stop=(stop,),
                seed=seed * 1000 + attempt,
            )
            found += [t[0] for t in texts if keep(t[0])]
            if len(found) >= n:
                return found[:n]
        raise ValueError(f"the LM gave only {len(found)} usable inputs of {n} after 20 rounds")

    return draw


@dataclass
class DistillReport:
    inputs: int
    used: int  # inputs for which the teacher produced an answer
    steps: int
    seconds: float
    losses: list[float] = field(default_factory=list)
    teacher_outputs: list[str] = field(default_factory=list)


def _ids(tokenizer: PreTrainedTokenizerBase, text: str, first: bool) -> list[int]:
    """Token ids of one piece; only the first piece of a sequence gets the tokenizer's specials (BOS)."""
    return tokenizer(text, add_special_tokens=first)["input_ids"] if text or first else []


@dataclass
class Example:
    student: list[int]  # input + answer (+ eos)
    teacher: list[int]  # teacher_context + input + scratch-pad + answer (+ eos)
    n_answer: int  # the last n_answer tokens of both are the answer


def build_examples(
    tokenizer: PreTrainedTokenizerBase,
    teacher_context: str,
    inputs: Sequence[str],
    splits: Sequence[tuple[str, str]],
    add_eos: bool = True,
) -> list[Example]:
    eos = [tokenizer.eos_token_id] if add_eos and tokenizer.eos_token_id is not None else []
    examples = []
    for x, (scratch, answer) in zip(inputs, splits, strict=True):
        answer_ids = _ids(tokenizer, answer, False) + eos
        student = _ids(tokenizer, x, True) + answer_ids
        teacher = _ids(tokenizer, teacher_context + x, True) + _ids(tokenizer, scratch, False) + answer_ids
        examples.append(Example(student, teacher, len(answer_ids)))
    return examples


def _pad(rows: Sequence[Sequence[int]], pad_id: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = torch.tensor(r)
        mask[i, : len(r)] = 1
    return ids.to(device), mask.to(device)


def answer_logits(
    model: PreTrainedModel, rows: Sequence[Sequence[int]], n_answer: Sequence[int], pad_id: int
):
    """Logits predicting each answer token, stacked over the batch: [sum(n_answer), vocab]."""
    ids, mask = _pad(rows, pad_id, model.device)
    logits = model(input_ids=ids, attention_mask=mask).logits
    picked = []
    for i, (row, n) in enumerate(zip(rows, n_answer, strict=True)):
        end = len(row) - 1  # position t predicts token t+1
        picked.append(logits[i, end - n : end])
    return torch.cat(picked)


def warmup_cosine(optimizer: torch.optim.Optimizer, steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up over the first 5% of steps, then cosine decay to zero: a jump straight to the
    peak rate can knock a trained model off its format for good (seen in distillation runs)."""
    warmup = max(1, steps // 20)

    def factor(step: int) -> float:
        return min(1.0, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(step, steps) / steps))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def soft_distill_loss(
    student_logits: torch.Tensor, teacher_logprobs: torch.Tensor, top_k: int = 0
) -> torch.Tensor:
    """Mean over positions of KL(teacher || student). With top_k > 0 the teacher keeps only its k most
    likely tokens, renormalised (the paper's compressed targets); the loss is then the cross-entropy
    to that truncated distribution minus its entropy, i.e. the KL with the truncated teacher."""
    student_logprobs = F.log_softmax(student_logits.float(), dim=-1)
    teacher_logprobs = teacher_logprobs.float()
    if top_k:
        values, index = teacher_logprobs.topk(min(top_k, teacher_logprobs.shape[-1]), dim=-1)
        values = values - torch.logsumexp(values, dim=-1, keepdim=True)
        p = values.exp()
        return (p * (values - student_logprobs.gather(-1, index))).sum(-1).mean()
    p = teacher_logprobs.exp()
    return (p * (teacher_logprobs - student_logprobs)).sum(-1).mean()


def hard_distill_loss(student_logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(student_logits.float(), targets)


def distill(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    teacher_context: str,
    inputs: Sequence[str],
    mode: str = "soft",
    split: SplitFn = answer_only,
    steps: int = 300,
    batch_size: int = 32,
    lr: float = 5e-4,
    top_k: int = 0,
    max_new_tokens: int = 64,
    temperature: float = 0.0,
    stop: Sequence[str] = (),
    seed: int = 0,
    teacher: PreTrainedModel | None = None,
    preserve: Sequence[tuple[str, str]] = (),
    preserve_share: float = 0.5,
    report: Callable[[float, str], None] | None = None,
) -> tuple[PreTrainedModel, DistillReport]:
    """Distil `teacher_context` into a copy of `model`; returns (student, report).

    The teacher is `model` itself (or `teacher`, e.g. an earlier student) conditioned on the context;
    `model` is not modified. `temperature` 0 means the teacher answers greedily.

    `preserve` lists (context, input) pairs whose current behaviour the student should keep: for them
    the student reads the same context as the teacher (self-distillation), and they fill
    `preserve_share` of every batch. Without them a small model forgets what it did with other contexts.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    if not inputs:
        raise ValueError("no inputs to distil on")
    if not 0 <= preserve_share < 1:
        raise ValueError("preserve_share must be in [0, 1)")
    started = time.perf_counter()
    teacher = teacher if teacher is not None else model
    prompts = [teacher_context + x for x in inputs] + [c + x for c, x in preserve]
    answers = [
        texts[0]
        for texts in sample(
            teacher,
            tokenizer,
            prompts,
            max_new_tokens=max_new_tokens,
            temperature=temperature,
            stop=tuple(stop),
            seed=seed,
        )
    ]
    outputs, kept_outputs = answers[: len(inputs)], answers[len(inputs) :]
    kept = [(x, s) for x, out in zip(inputs, outputs, strict=True) if (s := split(out)) is not None]
    if not kept:
        raise ValueError("the teacher produced no usable answer for any input")
    examples = build_examples(tokenizer, teacher_context, [x for x, _ in kept], [s for _, s in kept])
    # Preserved pairs: the student sees the context too, so its ids equal the teacher's.
    kept_pairs = [(c + x, s) for (c, x), out in zip(preserve, kept_outputs, strict=True) if (s := split(out))]
    preserved = build_examples(tokenizer, "", [p for p, _ in kept_pairs], [s for _, s in kept_pairs])
    n_preserved = min(round(batch_size * preserve_share), batch_size - 1) if preserved else 0
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    student = copy.deepcopy(model)
    student.train()
    teacher.eval()
    optimizer = torch.optim.AdamW(student.parameters(), lr=lr, weight_decay=0.0)
    schedule = warmup_cosine(optimizer, steps)
    rng = random.Random(seed)
    losses = []
    for step in range(steps):
        batch = rng.sample(examples, min(batch_size - n_preserved, len(examples)))
        batch += rng.sample(preserved, min(n_preserved, len(preserved)))
        logits = answer_logits(student, [e.student for e in batch], [e.n_answer for e in batch], pad_id)
        if mode == "soft":
            with torch.no_grad():
                teacher_logits = answer_logits(
                    teacher, [e.teacher for e in batch], [e.n_answer for e in batch], pad_id
                )
            loss = soft_distill_loss(logits, F.log_softmax(teacher_logits.float(), dim=-1), top_k)
        else:
            targets = torch.tensor([t for e in batch for t in e.student[-e.n_answer :]], device=logits.device)
            loss = hard_distill_loss(logits, targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(student.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        losses.append(round(loss.item(), 5))
        if report is not None and (step % 25 == 0 or step == steps - 1):
            report((step + 1) / steps, f"distil step {step + 1}/{steps} loss {losses[-1]:.4f}")
    student.eval()
    return student, DistillReport(
        inputs=len(inputs),
        used=len(examples),
        steps=steps,
        seconds=round(time.perf_counter() - started, 2),
        losses=losses,
        teacher_outputs=outputs,
    )
