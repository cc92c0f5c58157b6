import random
import re

import numpy as np
import pytest

from ml.search import flops
from ml.search.select import aggregate, best_of_n, majority, select, subsample, weighted_best_of_n
from ml.search.tasks import ArithmeticChains, Problem, apply, make_splits, split_of, with_slips

chains = ArithmeticChains()

# --- the arithmetic domain ----------------------------------------------------------------------------


def test_chains_evaluate_left_to_right():
    assert ArithmeticChains.evaluate("37+5*3-40") == 86  # ((37 + 5) * 3) - 40, no precedence
    assert ArithmeticChains.evaluate("2-9") == -7
    with pytest.raises(ValueError):
        ArithmeticChains.parse("3++4")


def test_reference_solution_has_one_line_per_step_and_every_step_checks():
    problem = Problem("37+5*3-40", "86", 3)
    text = chains.solution(problem)
    assert text == "37+5=42\n42*3=126\n126-40=86\nanswer: 86"
    steps = chains.steps(text)
    assert all(chains.step_correct(problem, steps, i) for i in range(len(steps)))
    assert chains.answer(text) == "86"


def test_a_slip_is_carried_on_and_every_step_from_it_is_labelled_wrong():
    problem = Problem("37+5*3-40", "86", 3)
    steps = ["37+5=43", "43*3=129", "129-40=89", "answer: 89"]
    assert [chains.step_correct(problem, steps, i) for i in range(4)] == [False] * 4
    late = ["37+5=42", "42*3=126", "126-40=96", "answer: 96"]
    assert [chains.step_correct(problem, late, i) for i in range(4)] == [True, True, False, False]
    assert not chains.step_correct(problem, ["37+5=42", "answer: 42"], 1)  # answering early


def test_answers_are_parsed_strictly():
    assert chains.answer("1+2=3\nanswer: 3") == "3"
    assert chains.answer("1+2=3\nanswer: -12") == "-12"
    assert chains.answer("1+2=3") is None and chains.answer("answer: three") is None


def test_slipped_solutions_stay_consistent_and_slip_at_about_the_rate():
    rng = random.Random(0)
    wrong_steps = total_steps = 0
    for problem in (chains.sample(rng) for _ in range(400)):
        text = with_slips(problem, rng, slip_rate=0.1)
        lines = chains.steps(text)
        assert len(lines) == problem.n_steps + 1
        value, operations = ArithmeticChains.parse(problem.text)
        for line, (op, operand) in zip(lines, operations, strict=False):
            left, shown_op, shown_operand, result = re.fullmatch(
                r"(-?\d+)([-+*])(\d+)=(-?\d+)", line
            ).groups()
            assert (int(left), shown_op, int(shown_operand)) == (
                value,
                op,
                operand,
            )  # builds on the last result
            wrong_steps += int(result) != apply(value, op, operand)
            total_steps += 1
            value = int(result)
        assert chains.answer(text) == str(value)
    assert 0.07 < wrong_steps / total_steps < 0.13


def test_difficulty_spreads_over_chain_lengths():
    rng = random.Random(1)
    lengths = {chains.sample(rng).n_steps for _ in range(500)}
    assert lengths == set(range(1, 8))


def test_max_value_keeps_every_running_value_in_range():
    capped = ArithmeticChains(max_value=100)
    rng = random.Random(2)
    longest = 0
    for _ in range(500):
        problem = capped.sample(rng)
        value, rest = ArithmeticChains.parse(problem.text)
        assert 0 <= value <= 100
        for op, operand in rest:
            value = apply(value, op, operand)
            assert 0 <= value <= 100
        assert problem.answer == str(value) == str(ArithmeticChains.evaluate(problem.text))
        longest = max(longest, problem.n_steps)
    assert longest == 7  # the cap leaves chain lengths alone
    rng = random.Random(2)
    assert max(abs(int(chains.sample(rng).answer)) for _ in range(500)) > 1000  # uncapped chains grow
    with pytest.raises(ValueError, match="twice max_operand"):
        ArithmeticChains(max_operand=20, max_value=30)


