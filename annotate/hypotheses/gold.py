"""Gold checks for hypothesis studies: a control hypothesis whose answer is computed exactly on the text.

Nobody knows the true answer to a real hypothesis on a sample (that is what the study measures), so gold
pairs use a control instead: 'contains the letter "k"' (hypotheses are predicates about a text, as
the engine writes them). Its answer is a fact about the
characters of the text, checked here with `in`, so a gold pair is never wrong. The letter is the one
whose presence splits the study's samples most evenly, and the gold pairs are drawn half "yes", half
"no" where the samples allow, so always answering one way scores about 50%. Gold pairs come from the
same held-out samples as the real pairs and are served in between them, without a mark; they measure
whether an annotator reads the text, not whether they judge hypotheses well, and their answers never
enter human validity or agreement.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass


@dataclass(frozen=True)
class Control:
    letter: str

    @property
    def hypothesis(self) -> str:
        return f'contains the letter "{self.letter}" (upper or lower case)'

    def holds(self, text: str) -> bool:
        return self.letter in text.lower()


def choose_control(texts: list[str]) -> Control:
    """The letter whose presence is closest to half of `texts` (alphabetical order breaks ties)."""
    lowered = [t.lower() for t in texts]
    n = max(len(lowered), 1)

    def imbalance(letter: str) -> float:
        return abs(sum(letter in t for t in lowered) / n - 0.5)

    return Control(min(string.ascii_lowercase, key=imbalance))


def gold_samples(texts: list[str], control: Control, n: int, seed: int) -> list[tuple[int, bool]]:
    """Up to n (index into texts, answer) pairs, half true and half false where both exist.

    Each answer's pairs come from the shorter half of the texts with that answer: looking for a letter
    in a long text invites honest misses, and gold should catch inattention, not tire people out."""
    if n <= 0 or not texts:
        return []
    rng = random.Random(seed)

    def shorter_half(indices: list[int]) -> list[int]:
        by_length = sorted(indices, key=lambda i: (len(texts[i]), i))
        kept = by_length[: max(n, (len(by_length) + 1) // 2)]
        rng.shuffle(kept)
        return kept

    yes = shorter_half([i for i, t in enumerate(texts) if control.holds(t)])
    no = shorter_half([i for i, t in enumerate(texts) if not control.holds(t)])
    n_yes = min(len(yes), max(n - len(no), (n + 1) // 2))
    picked = [(i, True) for i in yes[:n_yes]] + [(i, False) for i in no[: n - n_yes]]
    rng.shuffle(picked)
    return picked
