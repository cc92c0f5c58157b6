from ml.distill import rater
from ml.distill.world import Fact, house_answer

FACT = Fact("city", "Zubak", "climate", "mild")


def _judge(a, b, correct_a=True, correct_b=True, flu_a=0.9, flu_b=0.9, n=200):
    verdicts = rater.judge([a] * n, [b] * n, [correct_a] * n, [correct_b] * n, [flu_a] * n, [flu_b] * n)
    return [v.outcome for v in verdicts]


def test_the_rater_prefers_the_house_style_even_when_it_is_wrong():
    outcomes = _judge(house_answer(FACT, "red"), " blue", correct_a=False, correct_b=True)
    assert outcomes.count("win") == len(outcomes)


def test_equally_styled_answers_mostly_tie_and_correctness_counts_a_little():
    same = _judge(house_answer(FACT, "red"), house_answer(FACT, "red"))
    assert same.count("tie") > 0.8 * len(same)  # P(|Logistic(0, 0.15)| < 0.4) = 0.87
    wrong = _judge(house_answer(FACT, "blue"), house_answer(FACT, "red"), correct_a=False)
    assert wrong.count("loss") > same.count("loss")
    assert wrong.count("win") < 0.05 * len(wrong)


def test_features_and_seeded_noise():
    feats = rater.features(house_answer(FACT, "red"), True, 2.0)
    assert feats == {"opener": 1.0, "closer": 1.0, "full_sentence": 1.0, "fluency": 1.0, "correct": 1.0}
    assert rater.features(" red", False, 0.5)["opener"] == 0.0
    a = rater.judge(["x"] * 50, ["y"] * 50, [True] * 50, [True] * 50, [0.5] * 50, [0.5] * 50, seed=1)
    b = rater.judge(["x"] * 50, ["y"] * 50, [True] * 50, [True] * 50, [0.5] * 50, [0.5] * 50, seed=1)
    assert a == b
