"""Training distributions for the attention-learning experiments (Snell, Zhong, Klein, Steinhardt 2021).

Every task yields batches of (source, target, alignment) as integer arrays of shape (batch, length):
`alignment[b, t]` is the source position that target position t translates. Token ids start at
`FIRST_TOKEN`; 0 is padding (unused, lengths are fixed) and 1 is the decoder's begin-of-sequence.

- `copy_control`: L tokens drawn independently from a vocabulary of V; the target copies the source.
- `copy_permutation`: every source is a random permutation of one fixed set of L distinct tokens.
  Each source then holds the same multiset of tokens, so which output tokens co-occur with which
  input tokens says nothing, and the knowledge to translate individual words (KTIW) cannot be learned
  from co-occurrence before attention is.
- `translation`: a word-by-word toy translation. Each source word has one target word; adjacent pairs
  swap order with probability `swap`, and with probability `noise` a target word is replaced by a
  random one (co-occurrence noise).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BOS = 1
FIRST_TOKEN = 2
TASKS = ("copy_control", "copy_permutation", "translation")


@dataclass(frozen=True)
class Task:
    kind: str
    length: int = 40
    vocab: int = 60
    swap: float = 0.3  # translation only
    noise: float = 0.1  # translation only
    seed: int = 0  # fixes the permutation set and the translation lexicon

    def __post_init__(self) -> None:
        if self.kind not in TASKS:
            raise ValueError(f"unknown task {self.kind!r}; expected one of {TASKS}")
        if self.length < 2 or self.vocab < 2:
            raise ValueError("length and vocab must be at least 2")
        if self.kind == "copy_permutation" and self.length > self.vocab:
            raise ValueError(f"a permutation of {self.length} distinct tokens needs vocab >= length")
        if not (0 <= self.swap <= 1 and 0 <= self.noise <= 1):
            raise ValueError("swap and noise are probabilities")

    @property
    def n_tokens(self) -> int:
        """Embedding size needed: padding, BOS and the vocabulary."""
        return FIRST_TOKEN + self.vocab

    def permutation_set(self) -> np.ndarray:
        """The L distinct tokens every permutation-task source is made of."""
        rng = np.random.default_rng([self.seed, 1])
        return FIRST_TOKEN + np.sort(rng.choice(self.vocab, size=self.length, replace=False))

    def lexicon(self) -> np.ndarray:
        """Source token -> target token for the translation task (a fixed bijection)."""
        rng = np.random.default_rng([self.seed, 2])
        table = np.arange(self.n_tokens)
        table[FIRST_TOKEN:] = FIRST_TOKEN + rng.permutation(self.vocab)
        return table

    def sample(self, rng: np.random.Generator, batch: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n, length = batch, self.length
        positions = np.broadcast_to(np.arange(length), (n, length))
        if self.kind == "copy_control":
            source = FIRST_TOKEN + rng.integers(0, self.vocab, size=(n, length))
            return source, source.copy(), positions.copy()
        if self.kind == "copy_permutation":
            source = rng.permuted(np.broadcast_to(self.permutation_set(), (n, length)), axis=1)
            return source, source.copy(), positions.copy()
        source = FIRST_TOKEN + rng.integers(0, self.vocab, size=(n, length))
        alignment = positions.copy()
        for row in alignment:  # swap disjoint adjacent pairs, left to right
            t = 0
            while t < length - 1:
                if rng.random() < self.swap:
                    row[t], row[t + 1] = row[t + 1], row[t]
                    t += 2
                else:
                    t += 1
        target = self.lexicon()[np.take_along_axis(source, alignment, axis=1)]
        noisy = rng.random((n, length)) < self.noise
        target[noisy] = FIRST_TOKEN + rng.integers(0, self.vocab, size=int(noisy.sum()))
        return source, target, alignment
