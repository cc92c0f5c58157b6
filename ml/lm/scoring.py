"""Log-probabilities of continuations given prompts, many pairs per padded forward pass."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from ml.lm.models import max_positions


def encode_pair(
    tokenizer: PreTrainedTokenizerBase, prompt: str, continuation: str
) -> tuple[list[int], list[int]]:
    """Token ids of the prompt and of the continuation, such that prompt + continuation is scored.

    The pair is encoded as one string and split where the prompt's own encoding ends, so the
    continuation is tokenized as it would be in running text. If the joint encoding does not start
    with the prompt's (a merge across the boundary), the two are encoded separately instead.
    """
    context = tokenizer(prompt, add_special_tokens=True)["input_ids"]
    whole = tokenizer(prompt + continuation, add_special_tokens=True)["input_ids"]
    if whole[: len(context)] == context:
        cont = whole[len(context) :]
    else:
        cont = tokenizer(continuation, add_special_tokens=False)["input_ids"]
    if not context:
        start = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
        if start is None:
            raise ValueError("empty prompt and the tokenizer has no bos/eos token to condition on")
        context = [start]  # the first continuation token needs something to be predicted from
    return context, cont


def continuation_token_logprobs(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: Sequence[str],
    continuations: Sequence[str],
    batch_size: int = 32,
) -> list[list[float]]:
    """For each (prompt, continuation), the log-probability of every continuation token given what precedes it."""
    if len(prompts) != len(continuations):
        raise ValueError(f"{len(prompts)} prompts but {len(continuations)} continuations")
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    limit = max_positions(model)
    pairs = []
    for prompt, continuation in zip(prompts, continuations, strict=True):
        context, cont = encode_pair(tokenizer, prompt, continuation)
        if limit is not None and len(context) + len(cont) > limit:
            if len(cont) >= limit:
                raise ValueError(f"continuation of {len(cont)} tokens does not fit in {limit} positions")
            context = context[len(context) + len(cont) - limit :]  # drop the start of the prompt
        pairs.append((context, cont))

    # Longest first, so each batch holds sequences of similar length and little padding.
    order = sorted(range(len(pairs)), key=lambda i: -(len(pairs[i][0]) + len(pairs[i][1])))
    scores: list[list[float]] = [[] for _ in pairs]
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                chunk = order[start : start + batch_size]
                for i, values in zip(chunk, _score_batch(model, [pairs[i] for i in chunk]), strict=True):
                    scores[i] = values
    finally:
        model.train(was_training)
    return scores


def continuation_logprobs(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: Sequence[str],
    continuations: Sequence[str],
    batch_size: int = 32,
) -> list[float]:
    """For each (prompt, continuation), log p(continuation | prompt): the sum over its tokens."""
    per_token = continuation_token_logprobs(model, tokenizer, prompts, continuations, batch_size)
    return [float(sum(values)) for values in per_token]


def _score_batch(model: PreTrainedModel, pairs: list[tuple[list[int], list[int]]]) -> list[list[float]]:
    # Right padding: real tokens start at position 0, so default position ids are already right.
    device = model.device
    width = max(len(c) + len(x) for c, x in pairs)
    input_ids = torch.zeros((len(pairs), width), dtype=torch.long)
    mask = torch.zeros((len(pairs), width), dtype=torch.long)
    for row, (context, cont) in enumerate(pairs):
        ids = context + cont
        input_ids[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
        mask[row, : len(ids)] = 1
    logits = model(input_ids=input_ids.to(device), attention_mask=mask.to(device)).logits
    out = []
    for row, (context, cont) in enumerate(pairs):
        # The token at position p is predicted by the logits at position p - 1. Normalising only
        # those rows keeps memory at (tokens, vocab) rather than (batch, width, vocab).
        rows = logits[row, len(context) - 1 : len(context) + len(cont) - 1].float().log_softmax(dim=-1)
        targets = torch.tensor(cont, dtype=torch.long, device=device)
        out.append(rows.gather(-1, targets.unsqueeze(-1)).squeeze(-1).tolist())
    return out
