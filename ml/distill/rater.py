"""A simulated crowd rater that judges answers mostly by style, barely by correctness.

Crowd workers in Gudibande et al. could rarely check facts, so they rewarded answers that *look*
like the proprietary model's: confident opener, full sentence, polite closer, fluent text. This
rater scores each answer with fixed, documented weights over surface features plus a small weight
on correctness, then compares two answers with seeded logistic noise and a tie band:

    score = 1.0*opener + 1.0*closer + 0.5*full_sentence + 1.0*fluency + 0.3*correct
    d = score(a) - score(b) + Logistic(0, NOISE)   ->   tie if |d| < TIE, else a wins iff d > 0

`fluency` is the median token probability of the answer under a fluency LM (the reference model,
standing in for "reads like a strong model wrote it"), in [0, 1]. The median, not the mean, so one
wrong word (the reference knows the facts) barely moves it while garbled text drags it down: a
crowd worker notices broken prose, not a wrong value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ml.distill.world import HOUSE_CLOSER, HOUSE_OPENER

WEIGHTS = {"opener": 1.0, "closer": 1.0, "full_sentence": 0.5, "fluency": 1.0, "correct": 0.3}
NOISE = 0.15  # logistic scale: two equally styled answers flip a coin inside the tie band
TIE = 0.4  # |score difference| below this reads as "equally good"


@dataclass(frozen=True)
class Judgement:
    outcome: str  # "win", "tie" or "loss", for answer a against answer b
    score_a: float
    score_b: float


def features(output: str, correct: bool, fluency: float) -> dict[str, float]:
    """The surface features the rater looks at, each in [0, 1]."""
    text = output.strip()
    return {
        "opener": float(text.startswith(HOUSE_OPENER)),
        "closer": float(text.endswith(HOUSE_CLOSER)),
        # A terse one-word reply reads as curt; a sentence of reasonable length reads as helpful.
        "full_sentence": float(20 <= len(text) <= 80 and "." in text),
        "fluency": float(min(max(fluency, 0.0), 1.0)),
        "correct": float(correct),
    }


def score(output: str, correct: bool, fluency: float) -> float:
    feats = features(output, correct, fluency)
    return sum(WEIGHTS[k] * v for k, v in feats.items())


def judge(
    outputs_a: Sequence[str],
    outputs_b: Sequence[str],
    correct_a: Sequence[bool],
    correct_b: Sequence[bool],
    fluency_a: Sequence[float],
    fluency_b: Sequence[float],
    seed: int = 0,
) -> list[Judgement]:
    """One simulated rater judgement per prompt: does answer a beat, tie or lose to answer b?"""
    rng = np.random.default_rng(seed)
    out = []
    for oa, ob, ca, cb, fa, fb in zip(
        outputs_a, outputs_b, correct_a, correct_b, fluency_a, fluency_b, strict=True
    ):
        sa, sb = score(oa, ca, fa), score(ob, cb, fb)
        d = sa - sb + rng.logistic(0.0, NOISE)
        outcome = "tie" if abs(d) < TIE else ("win" if d > 0 else "loss")
        out.append(Judgement(outcome, sa, sb))
    return out


def fluency(
    model, tokenizer, prompts: Sequence[str], outputs: Sequence[str], batch_size: int = 64
) -> list[float]:
    """Median token probability of each output given its prompt, under `model`."""
    from ml.lm.scoring import continuation_token_logprobs

    # An empty answer has no tokens to score; it reads as not fluent at all.
    per_token = continuation_token_logprobs(
        model, tokenizer, list(prompts), [o or " " for o in outputs], batch_size=batch_size
    )
    return [float(np.exp(np.median(lp))) if lp else 0.0 for lp in per_token]
