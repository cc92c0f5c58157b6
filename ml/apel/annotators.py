"""Per-annotator error rates, estimated Dawid-Skene style with a Beta prior.

Each annotator a has one error rate eps_a (a "one-coin" model: right with probability 1 - eps_a,
otherwise uniformly wrong among the other options, as in `posterior`). With a Beta(alpha, beta)
prior on eps_a, the estimate is the posterior mean (alpha + errors) / (alpha + beta + answers):
Beta(1, 9) gives 0.1 with no data.

Gold items count errors exactly. Items without gold that several annotators answered contribute
expected errors: EM alternates between the posterior over each item's true option (given everyone's
current eps) and re-estimating every eps from expected error counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ml.apel.posterior import UNSURE


@dataclass
class Judgement:
    annotator: str
    item: str  # one question (one database) shown to several people
    choice: int | str  # option index, "none" or "unsure"
    n_options: int  # K, including "none of these"
    gold: int | str | None = None  # the right choice when known


def estimate_error_rates(
    judgements: Sequence[Judgement], *, alpha: float = 1.0, beta: float = 9.0, iterations: int = 20
) -> dict[str, float]:
    """eps per annotator. "unsure" answers carry no information and are ignored."""
    usable = [j for j in judgements if j.choice != UNSURE]
    names = sorted({j.annotator for j in judgements})
    eps = {a: alpha / (alpha + beta) for a in names}
    by_item: dict[str, list[Judgement]] = {}
    for j in usable:
        if j.gold is None:
            by_item.setdefault(j.item, []).append(j)
    open_items = {k: v for k, v in by_item.items() if len({j.annotator for j in v}) >= 2}
    for _ in range(max(1, iterations)):
        errors = {a: 0.0 for a in names}
        counts = {a: 0.0 for a in names}
        for j in usable:
            if j.gold is not None:
                errors[j.annotator] += float(j.choice != j.gold)
                counts[j.annotator] += 1
        for group in open_items.values():
            truth = _truth_posterior(group, eps)
            for j in group:
                errors[j.annotator] += 1 - truth.get(j.choice, 0.0)
                counts[j.annotator] += 1
        new = {a: (alpha + errors[a]) / (alpha + beta + counts[a]) for a in names}
        if all(abs(new[a] - eps[a]) < 1e-9 for a in names):
            return new
        eps = new
    return eps


def _truth_posterior(group: list[Judgement], eps: dict[str, float]) -> dict[int | str, float]:
    """p(true option | the answers), uniform prior over the choices anyone made or could make."""
    k = max(j.n_options for j in group)
    options: list[int | str] = [*range(k - 1), "none"]
    scores = {}
    for t in options:
        p = 1.0
        for j in group:
            e = min(max(eps[j.annotator], 1e-6), 1 - 1e-6)
            p *= (1 - e) if j.choice == t else e / (k - 1)
        scores[t] = p
    total = sum(scores.values())
    return {t: s / total for t, s in scores.items()}
