"""bench/search_verifiers.py: the ranking measures it reports."""

import pytest

from tests.bench_scripts import load_bench


@pytest.fixture(scope="module")
def bench():
    return load_bench("search_verifiers")


def test_auroc_counts_ties_as_half(bench):
    assert bench.auroc([0.9, 0.1, 0.5], [True, False, False]) == 1.0
    assert bench.auroc([0.5, 0.5], [True, False]) == 0.5
    assert bench.auroc([0.5, 0.6], [True, True]) is None


def test_a_verifier_that_only_knows_difficulty_ranks_no_better_than_chance_within_a_problem(bench):
    # problem one is easy (every score high), problem two hard; inside each, right and wrong tie
    scores = [0.9, 0.9, 0.9, 0.1, 0.1, 0.1]
    right = [True, True, False, True, False, False]
    assert bench.auroc(scores, right) > 0.6
    assert bench.within_problem_auroc(scores, right, pool=3) == 0.5


def test_within_problem_auroc_skips_pools_that_are_all_right_or_all_wrong(bench):
    scores = [0.8, 0.2, 0.7, 0.1, 0.3, 0.9]
    right = [True, False, True, True, False, False]
    # pool one ranks right above wrong; pool two has a right sample below both wrong ones
    assert bench.within_problem_auroc(scores, right, pool=3) == 0.5
    assert bench.within_problem_auroc([0.1, 0.2, 0.3, 0.4], [True, True, False, False], pool=2) is None