def test_splits_are_disjoint_deduplicated_and_seeded():
    small = ArithmeticChains(max_operands=3, max_operand=20)
    sizes = {"train": 300, "validation": 40, "test": 50}
    splits = make_splits(small, seed=0, sizes=sizes)
    texts = {name: [p.text for p in problems] for name, problems in splits.items()}
    assert {name: len(t) for name, t in texts.items()} == sizes
    assert all(len(set(t)) == len(t) for t in texts.values())
    assert not set(texts["train"]) & set(texts["test"]) and not set(texts["validation"]) & set(texts["test"])
    assert all(split_of(t) == name for name, ts in texts.items() for t in ts)
    assert make_splits(small, seed=0, sizes=sizes) == splits
    other = make_splits(small, seed=1, sizes=sizes)
    assert not set(texts["train"]) & {p.text for p in other["test"]}  # disjoint across seeds too
    with pytest.raises(ValueError):
        make_splits(ArithmeticChains(max_operands=2, max_operand=3), seed=0, sizes={"train": 1000})


# --- selection ----------------------------------------------------------------------------------------


def test_step_aggregations():
    scores = [0.9, 0.5, 0.8]
    assert aggregate(scores, "last") == 0.8
    assert aggregate(scores, "min") == 0.5
    assert aggregate(scores, "prod") == pytest.approx(0.36)
    with pytest.raises(ValueError):
        aggregate(scores, "mean")


def test_weighted_voting_can_overturn_the_majority_and_best_of_n():
    answers = ["7", "7", "7", "9", "9", None]
    scores = [0.2, 0.2, 0.2, 0.5, 0.45, 0.99]
    assert majority(answers) == "7"
    assert best_of_n(answers, scores) == "9"  # the unparsed sample never wins
    assert weighted_best_of_n(answers, scores) == "9"  # 0.95 against 0.6
    assert weighted_best_of_n(answers, [0.4, 0.4, 0.4, 0.5, 0.45, 0.99]) == "7"  # 1.2 against 0.95
    assert select("majority", answers, scores) == "7"
    assert majority([None, None]) is None and best_of_n([None], [1.0]) is None


def test_ties_go_to_the_answer_seen_first():
    assert majority(["b", "a", "a", "b"]) == "b"
    assert weighted_best_of_n(["x", "y"], [0.5, 0.5]) == "x"


def test_subsample_draws_distinct_indices_at_random():
    rng = np.random.default_rng(0)
    draws = [tuple(sorted(subsample(16, 4, rng))) for _ in range(50)]
    assert all(len(set(d)) == 4 and max(d) < 16 for d in draws)
    assert len(set(draws)) > 40  # not the first n every time
    with pytest.raises(ValueError):
        subsample(4, 5, rng)


# --- FLOPs ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("ratio", "expected"), [(0.16, 258), (0.79, 63), (22, 16)])
def test_matched_budget_reproduces_the_papers_multipliers(ratio, expected):
    assert flops.matched_budget(14, ratio) == pytest.approx(expected, abs=0.5)


def test_matched_budget_is_exact_flops_matching():
    params, d_pre, d_inf, m = 1e6, 1e9, 1e8, 14
    budget = flops.matched_budget(m, d_inf / d_pre)
    small = flops.pretraining_flops(params, d_pre) + budget * flops.inference_flops(params, d_inf)
    large = flops.pretraining_flops(m * params, d_pre) + flops.inference_flops(m * params, d_inf)
    assert small == pytest.approx(large)
    assert flops.search_flops(10, 5, prm_params=4, prm_tokens=5) == 2 * 10 * 5 + 2 * 4 * 5
    with pytest.raises(ValueError):
        flops.matched_budget(0.5, 1)


def test_compute_params_leave_out_position_tables_but_count_the_tied_output_matrix():
    from ml.distill.supervised import tiny_char_model
    from ml.lm.models import count_params
    from ml.search.flops import compute_params

    model, _ = tiny_char_model("0123456789", n_layer=1, n_embd=16, n_head=2, block_size=100)
    positions = model.transformer.wpe.weight.numel()
    assert positions == 100 * 16
    assert compute_params(model) == count_params(model) - positions
    # the window is a lookup table: a longer one adds parameters but no FLOPs
    longer, _ = tiny_char_model("0123456789", n_layer=1, n_embd=16, n_head=2, block_size=400)
    assert compute_params(longer) == compute_params(model) < count_params(longer)
