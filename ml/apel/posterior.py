"""The Bayesian update over candidate programs after an annotator picks an output.

Each hypothesis s has a correct option o(s) among the K options shown; option K-1 is always
"none of these". The annotator's answer r has likelihood p(r | s) = 1 - eps if r = o(s), else
eps / (K - 1), so p(s | r) is proportional to p(s) p(r | s).

"none" is the answer K-1. It only means something if some hypothesis predicts it: the session
keeps an implicit "other program" hypothesis (a candidate we were not shown) whose correct option
is always "none"; every real candidate then gets the eps-ish likelihood and mass flows to "other".
"unsure" leaves the posterior unchanged. Several annotators' answers to the same question
multiply their likelihoods, each with that annotator's own eps (they err independently).
"""

from __future__ import annotations

from collections.abc import Sequence

NONE = "none"
UNSURE = "unsure"
MIN_EPS = 1e-6  # eps = 0 would make one slip irreversible; keep every hypothesis recoverable


def likelihood(correct: int, answer: int, n_options: int, eps: float) -> float:
    """p(answer | a program whose correct option is `correct`)."""
    eps = min(max(eps, MIN_EPS), 1 - MIN_EPS)
    if n_options < 2:
        return 1.0
    return 1 - eps if answer == correct else eps / (n_options - 1)


def answer_index(choice: int | str, n_options: int) -> int | None:
    """Map a choice (an option index, "none" or "unsure") to an option index; None for "unsure"."""
    if choice == UNSURE:
        return None
    if choice == NONE:
        return n_options - 1
    if isinstance(choice, bool) or not isinstance(choice, int) or not 0 <= choice < n_options - 1:
        raise ValueError(f"choice must be an option index in [0, {n_options - 2}], 'none' or 'unsure'")
    return choice


def update(
    prior: Sequence[float], option_of: Sequence[int], choice: int | str, n_options: int, eps: float
) -> list[float]:
    """Posterior after one answer. `option_of[i]` is hypothesis i's correct option (K-1 = none)."""
    return update_many(prior, option_of, [(choice, eps)], n_options)


def update_many(
    prior: Sequence[float],
    option_of: Sequence[int],
    answers: Sequence[tuple[int | str, float]],
    n_options: int,
) -> list[float]:
    """Posterior after several independent answers (choice, eps) to the same question."""
    post = list(prior)
    for choice, eps in answers:
        r = answer_index(choice, n_options)
        if r is None:
            continue
        post = [p * likelihood(o, r, n_options, eps) for p, o in zip(post, option_of, strict=True)]
    total = sum(post)
    if total <= 0:
        raise ValueError("the posterior vanished; the prior has no mass")
    return [p / total for p in post]
