"""Which samples best represent their group: a D1-vs-D0 classifier's held-out confidence.

Following D3, the proposer is shown samples that a classifier, trained with K-fold cross-validation,
most confidently puts in their own group: every sample is scored by the model that did not see it.
Features are TF-IDF of words and word pairs, or sentence embeddings (MiniLM); the classifier is
L2-regularised logistic regression (ml.describe.logistic). The held-out accuracy and AUC tell how
separable the two corpora are at all.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ml.describe.data import words
from ml.describe.encoder import DEFAULT_ENCODER
from ml.describe.logistic import fit_logistic

FEATURIZERS = ("tfidf", "minilm")


@dataclass
class RepresentativeSamples:
    # Every sample of each group, most confidently its own group's first, with that confidence
    # (held-out P(D1) for D1 samples, P(D0) for D0 samples).
    positive: list[str]
    negative: list[str]
    positive_confidence: list[float]
    negative_confidence: list[float]
    top_positive: list[str]  # the top `top_fraction` of each ranking (at least one sample)
    top_negative: list[str]
    accuracy: float  # held-out accuracy of the classifier at threshold 1/2
    auc: float  # held-out ROC AUC
    folds: int
    featurizer: str


class TfidfVectorizer:
    """Sublinear TF-IDF over words and word pairs, rows scaled to unit length.

    tf = 1 + log(count); idf = log((1 + n) / (1 + df)) + 1 (smoothed, as in scikit-learn); the
    vocabulary keeps the `max_features` terms found in the most texts (at least `min_df` of them)."""

    def __init__(self, max_features: int = 4096, min_df: int = 2, bigrams: bool = True):
        self.max_features = max_features
        self.min_df = min_df
        self.bigrams = bigrams
        self.vocabulary: dict[str, int] = {}
        self.idf = np.zeros(0)

    def terms(self, text: str) -> list[str]:
        tokens = words(text)
        pairs = [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)] if self.bigrams else []
        return tokens + pairs

    def fit(self, texts: Sequence[str]) -> TfidfVectorizer:
        df = Counter(term for text in texts for term in set(self.terms(text)))
        kept = [t for t, c in df.items() if c >= self.min_df] or list(df)  # tiny corpora keep every term
        kept = sorted(kept, key=lambda t: (-df[t], t))[: self.max_features]
        self.vocabulary = {t: i for i, t in enumerate(sorted(kept))}
        counts = np.array([df[t] for t in sorted(kept)], dtype=float)
        self.idf = np.log((1.0 + len(texts)) / (1.0 + counts)) + 1.0
        return self

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        matrix = np.zeros((len(texts), len(self.vocabulary)), dtype=np.float32)
        for row, text in enumerate(texts):
            for term, count in Counter(self.terms(text)).items():
                column = self.vocabulary.get(term)
                if column is not None:
                    matrix[row, column] = (1.0 + math.log(count)) * self.idf[column]
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return matrix / np.maximum(norms, 1e-12)


def featurize(
    texts: Sequence[str], featurizer: str, encoder_path: str | Path = DEFAULT_ENCODER
) -> np.ndarray:
    """A feature matrix for `texts`. TF-IDF is fitted on these texts without their labels, so
    fitting it once before cross-validation leaks nothing about the held-out labels."""
    if featurizer == "tfidf":
        return TfidfVectorizer().fit(texts).transform(texts)
    if featurizer == "minilm":
        from ml.describe.encoder import text_encoder

        return text_encoder(encoder_path).embed(texts)
    raise ValueError(f"unknown featurizer {featurizer!r}; expected one of {FEATURIZERS}")


def stratified_folds(labels: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """A fold number for each sample; each class is shuffled and dealt round-robin over the folds."""
    rng = np.random.default_rng(seed)
    assignment = np.empty(len(labels), dtype=int)
    for value in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == value))
        assignment[members] = np.arange(len(members)) % folds
    return assignment


def heldout_probabilities(
    features: np.ndarray, labels: np.ndarray, folds: int, seed: int, l2: float = 1.0
) -> np.ndarray:
    """P(label = 1) for every sample from a classifier trained on the other folds."""
    assignment = stratified_folds(labels, folds, seed)
    probabilities = np.empty(len(labels))
    for fold in range(folds):
        test = assignment == fold
        model = fit_logistic(features[~test], labels[~test], l2=l2)
        probabilities[test] = model.predict_proba(features[test])
    return probabilities


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """P(score of a random positive > that of a random negative), ties counting half (Mann-Whitney)."""
    labels = np.asarray(labels).astype(bool)
    n1, n0 = int(labels.sum()), int((~labels).sum())
    if n1 == 0 or n0 == 0:
        raise ValueError("AUC needs both classes")
    order = np.argsort(scores, kind="stable")
    ranks = np.empty(len(scores))
    sorted_scores = np.asarray(scores)[order]
    # Average ranks over runs of tied scores.
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_scores)) + 1]
    ends = np.r_[starts[1:], len(scores)]
    for start, end in zip(starts, ends, strict=True):
        ranks[order[start:end]] = (start + end + 1) / 2.0
    return float((ranks[labels].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


def representative_samples(
    positive: Sequence[str],
    negative: Sequence[str],
    top_fraction: float = 0.2,
    featurizer: str = "tfidf",
    folds: int = 5,
    seed: int = 0,
    encoder_path: str | Path = DEFAULT_ENCODER,
    l2: float = 1.0,
) -> RepresentativeSamples:
    """Rank each group's samples by the held-out confidence that they belong to their own group.

    Uses min(folds, size of the smaller group) folds; each group needs at least two samples."""
    if not 0.0 < top_fraction <= 1.0:
        raise ValueError("top_fraction must be in (0, 1]")
    if min(len(positive), len(negative)) < 2:
        raise ValueError("each group needs at least two samples for cross-validation")
    folds = min(folds, len(positive), len(negative))
    if folds < 2:
        raise ValueError("folds must be >= 2")
    texts = list(positive) + list(negative)
    labels = np.r_[np.ones(len(positive)), np.zeros(len(negative))]
    features = featurize(texts, featurizer, encoder_path)
    p = heldout_probabilities(features, labels, folds, seed, l2)
    own = np.where(labels == 1, p, 1.0 - p)

    def ranked(group: np.ndarray) -> tuple[list[str], list[float]]:
        members = np.flatnonzero(group)
        members = members[np.argsort(-own[members], kind="stable")]
        return [texts[i] for i in members], [round(float(own[i]), 6) for i in members]

    pos, pos_conf = ranked(labels == 1)
    neg, neg_conf = ranked(labels == 0)
    return RepresentativeSamples(
        positive=pos,
        negative=neg,
        positive_confidence=pos_conf,
        negative_confidence=neg_conf,
        top_positive=pos[: max(1, math.ceil(top_fraction * len(pos)))],
        top_negative=neg[: max(1, math.ceil(top_fraction * len(neg)))],
        accuracy=float(np.mean((p >= 0.5) == (labels == 1))),
        auc=roc_auc(labels, p),
        folds=folds,
        featurizer=featurizer,
    )
