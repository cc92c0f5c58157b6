"""Training data for a revision model (Snell et al. 2024, section 6).

A revision model reads a problem and up to four earlier attempts, and writes a new attempt. It learns
from the policy's own samples: for each correct answer, 0-4 incorrect answers to the same problem go
in its context, the last of them the one closest to the correct answer by edit distance (so the
model learns to fix near-misses, not to copy unrelated attempts), and the correct answer is the
target. At inference the 4 most recent attempts stay in the context.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

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
