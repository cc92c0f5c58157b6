"""How much a database is expected to tell us about which candidate is right (all in bits).

Candidates are grouped by their output on the database. Noise-free, the annotator reveals the
group, so IG(d) = H(p) - E[H | d] with E[H | d] = sum_o P(o) H(p restricted to group o).

With an annotator who errs with rate eps over K shown options (including "none of these"),
p(r | s) = 1 - eps if r is s's option, else eps / (K - 1), and we score a database by the mutual
information I(S; R). The likelihood depends on s only through its option, so I(S; R) = I(O; R),
computed from the option masses alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def entropy(probs: Sequence[float]) -> float:
    """H(p) = -sum p_i log2 p_i, after normalising; zero entries contribute nothing."""
    total = sum(probs)
    if total <= 0:
        return 0.0
    return -sum((p / total) * math.log2(p / total) for p in probs if p > 0)


def group_masses(probs: Sequence[float], groups: Sequence[Sequence[int]]) -> list[float]:
    """P(o) = sum of p_i over the candidates i in group o."""
    return [sum(probs[i] for i in g) for g in groups]


def expected_entropy(probs: Sequence[float], groups: Sequence[Sequence[int]]) -> float:
    """E[H | d] = sum_o P(o) H(p restricted to o), with p normalised first."""
    total = sum(probs)
    if total <= 0:
        return 0.0
    return sum((sum(probs[i] for i in g) / total) * entropy([probs[i] for i in g]) for g in groups)


def information_gain(probs: Sequence[float], groups: Sequence[Sequence[int]]) -> float:
    """Noise-free IG(d) = H(p) - E[H | d]; equals the entropy of the group masses."""
    return entropy(probs) - expected_entropy(probs, groups)


def response_probs(masses: Sequence[float], eps: float) -> list[float]:
    """P(r) for each of the K options under the noisy channel, given the option masses."""
    total = sum(masses)
    k = len(masses)
    if k < 2:
        return [1.0] * k
    return [(1 - eps) * (m / total) + (eps / (k - 1)) * (1 - m / total) for m in masses]


def noisy_mutual_information(masses: Sequence[float], eps: float) -> float:
    """I(S; R) for option masses over all K shown options (include "none of these", even at 0 mass).

    I = H(R) - H(R | S), and H(R | S) is the same for every program: the entropy of one row of
    the channel, -(1-eps) log2(1-eps) - eps log2(eps / (K-1)).
    """
    k = len(masses)
    if k < 2 or sum(masses) <= 0:
        return 0.0
    noise = 0.0
    if 0 < eps < 1:
        noise = -(1 - eps) * math.log2(1 - eps) - eps * math.log2(eps / (k - 1))
    elif eps >= 1:
        noise = math.log2(k - 1)
    return max(0.0, entropy(response_probs(masses, eps)) - noise)


def noisy_expected_entropy(
    probs: Sequence[float], option_of: Sequence[int], n_options: int, eps: float
) -> float:
    """Expected posterior entropy over programs after one noisy answer: H(S) - I(S; R)."""
    masses = [0.0] * n_options
    for p, o in zip(probs, option_of, strict=True):
        masses[o] += p
    return entropy(probs) - noisy_mutual_information(masses, eps)
