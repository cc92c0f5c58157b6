"""Batched sampling from causal LMs with a KV cache, written as an explicit decode loop.

We run our own loop instead of `model.generate` so per-sequence stop strings, seeding and the
batch layout are under our control and behave the same for every architecture. Prompts are left
padded so every row's next token sits in the last column; position ids count only real tokens, so
padding does not shift a row's positions (GPT-2's learned positions and Llama's RoPE alike).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from ml.lm.models import max_positions

# Reshapes next-token logits (batch, vocab) given the last layer's hidden state (batch, hidden) at the
# same position, e.g. value-guided decoding: logits + beta * (Q(h) - V(h)) (ml.rl.algos.value_heads).
LogitsGuide = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass
class Completion:
    text: str  # the continuation only, special tokens removed, cut before any stop string
    num_tokens: int  # tokens generated for it (including those that completed a stop string)
    finish_reason: str  # "stop" (a stop string), "eos" (an end-of-sequence token) or "length"


@dataclass(frozen=True)
class SamplingParams:
    max_new_tokens: int = 64
    temperature: float = 1.0  # 0 means greedy
    top_p: float = 1.0
    top_k: int = 0  # 0 means no top-k filtering
    stop: tuple[str, ...] = ()
    ignore_eos: bool = False  # always generate max_new_tokens (benchmarks, fixed-length samples)

    def __post_init__(self) -> None:
        if self.max_new_tokens < 0:
            raise ValueError("max_new_tokens must be >= 0")
        if self.temperature < 0:
            raise ValueError("temperature must be >= 0")
        if not 0 < self.top_p <= 1:
            raise ValueError("top_p must be in (0, 1]")
        if self.top_k < 0:
            raise ValueError("top_k must be >= 0")
        if any(not s for s in self.stop):
            raise ValueError("stop strings must be non-empty")


def generate(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: Sequence[str],
    max_new_tokens: int = 64,
    temperature: float = 1.0,
    top_p: float = 1.0,
    top_k: int = 0,
    stop: Sequence[str] = (),
    seed: int = 0,
    batch_size: int = 64,
    num_return_sequences: int = 1,
    ignore_eos: bool = False,
    guide: LogitsGuide | None = None,
) -> list[list[Completion]]:
    """For each prompt, `num_return_sequences` completions, in prompt order.

    Results are reproducible for the same arguments (one generator seeded with `seed` is shared
    across batches, so changing `batch_size` changes the random draws but not greedy output).
    """
    params = SamplingParams(max_new_tokens, temperature, top_p, top_k, tuple(stop), ignore_eos)
    if batch_size < 1 or num_return_sequences < 1:
        raise ValueError("batch_size and num_return_sequences must be >= 1")
    device = model.device
    encoded = _encode_prompts(model, tokenizer, list(prompts), max_new_tokens)
    rows = [ids for ids in encoded for _ in range(num_return_sequences)]
    generator = torch.Generator(device=device).manual_seed(seed)
    flat: list[Completion] = []
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            for start in range(0, len(rows), batch_size):
                flat.extend(
                    _decode_batch(
                        model, tokenizer, rows[start : start + batch_size], params, generator, guide
                    )
                )
    finally:
        model.train(was_training)
    n = num_return_sequences
    return [flat[i * n : (i + 1) * n] for i in range(len(encoded))]


def sample(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: Sequence[str],
    max_new_tokens: int = 64,
    temperature: float = 1.0,
    top_p: float = 1.0,
    top_k: int = 0,
    stop: Sequence[str] = (),
    seed: int = 0,
    batch_size: int = 64,
    num_return_sequences: int = 1,
    ignore_eos: bool = False,
    guide: LogitsGuide | None = None,
) -> list[list[str]]:
    """Like `generate`, returning only the completion texts."""
    results = generate(
        model,
        tokenizer,
        prompts,
        max_new_tokens=max_new_tokens,
        temperature=temperature,
        top_p=top_p,
        top_k=top_k,
        stop=stop,
        seed=seed,
        batch_size=batch_size,
        num_return_sequences=num_return_sequences,
        ignore_eos=ignore_eos,
        guide=guide,
    )
    return [[c.text for c in per_prompt] for per_prompt in results]


def _special_ids(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase) -> tuple[int, set[int]]:
    """The id used for padding, and every id that ends a sequence."""
    eos: set[int] = set()
    for source in (tokenizer.eos_token_id, getattr(model.generation_config, "eos_token_id", None)):
        if isinstance(source, int):
            eos.add(source)
        elif isinstance(source, (list, tuple)):
            eos.update(int(i) for i in source)
    pad = tokenizer.pad_token_id
    if pad is None:
        pad = min(eos) if eos else 0  # never attended to, so any valid id works
    return pad, eos


def _encode_prompts(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, prompts: list[str], max_new_tokens: int
) -> list[list[int]]:
    limit = max_positions(model)
    keep = None
    if limit is not None:
        keep = limit - max_new_tokens
        if keep < 1:
            raise ValueError(
                f"max_new_tokens={max_new_tokens} leaves no room for a prompt in {limit} positions"
            )
    start = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
    encoded = []
    for ids in tokenizer(prompts, add_special_tokens=True)["input_ids"] if prompts else []:
        if not ids:
            if start is None:
                raise ValueError("empty prompt and the tokenizer has no bos/eos token to start from")
            ids = [start]  # the model needs at least one token to condition on
        encoded.append(ids[-keep:] if keep is not None else ids)  # keep the end, nearest the continuation
    return encoded


def _next_tokens(logits: torch.Tensor, params: SamplingParams, generator: torch.Generator) -> torch.Tensor:
    """Pick one token per row from float32 logits of shape (batch, vocab)."""
    if params.temperature == 0:
        return logits.argmax(dim=-1)
    logits = logits / params.temperature
    if 0 < params.top_k < logits.shape[-1]:
        kth = torch.topk(logits, params.top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if params.top_p < 1:
        sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
        probs = sorted_logits.softmax(dim=-1)
        # Drop a token once the tokens ranked above it already cover top_p; the top one always stays.
        drop = probs.cumsum(dim=-1) - probs >= params.top_p
        sorted_logits = sorted_logits.masked_fill(drop, float("-inf"))
        logits = torch.full_like(logits, float("-inf")).scatter(-1, order, sorted_logits)
    return torch.multinomial(logits.softmax(dim=-1), 1, generator=generator).squeeze(-1)


def _find_stop(text: str, stop: tuple[str, ...]) -> int:
    """Index of the earliest stop string in `text`, or -1."""
    hits = [i for i in (text.find(s) for s in stop) if i >= 0]
    return min(hits) if hits else -1


def _decode_batch(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    rows: list[list[int]],
    params: SamplingParams,
    generator: torch.Generator,
    guide: LogitsGuide | None = None,
) -> list[Completion]:
    device = model.device
    pad, eos = _special_ids(model, tokenizer)
    width = max(len(ids) for ids in rows)
    input_ids = torch.full((len(rows), width), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, ids in enumerate(rows):
        input_ids[i, width - len(ids) :] = torch.tensor(ids, dtype=torch.long)
        mask[i, width - len(ids) :] = 1
    input_ids, mask = input_ids.to(device), mask.to(device)
    positions = (mask.cumsum(dim=-1) - 1).clamp(min=0)

    generated: list[list[int]] = [[] for _ in rows]
    results: list[Completion | None] = [None] * len(rows)
    active = list(range(len(rows)))  # original row index of each row still in the batch
    cache = None
    for _ in range(params.max_new_tokens):
        out = model(
            input_ids=input_ids,
            attention_mask=mask,
            position_ids=positions,
            cache=cache,
            use_cache=True,
            logits_to_keep=1,
            output_hidden_states=guide is not None,
        )
        cache = out.cache
        logits = out.logits[:, -1, :].float()
        if guide is not None:
            logits = guide(logits, out.hidden_states[-1][:, -1, :])
        chosen = _next_tokens(logits, params, generator)
        keep: list[int] = []
        for slot, (row, token) in enumerate(zip(active, chosen.tolist(), strict=True)):
            if token in eos and not params.ignore_eos:
                results[row] = _finish(tokenizer, generated[row], "eos", params.stop, extra_tokens=1)
                continue
            generated[row].append(token)
            if params.stop:
                text = tokenizer.decode(generated[row], skip_special_tokens=True)
                if _find_stop(text, params.stop) >= 0:
                    results[row] = _finish(tokenizer, generated[row], "stop", params.stop)
                    continue
            keep.append(slot)
        if not keep:
            active = []
            break
        if len(keep) < len(active):
            # Drop finished rows from the batch (and the cache) so they cost nothing further.
            index = torch.tensor(keep, device=device)
            cache.batch_select_indices(index)
            chosen, mask, positions = chosen[index], mask[index], positions[index]
            active = [active[slot] for slot in keep]
        input_ids = chosen.unsqueeze(-1)
        positions = positions[:, -1:] + 1
        mask = torch.cat([mask, mask.new_ones((len(active), 1))], dim=-1)
    for row in active:
        results[row] = _finish(tokenizer, generated[row], "length", params.stop)
    return [r for r in results if r is not None]  # every row was finished above


def _finish(
    tokenizer: PreTrainedTokenizerBase,
    tokens: list[int],
    reason: str,
    stop: tuple[str, ...],
    extra_tokens: int = 0,
) -> Completion:
    # The eos token is not in `tokens` (its text is never wanted) but it was generated, so
    # `extra_tokens` counts it.
    text = tokenizer.decode(tokens, skip_special_tokens=True)
    cut = _find_stop(text, stop)
    if cut >= 0:
        text, reason = text[:cut], "stop"
    return Completion(text=text, num_tokens=len(tokens) + extra_tokens, finish_reason=reason)


def next_line(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompt: str,
    max_new_tokens: int = 48,
    temperature: float = 0.0,
    seed: int = 0,
    guide: LogitsGuide | None = None,
) -> str:
    """The model's next line after `prompt`, stripped: how agents and oracles take a turn in a dialogue."""
    [[text]] = sample(
        model,
        tokenizer,
        [prompt],
        max_new_tokens=max_new_tokens,
        temperature=temperature,
        stop=["\n"],
        seed=seed,
        guide=guide,
    )
    return text.split("\n", 1)[0].strip()
