import random

import pytest

from ml.search.beam import beam_search

# A toy policy and PRM whose best path is known. A solution is two letter steps then an answer line.
# The PRM likes a first step 'a' (0.9), but every continuation of 'a' is poor (0.1); 'c' looks worse at
# first (0.6) but 'ca' is perfect (1.0). The policy's greedy step is always 'a'.
FIRST = {"a": 0.9, "b": 0.5, "c": 0.6}


def path_of(steps):
    return "".join(s.strip() for s in steps if not s.startswith("answer"))


def prm(rows):
    scores = []
    for _, steps in rows:
        path = path_of(steps)
        if len(path) == 1:
            scores.append(FIRST[path])
        else:
            scores.append(1.0 if path == "ca" else 0.3 if path[0] == "c" else 0.5 if path[0] == "b" else 0.1)
    return scores


class ToyPolicy:
    def __init__(self):
        self.calls = []

    def __call__(self, prefixes, temperature, seed):
        self.calls.append(list(prefixes))
        out = []
        for i, prefix in enumerate(prefixes):
            path = "".join(line for line in prefix.split("\n")[1:] if line and not line.startswith("answer"))
            if len(path) == 2:
                out.append((f"answer: {path}", 2, True))
            elif temperature == 0:
                out.append(("a\n", 2, False))
            else:
                rng = random.Random(f"{seed}/{i}/{prefix}")
                out.append((rng.choice("abc") + "\n", 2, False))
        return out


def best(result):
    return max(result.finished, key=lambda c: c.score)


def test_plain_beam_search_follows_the_prm_into_the_trap():
    [result] = beam_search(["q\n"], ToyPolicy(), prm, n=9, m=9, lookahead=0)
    assert path_of(best(result).steps).startswith("a") and best(result).score == pytest.approx(0.1)


def test_lookahead_sees_past_the_trap_to_the_best_path():
    [result] = beam_search(["q\n"], ToyPolicy(), prm, n=9, m=9, lookahead=1)
    top = best(result)
    assert top.finished and path_of(top.steps) == "ca" and top.score == 1.0
    assert top.steps[-1] == "answer: ca"


def test_cost_is_n_times_lookahead_plus_one_per_round():
    [plain] = beam_search(["q\n"], ToyPolicy(), prm, n=9, m=9, lookahead=0)
    assert plain.generated_steps == 9 * 3 and plain.generated_tokens == 2 * 27
    [ahead] = beam_search(["q\n"], ToyPolicy(), prm, n=9, m=9, lookahead=1)
    assert ahead.generated_steps == 9 * 3 + 9 * 2  # the answer round has nothing left to look ahead


def test_prompts_are_batched_in_every_call():
    policy = ToyPolicy()
    results = beam_search(["p\n", "q\n", "r\n"], policy, prm, n=4, m=2, lookahead=1)
    assert len(results) == 3
    assert len(policy.calls) == 5  # three rounds and a lookahead in the first two, for all prompts at once
    assert all({prefix[0] for prefix in call} == {"p", "q", "r"} for call in policy.calls)
    assert len(policy.calls[0]) == 3 * 4
    for result in results:  # beam width 2 keeps 2 of 4, each expanded twice
        assert len(result.finished) == 2 and all(c.finished for c in result.finished)


def test_fixed_seed_is_reproducible():
    first = beam_search(["q\n"], ToyPolicy(), prm, n=6, m=3, seed=5)
    again = beam_search(["q\n"], ToyPolicy(), prm, n=6, m=3, seed=5)
    assert [c.steps for c in first[0].finished] == [c.steps for c in again[0].finished]


def test_bad_budgets_are_refused():
    with pytest.raises(ValueError):
        beam_search(["q\n"], ToyPolicy(), prm, n=6, m=4)
    with pytest.raises(ValueError):
        beam_search(["q\n"], ToyPolicy(), prm, n=4, m=2, lookahead=-1)
