"""Process and outcome reward models: a tiny causal transformer with a scalar head read at step ends.

A PRM predicts, at the end of every step, the probability that the solution so far still leads to the
right answer. Its labels come from one of:

- `mc_step_labels`: Monte Carlo soft labels, the share of policy rollouts from each step prefix that
  reach the right answer (Math-Shepherd style, no human labels);
- `oracle_step_labels`: exact labels from the domain's step checker (an upper bound).

An ORM is the same model trained only on the last position, labelled by final-answer correctness.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import nn
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from ml.lm.generate import sample
from ml.search.tasks import ArithmeticChains, Problem


@dataclass
class Labelled:
    prompt: str
    steps: list[str]  # each step's text as sampled (every step but the last ends with a newline)
    labels: list[float]  # one per step, in [0, 1]


class StepScorer(nn.Module):
    def __init__(self, backbone: PreTrainedModel):
        super().__init__()
        self.backbone = backbone
        self.head = nn.Linear(backbone.config.n_embd, 1)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """A logit at every position, shape (batch, T)."""
        out = self.backbone(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True)
        return self.head(out.hidden_states[-1]).squeeze(-1)


def split_steps(solution: str) -> list[str]:
    """A solution's steps, each keeping its trailing newline (so prefixes rebuild the exact text)."""
    return [line for line in solution.splitlines(keepends=True) if line.strip()]


def encode(
    tokenizer: PreTrainedTokenizerBase, prompt: str, steps: Sequence[str]
) -> tuple[list[int], list[int]]:
    """Token ids of prompt + steps, and the index of each step's last token (where it is scored)."""
    return encode_rows(tokenizer, [(prompt, steps)])[0]


def encode_rows(
    tokenizer: PreTrainedTokenizerBase, rows: Sequence[tuple[str, Sequence[str]]]
) -> list[tuple[list[int], list[int]]]:
    """`encode` for every row. Rows share most of their text (one prompt, sibling candidates' steps), so
    each distinct string is tokenised once, in one call, rather than once per row and step."""
    texts = list(dict.fromkeys(t for prompt, steps in rows for t in (prompt, *steps)))
    known = dict(zip(texts, tokenizer(texts, add_special_tokens=False)["input_ids"], strict=True))
    encoded = []
    for prompt, steps in rows:
        ids = [tokenizer.bos_token_id, *known[prompt]]
        ends = []
        for step in steps:
            ids += known[step]
            ends.append(len(ids) - 1)
        encoded.append((ids, ends))
    return encoded


def _batch(
    tokenizer: PreTrainedTokenizerBase, rows: Sequence[tuple[str, Sequence[str]]], device: torch.device
) -> tuple[torch.Tensor, torch.Tensor, list[list[int]]]:
    encoded = encode_rows(tokenizer, rows)
    width = max(len(ids) for ids, _ in encoded)
    pad = tokenizer.pad_token_id
    input_ids = torch.tensor([ids + [pad] * (width - len(ids)) for ids, _ in encoded], device=device)
    mask = torch.tensor([[1] * len(ids) + [0] * (width - len(ids)) for ids, _ in encoded], device=device)
    return input_ids, mask, [ends for _, ends in encoded]


def oracle_step_labels(domain: ArithmeticChains, problem: Problem, steps: Sequence[str]) -> list[float]:
    clean = [s.strip() for s in steps]
    return [float(domain.step_correct(problem, clean, i)) for i in range(len(steps))]


def mc_step_labels(
    policy: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    domain: ArithmeticChains,
    items: Sequence[tuple[Problem, list[str]]],
    rollouts: int = 8,
    seed: int = 0,
    batch_size: int = 256,
) -> list[list[float]]:
    """For each (problem, steps): the share of `rollouts` continuations from each step prefix that end
    at the right answer. The last step is the answer itself, labelled by its correctness."""
    prefixes, owners = [], []
    for i, (problem, steps) in enumerate(items):
        for j in range(len(steps) - 1):
            prefixes.append(domain.prompt(problem) + "".join(steps[: j + 1]))
            owners.append((i, j))
    continuations = sample(
        policy, tokenizer, prefixes, max_new_tokens=120, temperature=1.0, seed=seed,
        batch_size=batch_size, num_return_sequences=rollouts,
    )  # fmt: skip
    labels = [[0.0] * len(steps) for _, steps in items]
    for (i, j), texts in zip(owners, continuations, strict=True):
        problem, steps = items[i]
        prefix = "".join(steps[: j + 1])
        labels[i][j] = sum(domain.answer(prefix + t) == problem.answer for t in texts) / rollouts
    for i, (problem, steps) in enumerate(items):
        labels[i][-1] = float(domain.answer("".join(steps)) == problem.answer)
    return labels


