import random

import pytest

from ml.search.revisions import (
    ATTEMPT_END,
    edit_distance,
    hierarchical_select,
    lm_attempts,
    revision_context,
    revision_examples,
    sequential_revisions,
)


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


def test_sequential_revisions_condition_each_attempt_on_its_own_chain():
    seen_contexts = []

    def fake(contexts, seed):
        seen_contexts.append(list(contexts))
        return [f"s{seed}c{i}" for i in range(len(contexts))]

    chains = sequential_revisions(fake, ["p\n", "q\n"], chains=2, length=3, seed=10)
    assert len(seen_contexts) == 3 and all(len(c) == 4 for c in seen_contexts)  # one call per step
    assert chains[0][1] == ["s10c1", "s11c1", "s12c1"]
    assert seen_contexts[2][3] == "q\n" + "s10c3" + ATTEMPT_END + "s11c3" + ATTEMPT_END
    with pytest.raises(ValueError):
        sequential_revisions(fake, ["p\n"], chains=0, length=1)


def test_hierarchical_selection_votes_within_then_across_chains():
    answers = [["1", "2", "2"], ["1", "1", None], ["3"]]
    scores = [[0.9, 0.3, 0.3], [0.2, 0.2, 1.0], [0.5]]
    # chain winners: "1" (0.9 beats 0.6), "1" (0.4), "3" (0.5); across chains "1" has 1.3
    assert hierarchical_select(answers, scores) == "1"
    assert hierarchical_select([[None]], [[1.0]]) is None


def test_a_language_model_generates_one_attempt_per_context():
    from ml.distill.supervised import tiny_char_model
    from ml.search.policy import ALPHABET

    model, tokenizer = tiny_char_model(ALPHABET + ATTEMPT_END, n_layer=1, n_embd=16, n_head=2, block_size=300)
    generate = lm_attempts(model, tokenizer)
    chains = sequential_revisions(generate, ["1+2\n", "3*4\n"], chains=2, length=2, seed=0)
    assert [len(c) for per in chains for c in per] == [2] * 4
    assert all(isinstance(a, str) for per in chains for c in per for a in c)
    assert generate(["1+2\n"], 7) == generate(["1+2\n"], 7)  # seeded


def test_revision_shapes_spend_at_most_the_budget_and_grow_with_it():
    from ml.search.pipeline import revision_shapes

    budgets = [1, 2, 4, 8, 16, 32, 64]
    shapes = revision_shapes(budgets)
    assert shapes["sequential"][16] == (1, 16) and shapes["parallel"][16] == (16, 1)
    assert shapes["balanced"][16] == (4, 4) and shapes["balanced"][32] == (6, 5)
    for by_budget in shapes.values():
        assert all(n / 2 < c * k <= n for n, (c, k) in by_budget.items())
        assert all(by_budget[a][0] <= by_budget[b][0] for a, b in zip(budgets, budgets[1:], strict=False))
