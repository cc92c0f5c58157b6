import numpy as np
import pytest

from ml.describe.logistic import fit_logistic, sigmoid
from ml.describe.representative import TfidfVectorizer, representative_samples, roc_auc, stratified_folds

SPORTS = [
    "the striker scored a late goal",
    "the keeper saved a penalty in the match",
    "fans cheered the winning goal",
    "the coach picked a new striker for the match",
    "a goal in extra time won the cup",
    "the match ended with a penalty shootout",
    "our team lost the match",
    "the striker missed an open goal",
]
MARKETS = [
    "shares fell after the earnings report",
    "the bank raised interest rates",
    "investors sold shares on friday",
    "bond yields rose as rates climbed",
    "the company reported higher profits",
    "markets rallied after the rates decision",
    "profits at the bank fell sharply",
    "investors expect lower rates next year",
]


def test_logistic_regression_matches_the_regularised_optimum():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3))
    y = (x[:, 0] - x[:, 1] + 0.5 * rng.normal(size=200) > 0).astype(float)
    model = fit_logistic(x, y, l2=1.0)
    # at the optimum the gradient X^T (p - y) + l2 w vanishes, and sum(p - y) = 0 (free intercept)
    residual = model.predict_proba(x) - y
    assert np.abs(x.T @ residual + model.weights).max() < 1e-4
    assert abs(residual.sum()) < 1e-4
    assert model.weights[0] > 0 > model.weights[1]
    with pytest.raises(ValueError, match="both labels"):
        fit_logistic(x, np.ones(200))
    assert sigmoid(np.array([-1000.0, 0.0, 1000.0])).tolist() == [0.0, 0.5, 1.0]


def test_tfidf_rows_are_unit_vectors_with_rare_terms_weighted_up():
    vec = TfidfVectorizer(min_df=1, bigrams=False).fit(["a b", "a c", "a b"])
    m = vec.transform(["a b", "zzz"])
    assert np.linalg.norm(m[0]) == pytest.approx(1.0) and not m[1].any()
    # idf(a) = log(4/4) + 1 = 1, idf(b) = log(4/3) + 1
    a, b = m[0, vec.vocabulary["a"]], m[0, vec.vocabulary["b"]]
    assert b / a == pytest.approx(np.log(4 / 3) + 1)
    assert "a b" in TfidfVectorizer(min_df=1).fit(["a b"]).vocabulary


def test_auc_by_hand_and_folds_are_stratified():
    # pairs (pos, neg): (0.9 > 0.1), (0.9 > 0.5), (0.5 = 0.5 half), (0.5 > 0.1)  -> 3.5 / 4
    assert roc_auc(np.array([1, 1, 0, 0]), np.array([0.9, 0.5, 0.5, 0.1])) == pytest.approx(0.875)
    folds = stratified_folds(np.array([1] * 10 + [0] * 5), 5, seed=0)
    assert all((folds[:10] == f).sum() == 2 and (folds[10:] == f).sum() == 1 for f in range(5))


def test_representative_samples_separable_topics():
    rep = representative_samples(SPORTS, MARKETS, top_fraction=0.25, folds=4, seed=0)
    assert rep.auc > 0.9 and rep.accuracy > 0.8 and rep.folds == 4
    assert sorted(rep.positive) == sorted(SPORTS) and sorted(rep.negative) == sorted(MARKETS)
    assert rep.positive_confidence == sorted(rep.positive_confidence, reverse=True)
    assert len(rep.top_positive) == 2 and rep.top_positive == rep.positive[:2]
    # a sample with one topic word ranks below those with two or more
    assert rep.positive.index("our team lost the match") >= 4
    assert all(0.5 < c < 1 for c in rep.positive_confidence + rep.negative_confidence)


def test_representative_samples_with_minilm_features(encoder_path):
    rep = representative_samples(SPORTS, MARKETS, featurizer="minilm", folds=4, encoder_path=encoder_path)
    assert rep.auc > 0.9 and rep.featurizer == "minilm"
    with pytest.raises(ValueError, match="two samples"):
        representative_samples(SPORTS[:1], MARKETS)
