import random

import pytest

from ml.search.revisions import ATTEMPT_END, edit_distance, revision_context, revision_examples


@pytest.mark.parametrize(
    ("a", "b", "distance"), [("", "", 0), ("abc", "", 3), ("kitten", "sitting", 3), ("3+4=7", "3+4=8", 1)]
)
def test_edit_distance(a, b, distance):
    assert edit_distance(a, b) == distance == edit_distance(b, a)


def test_context_keeps_the_four_most_recent_attempts():
    context = revision_context("q\n", ["a1", "a2", "a3", "a4", "a5"])
    assert context == "q\n" + "".join(f"a{i}{ATTEMPT_END}" for i in range(2, 6))
    assert revision_context("q\n", []) == "q\n"


def test_examples_put_the_closest_wrong_attempt_last():
    correct = "3+4=7\nanswer: 7"
    wrong = ["3+4=9\n9*2=18\nanswer: 18", "3+4=8\nanswer: 8", "5-1=4\n4+4=8\nanswer: 80"]
    rng = random.Random(0)
    examples = revision_examples("3+4\n", [correct] * 200, wrong, rng)
    counts = set()
    for context, target in examples:
        assert target == correct and context.startswith("3+4\n")
        attempts = [a for a in context[len("3+4\n") :].split(ATTEMPT_END) if a]
        counts.add(len(attempts))
        if attempts:
            assert set(attempts) <= set(wrong) and len(set(attempts)) == len(attempts)
            assert edit_distance(attempts[-1], correct) == min(edit_distance(a, correct) for a in attempts)
    assert counts == {0, 1, 2, 3}  # 0..4 wrong attempts, capped by the 3 available
    assert revision_examples("q\n", [], wrong, rng) == []
