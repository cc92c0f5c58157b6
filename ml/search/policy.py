"""The base policy: a tiny causal LM trained from scratch on step-by-step solutions with realistic slips,
and batched sampling of whole solutions or of single next steps (both with the KV cache of ml.lm)."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from transformers import PreTrainedModel, PreTrainedTokenizerBase

from ml.lm.generate import generate
from ml.search.tasks import ANSWER_PREFIX, ArithmeticChains, Problem, with_slips

ALPHABET = "0123456789+-*=\n|" + ANSWER_PREFIX  # "|" closes attempts in revision contexts
MAX_SOLUTION_TOKENS = 120
# room for a prompt, the most recent revision attempts (about four typical ones) and a new attempt;
# longer revision contexts lose their oldest tokens
POLICY_WINDOW = 384


def training_pairs(
    domain: ArithmeticChains, problems: Sequence[Problem], slip_rate: float, seed: int
) -> list[tuple[str, str]]:
    """(prompt, solution) pairs; each solution's steps slip with probability `slip_rate`."""
    rng = random.Random(seed)
    return [(domain.prompt(p), with_slips(p, rng, slip_rate)) for p in problems]


def train_policy(
    domain: ArithmeticChains,
    problems: Sequence[Problem],
    slip_rate: float = 0.1,
    n_layer: int = 2,
    n_embd: int = 128,
    n_head: int = 4,
    steps: int = 1500,
    batch_size: int = 64,
    lr: float = 2e-3,
    seed: int = 0,
    report: Callable[[float, str], None] | None = None,
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    from ml.distill.supervised import tiny_char_model, train_pairs
    from ml.lm.seeding import seed_everything

    seed_everything(seed)
    model, tokenizer = tiny_char_model(ALPHABET, n_layer, n_embd, n_head, block_size=POLICY_WINDOW)
    pairs = training_pairs(domain, problems, slip_rate, seed)
    train_pairs(model, tokenizer, pairs, steps, batch_size=batch_size, lr=lr, seed=seed, report=report)
    return model, tokenizer


def sample_solutions(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: Sequence[str],
    n: int,
    temperature: float = 1.0,
    seed: int = 0,
    batch_size: int = 256,
    max_new_tokens: int = MAX_SOLUTION_TOKENS,
) -> list[list[tuple[str, int]]]:
    """n whole solutions per prompt, each with the number of tokens it cost, in prompt order."""
    out = generate(
        model,
        tokenizer,
        list(prompts),
        max_new_tokens=max_new_tokens,
        temperature=temperature,
        seed=seed,
        batch_size=batch_size,
        num_return_sequences=n,
    )
    return [[(c.text, c.num_tokens) for c in per_prompt] for per_prompt in out]


def sample_next_steps(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prefixes: Sequence[str],
    temperature: float = 1.0,
    seed: int = 0,
    batch_size: int = 256,
    max_new_tokens: int = 40,
    row_seeds: Sequence[int] | None = None,
) -> list[tuple[str, int, bool]]:
    """One next step for every prefix (prompt + steps so far), all prefixes in one batched decode.

    Returns (step text with its newline, tokens spent, finished): `finished` is True when the step is
    the answer line or the model ended the solution. `row_seeds` (one per prefix) makes each step
    depend only on its prefix and its seed, not on the batch (see `ml.lm.generate.generate`).
    """
    out = generate(
        model,
        tokenizer,
        list(prefixes),
        max_new_tokens=max_new_tokens,
        temperature=temperature,
        seed=seed,
        batch_size=batch_size,
        stop=["\n"],
        row_seeds=row_seeds,
    )
    steps = []
    for [completion] in out:
        text = completion.text
        finished = text.startswith(ANSWER_PREFIX) or completion.finish_reason != "stop"
        steps.append((text if finished else text + "\n", completion.num_tokens, finished))
    return steps
