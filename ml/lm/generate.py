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
    row_seeds: Sequence[int] | None = None,
) -> list[list[Completion]]:
    """For each prompt, `num_return_sequences` completions, in prompt order.

    Results are reproducible for the same arguments (one generator seeded with `seed` is shared
    across batches, so changing `batch_size` changes the random draws but not greedy output).

    `row_seeds` (one int per output row: prompt-major, then return sequence) gives every row its own
    randomness instead, and `seed` is unused: a row's completion then depends only on its prompt and
    its seed, not on the other rows or on `batch_size` (up to floating-point near-ties in the logits).
    """
    params = SamplingParams(max_new_tokens, temperature, top_p, top_k, tuple(stop), ignore_eos)
    if batch_size < 1 or num_return_sequences < 1:
        raise ValueError("batch_size and num_return_sequences must be >= 1")
    if row_seeds is not None and len(row_seeds) != len(prompts) * num_return_sequences:
        raise ValueError(
            f"row_seeds needs one seed per output row ({len(prompts) * num_return_sequences}), "
            f"got {len(row_seeds)}"
        )
    device = model.device
    encoded = _encode_prompts(model, tokenizer, list(prompts), max_new_tokens)
    rows = [ids for ids in encoded for _ in range(num_return_sequences)]
    generator = torch.Generator(device=device).manual_seed(seed)
    # any int, wrapped into int64 (the hash below works on int64 tensors)
    seeds = None if row_seeds is None else [(int(s) + 2**63) % 2**64 - 2**63 for s in row_seeds]
    flat: list[Completion] = []
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            for start in range(0, len(rows), batch_size):
                chunk = slice(start, start + batch_size)
                chunk_seeds = None if seeds is None else seeds[chunk]
                flat.extend(
                    _decode_batch(model, tokenizer, rows[chunk], params, generator, guide, chunk_seeds)
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
    row_seeds: Sequence[int] | None = None,
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
        row_seeds=row_seeds,
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


def _next_tokens(
    logits: torch.Tensor,
    params: SamplingParams,
    generator: torch.Generator,
    gumbel: torch.Tensor | None = None,
) -> torch.Tensor:
    """Pick one token per row from float32 logits of shape (batch, vocab).

    With `gumbel` (noise of the same shape, see `_row_gumbel`) the pick is argmax(logits + noise), which
    samples the same distribution as multinomial over the softmax (the Gumbel-max trick); filtered
    tokens have -inf logits, so they are never picked either way."""
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
    if gumbel is not None:
        return (logits + gumbel).argmax(dim=-1)
    return torch.multinomial(logits.softmax(dim=-1), 1, generator=generator).squeeze(-1)


_GOLDEN = 0x9E3779B97F4A7C15 - 2**64  # splitmix64's constants, as signed int64
_MIX1 = 0xBF58476D1CE4E5B9 - 2**64
_MIX2 = 0x94D049BB133111EB - 2**64


def _mix64(z: torch.Tensor) -> torch.Tensor:
    """splitmix64's finaliser on int64 tensors: products wrap mod 2**64 and the masks make `>>` a
    logical shift, so the bits match the unsigned original."""
    z = (z ^ ((z >> 30) & (2**34 - 1))) * _MIX1
    z = (z ^ ((z >> 27) & (2**37 - 1))) * _MIX2
    return z ^ ((z >> 31) & (2**33 - 1))


def _row_gumbel(seeds: torch.Tensor, position: int, vocab: int) -> torch.Tensor:
    """Gumbel noise (rows, vocab) that is a pure function of (row seed, position, token id).

    Counter-based rather than drawn from a shared generator, so a row's samples do not depend on which
    other rows share its batch, or on the batch size."""
    key = _mix64(_mix64(seeds) + torch.full_like(seeds, position) * _GOLDEN)  # wraps, like the tokens'
    tokens = torch.arange(1, vocab + 1, device=seeds.device, dtype=torch.int64)
    bits = _mix64(key[:, None] + tokens * _GOLDEN)
    # the top 24 bits as a float32 uniform in (0, 1), never 0 or 1 (float32: MPS has no float64)
    uniform = (((bits >> 40) & (2**24 - 1)).float() + 0.5) * 2.0**-24
    return -torch.log(-torch.log(uniform))


# Off only to measure what reading each distinct prompt once saves (bench/search_beam.py).
SHARED_PREFILL = True


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
    row_seeds: list[int] | None = None,
) -> list[Completion]:
    device = model.device
    seeds = None if row_seeds is None else torch.tensor(row_seeds, dtype=torch.int64, device=device)
    pad, eos = _special_ids(model, tokenizer)
    # Rows with the same prompt (num_return_sequences, a beam's siblings) are read once: the first
    # forward runs on the distinct prompts, then their cache and logits are copied out to every row.
    prompts, expand = rows, None
    if SHARED_PREFILL:
        distinct: dict[tuple[int, ...], int] = {}
        source = [distinct.setdefault(tuple(ids), len(distinct)) for ids in rows]
        if len(distinct) < len(rows):
            prompts, expand = [list(ids) for ids in distinct], torch.tensor(source, device=device)
    width = max(len(ids) for ids in prompts)
    input_ids = torch.full((len(prompts), width), pad, dtype=torch.long)
    mask = torch.zeros((len(prompts), width), dtype=torch.long)
    for i, ids in enumerate(prompts):
        input_ids[i, width - len(ids) :] = torch.tensor(ids, dtype=torch.long)
        mask[i, width - len(ids) :] = 1
    input_ids, mask = input_ids.to(device), mask.to(device)
    positions = (mask.cumsum(dim=-1) - 1).clamp(min=0)

    generated: list[list[int]] = [[] for _ in rows]
    results: list[Completion | None] = [None] * len(rows)
    active = list(range(len(rows)))  # original row index of each row still in the batch
    cache = None
    for step in range(params.max_new_tokens):
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
        hidden = out.hidden_states[-1][:, -1, :] if guide is not None else None
        if step == 0 and expand is not None:
            cache.batch_select_indices(expand)
            logits, mask, positions = logits[expand], mask[expand], positions[expand]
            hidden = None if hidden is None else hidden[expand]
        if guide is not None:
            logits = guide(logits, hidden)
        gumbel = None
        if seeds is not None and params.temperature > 0:
            gumbel = _row_gumbel(seeds, step, logits.shape[-1])
        chosen = _next_tokens(logits, params, generator, gumbel)
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
            seeds = None if seeds is None else seeds[index]
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