@dataclass
class TrainLog:
    losses: list[float]  # training loss per step
    best_step: int  # the step whose weights were kept (the last, without validation data)
    validation_losses: dict[int, float]  # held-out loss at each checkpoint


def _loss(
    scorer: StepScorer, tokenizer: PreTrainedTokenizerBase, batch: Sequence[Labelled], outcome_only: bool
) -> torch.Tensor:
    """Binary cross-entropy against (soft) labels at every step end, or at the last one for an ORM."""
    device = next(scorer.parameters()).device
    input_ids, mask, ends = _batch(tokenizer, [(d.prompt, d.steps) for d in batch], device)
    logits = scorer(input_ids, mask)
    rows, cols, targets = [], [], []
    for r, (item, item_ends) in enumerate(zip(batch, ends, strict=True)):
        picked = [len(item_ends) - 1] if outcome_only else range(len(item_ends))
        for k in picked:
            rows.append(r)
            cols.append(item_ends[k])
            targets.append(item.labels[k])
    return nn.functional.binary_cross_entropy_with_logits(
        logits[rows, cols], torch.tensor(targets, device=device)
    )


@torch.no_grad()
def _validation_loss(
    scorer: StepScorer, tokenizer: PreTrainedTokenizerBase, data: Sequence[Labelled], outcome_only: bool
) -> float:
    scorer.eval()
    total, count = 0.0, 0
    for start in range(0, len(data), 256):
        chunk = data[start : start + 256]
        total += _loss(scorer, tokenizer, chunk, outcome_only).item() * len(chunk)
        count += len(chunk)
    scorer.train()
    return total / count


def train_scorer(
    scorer: StepScorer,
    tokenizer: PreTrainedTokenizerBase,
    data: Sequence[Labelled],
    outcome_only: bool = False,
    steps: int = 1000,
    batch_size: int = 64,
    lr: float = 1e-3,
    seed: int = 0,
    report: Callable[[float, str], None] | None = None,
    validation: Sequence[Labelled] = (),
    eval_every: int = 50,
) -> TrainLog:
    """Train a PRM (or, with `outcome_only`, an ORM). With `validation` data, the held-out loss is
    checked every `eval_every` steps and the weights of the best checkpoint are kept (early stopping:
    Monte Carlo labels are noisy, and a PRM fitted to their noise ranks solutions worse)."""
    if not data:
        raise ValueError("no labelled solutions to train on")
    rng = random.Random(seed)
    data, validation = list(data), list(validation)  # once, not at every step
    optimizer = torch.optim.AdamW(scorer.parameters(), lr=lr, weight_decay=0.01)
    log = TrainLog(losses=[], best_step=steps, validation_losses={})
    best_state = None
    scorer.train()
    for step in range(1, steps + 1):
        loss = _loss(scorer, tokenizer, rng.sample(data, min(batch_size, len(data))), outcome_only)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        log.losses.append(loss.item())
        if validation and (step % eval_every == 0 or step == steps):
            log.validation_losses[step] = _validation_loss(scorer, tokenizer, validation, outcome_only)
            if best_state is None or log.validation_losses[step] < log.validation_losses[log.best_step]:
                log.best_step = step
                best_state = {k: v.detach().clone() for k, v in scorer.state_dict().items()}
        if report is not None and (step % 50 == 1 or step == steps):
            report(step / steps, f"step {step}/{steps} loss {log.losses[-1]:.4f}")
    if best_state is not None:
        scorer.load_state_dict(best_state)
    scorer.eval()
    return log


@torch.no_grad()
def score_steps(
    scorer: StepScorer,
    tokenizer: PreTrainedTokenizerBase,
    rows: Sequence[tuple[str, Sequence[str]]],
    batch_size: int = 256,
) -> list[list[float]]:
    """P(on track) at every step end of every (prompt, steps) row, batched."""
    from ml.lm.models import max_positions

    device = next(scorer.parameters()).device
    window = max_positions(scorer.backbone) or 1 << 30
    scorer.eval()
    out: list[list[float]] = []
    for start in range(0, len(rows), batch_size):
        chunk = rows[start : start + batch_size]
        input_ids, mask, ends = _batch(tokenizer, chunk, device)
        probs = torch.sigmoid(scorer(input_ids[:, :window], mask[:, :window])).tolist()
        # a step ending past the PRM's window (a rambling solution) cannot be read, so it scores 0
        out.extend([[probs[r][e] if e < window else 0.0 for e in row] for r, row in enumerate(ends)])
    return out
