"""Training data for a revision model (Snell et al. 2024, section 6).

A revision model reads a problem and up to four earlier attempts, and writes a new attempt. It learns
from the policy's own samples: for each correct answer, 0-4 incorrect answers to the same problem go
in its context, the last of them the one closest to the correct answer by edit distance (so the
model learns to fix near-misses, not to copy unrelated attempts), and the correct answer is the
target. At inference the 4 most recent attempts stay in the context.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Hashable, Sequence

from ml.search.select import answer_totals, weighted_best_of_n

ATTEMPT_END = "|\n"  # closes every attempt in a revision context
MAX_ATTEMPTS_IN_CONTEXT = 4


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions and substitutions cost 1)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def revision_context(prompt: str, attempts: Sequence[str]) -> str:
    """The prompt, then the most recent attempts (at most four), each closed by ATTEMPT_END."""
    recent = list(attempts)[-MAX_ATTEMPTS_IN_CONTEXT:]
    return prompt + "".join(a + ATTEMPT_END for a in recent)


def revision_examples(
    prompt: str,
    correct: Sequence[str],
    incorrect: Sequence[str],
    rng: random.Random,
    max_wrong: int = MAX_ATTEMPTS_IN_CONTEXT,
) -> list[tuple[str, str]]:
    """(context, target) pairs: one per correct sample, with 0..max_wrong incorrect samples before it."""
    examples = []
    for target in correct:
        k = rng.randint(0, min(max_wrong, len(incorrect)))
        wrong = rng.sample(list(incorrect), k)
        if wrong:
            closest = min(range(k), key=lambda i: (edit_distance(wrong[i], target), i))
            wrong.append(wrong.pop(closest))  # the closest attempt comes last
        examples.append((revision_context(prompt, wrong), target))
    return examples


def sequential_revisions(
    generate_attempts: Callable[[list[str], int], list[str]],
    prompts: Sequence[str],
    chains: int,
    length: int,
    seed: int = 0,
) -> list[list[list[str]]]:
    """For every prompt, `chains` parallel chains of `length` attempts, each attempt conditioned on the
    chain's most recent ones. One `generate_attempts(contexts, seed)` call per revision step covers every
    chain of every prompt. chains * length is the budget; chains = 1 is purely sequential, length = 1
    purely parallel."""
    if chains < 1 or length < 1:
        raise ValueError("chains and length must be >= 1")
    attempts: list[list[list[str]]] = [[[] for _ in range(chains)] for _ in prompts]
    for step in range(length):
        contexts = [revision_context(prompts[p], chain) for p in range(len(prompts)) for chain in attempts[p]]
        texts = iter(generate_attempts(contexts, seed + step))
        for per_prompt in attempts:
            for chain in per_prompt:
                chain.append(next(texts))
    return attempts


def lm_attempts(
    model, tokenizer, temperature: float = 1.0, batch_size: int = 256
) -> Callable[[list[str], int], list[str]]:
    """A revision LM as `generate_attempts`: one attempt per context, up to end of sequence."""
    from ml.lm.generate import sample

    def generate_attempts(contexts: list[str], seed: int) -> list[str]:
        out = sample(
            model,
            tokenizer,
            contexts,
            max_new_tokens=120,
            temperature=temperature,
            seed=seed,
            batch_size=batch_size,
        )
        return [texts[0] for texts in out]

    return generate_attempts


def hierarchical_select(
    answers: Sequence[Sequence[Hashable | None]], scores: Sequence[Sequence[float]]
) -> Hashable | None:
    """Verifier-weighted voting within each chain, then across chains on the chains' winners (weighted by
    the summed score each winner had in its chain)."""
    winners, weights = [], []
    for chain_answers, chain_scores in zip(answers, scores, strict=True):
        totals = answer_totals(chain_answers, chain_scores)
        if totals:
            best = max(totals, key=totals.__getitem__)
            winners.append(best)
            weights.append(totals[best])
    return weighted_best_of_n(winners, weights)
