import math

import numpy as np
import pytest

from ml.describe.proposers import (
    PROPOSERS,
    DiscriminativeProposer,
    LMProposer,
    build_prompt,
    clean_hypothesis,
    kmeans,
    log_odds_z,
    make_proposer,
)

SPORTS = [f"the striker scored a goal in match {i}" for i in range(4)] + [
    "football fans love a late goal",
    "the football final was a great match",
]
MARKETS = [f"shares fell in the market on day {i}" for i in range(4)] + [
    "the bank raised rates again",
    "investors watched the market closely",
]


def test_prompt_follows_the_d3_layout():
    prompt = build_prompt(["one\nline", "two"], ["three"])
    assert prompt == (
        "Group A: one line\nGroup A: two\n\nGroup B: three\n\n"
        "Compared to sentences from Group B, each sentence from Group A"
    )


@pytest.mark.parametrize(
    "raw, clean",
    [
        (" mentions sports", "mentions sports"),
        (' "Is more formal."  ', "is more formal"),
        ("NASA missions are mentioned", "NASA missions are mentioned"),
        ("", None),
        ("...", None),
        ("talks", None),  # a single word describes nothing
        ("is like Group B", None),
        (" ".join(["word"] * 30), None),
    ],
)
def test_clean_hypothesis(raw, clean):
    assert clean_hypothesis(raw) == clean


def test_log_odds_marks_the_words_of_each_group():
    pos = [{"goal", "match"}, {"goal"}, {"goal", "fans"}, {"weather"}]
    neg = [{"market"}, {"market", "weather"}, {"rates"}, {"weather"}]
    z = log_odds_z(pos, neg, min_count=2)
    assert z["goal"] > 1.0 and z["market"] < -1.0
    assert abs(z["weather"]) < z["goal"] and "fans" not in z  # in one text only: skipped


def test_kmeans_finds_two_blobs_deterministically():
    rng = np.random.default_rng(0)
    points = np.r_[rng.normal(0, 0.1, (10, 2)), rng.normal(5, 0.1, (10, 2))]
    labels = kmeans(points, 2, seed=3)
    assert len(set(labels[:10])) == 1 and len(set(labels[10:])) == 1 and labels[0] != labels[-1]
    assert (kmeans(points, 2, seed=3) == labels).all()


def test_discriminative_proposer_finds_the_number_difference(number_pair):
    positive, negative = number_pair
    proposer = DiscriminativeProposer()
    hypotheses = proposer.propose(positive, negative, n=10, seed=0)
    assert hypotheses[0] == "mentions a number"
    assert len(hypotheses) == len(set(hypotheses)) <= 10
    assert proposer.propose(positive, negative, n=10, seed=0) == hypotheses
    # the other direction reads as an absence
    assert "does not mention any number" in proposer.propose(negative, positive, n=10, seed=0)


def test_discriminative_proposer_words_and_clusters(encoder_path):
    proposer = DiscriminativeProposer(encoder_path, n_clusters=2, device="cpu")
    found = proposer.candidates(SPORTS * 2, MARKETS * 2, n=30, seed=0)
    hypotheses = [c.hypothesis for c in found]
    assert "mentions 'goal'" in hypotheses
    assert any(c.source == "words" and "'goal'" in c.hypothesis and " or " in c.hypothesis for c in found)
    assert any(c.source == "cluster" for c in found)
    assert all(c.score > 0 for c in found) and [c.score for c in found] == sorted(
        (c.score for c in found), reverse=True
    )
    assert proposer.propose(SPORTS * 2, MARKETS * 2, n=30, seed=0) == hypotheses
    assert len(proposer.propose(SPORTS * 2, MARKETS * 2, n=3, seed=0)) == 3


def test_lm_proposer_returns_distinct_predicates(lm_path, number_pair):
    # SmolLM2-135M is too weak to be expected to find the difference; only the shape is checked.
    positive, negative = number_pair
    proposer = LMProposer(lm_path, max_new_tokens=16, device="cpu")
    hypotheses = proposer.propose(positive, negative, n=3, seed=0)
    assert 1 <= len(hypotheses) <= 3
    assert len({h.lower() for h in hypotheses}) == len(hypotheses)
    assert all(h == clean_hypothesis(h) for h in hypotheses)
    first = proposer.prompts[0]
    assert first.count("Group A: ") == 5 and first.count("Group B: ") == 5
    # prompts draw on the head of each ranking: the top 20%, at least 5 samples
    head = positive[: max(5, math.ceil(0.2 * len(positive)))]
    assert all(line[len("Group A: ") :] in head for line in first.splitlines() if line.startswith("Group A"))


def test_proposer_registry():
    assert set(PROPOSERS) == {"discriminative", "lm"}
    assert isinstance(make_proposer("discriminative", lm="unused"), DiscriminativeProposer)
    with pytest.raises(ValueError, match="unknown proposer"):
        make_proposer("gpt")
