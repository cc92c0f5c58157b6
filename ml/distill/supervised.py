"""The tiny-model plumbing the context-distillation experiments share: a character tokenizer over a
fixed alphabet, a fresh tiny GPT-2, supervised training on (prompt, target) pairs with the loss on the
target only, and batched greedy answering."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from ml.distill.context import Example, answer_logits, build_examples, hard_distill_loss, warmup_cosine
from ml.lm.generate import sample
from ml.lm.models import max_positions, tiny_gpt2
from ml.lm.tokenizers import char_tokenizer


def tiny_char_model(
    alphabet: str, n_layer: int, n_embd: int, n_head: int, block_size: int
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    tokenizer = char_tokenizer([alphabet])
    model = tiny_gpt2(
        len(tokenizer),
        n_layer=n_layer,
        n_embd=n_embd,
        n_head=n_head,
        block_size=block_size,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    return model, tokenizer


def train_pairs(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    pairs: Sequence[tuple[str, str]],
    steps: int,
    batch_size: int = 32,
    lr: float = 1e-3,
    seed: int = 0,
    report: Callable[[float, str], None] | None = None,
) -> list[float]:
    """Teacher-forced cross-entropy on each target (and its EOS) given its prompt, with a linear warm-up
    and cosine decay; returns the loss per step. The prompt's tokens carry no loss."""
    examples = build_examples(tokenizer, "", [p for p, _ in pairs], [("", t) for _, t in pairs])
    window = max_positions(model)
    if window is not None:  # a prompt too long for the model loses its oldest tokens, never the target
        examples = [_fit_window(e, window) for e in examples]
    pad_id = tokenizer.pad_token_id
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01, betas=(0.9, 0.98))
    schedule = warmup_cosine(optimizer, steps)
    rng = random.Random(seed)
    model.train()
    losses = []
    for step in range(steps):
        batch = rng.sample(examples, min(batch_size, len(examples)))
        logits = answer_logits(model, [e.student for e in batch], [e.n_answer for e in batch], pad_id)
        targets = torch.tensor([t for e in batch for t in e.student[-e.n_answer :]], device=logits.device)
        loss = hard_distill_loss(logits, targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        losses.append(loss.item())
        if report is not None and (step % 50 == 0 or step == steps - 1):
            report((step + 1) / steps, f"step {step + 1}/{steps} loss {losses[-1]:.4f}")
    model.eval()
    return losses


def _fit_window(example: Example, window: int) -> Example:
    if len(example.student) <= window:
        return example
    n_answer = min(example.n_answer, window - 1)
    return Example(example.student[-window:], example.teacher, n_answer)


def greedy(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, prompts: Sequence[str], max_new_tokens: int
) -> list[str]:
    """Greedy completions (up to EOS), batched."""
    return [
        t[0]
        for t in sample(
            model, tokenizer, list(prompts), max_new_tokens=max_new_tokens, temperature=0.0, batch_size=256
        )
    ]
