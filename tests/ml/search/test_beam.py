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
        self.seeds = []

    def __call__(self, prefixes, temperature, seeds):
        assert len(seeds) == len(prefixes)
        self.calls.append(list(prefixes))
        self.seeds.append(list(seeds))
        out = []
        for prefix, seed in zip(prefixes, seeds, strict=True):
            path = "".join(line for line in prefix.split("\n")[1:] if line and not line.startswith("answer"))
            if len(path) == 2:
                out.append((f"answer: {path}", 2, True))
            elif temperature == 0:
                out.append(("a\n", 2, False))
            else:
                rng = random.Random(f"{seed}/{prefix}")
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


def summary(results):
    return [
        ([(c.steps, c.finished) for c in r.finished], r.generated_steps, r.generated_tokens) for r in results
    ]


def assert_same(results, others):
    """The same candidates in the same order, at the same cost; scores equal up to float noise."""
    assert summary(results) == summary(others)
    scores = [[c.score for c in r.finished] for r in results]
    assert scores == [pytest.approx([c.score for c in r.finished], abs=1e-6) for r in others]


def test_a_prompt_gets_the_same_result_alone_or_in_a_batch():
    prompts = ["p\n", "q\n", "r\n", "q\n"]
    policy = ToyPolicy()
    together = beam_search(prompts, policy, prm, n=6, m=3, lookahead=1, seed=2)
    alone = [beam_search([p], ToyPolicy(), prm, n=6, m=3, lookahead=1, seed=2)[0] for p in prompts]
    assert_same(together, alone)
    # round 0: six samples per prompt, each with its own seed; a repeated prompt repeats its seeds
    first = [policy.seeds[0][i * 6 : (i + 1) * 6] for i in range(4)]
    assert len(set(first[0])) == 6 and first[1] == first[3]
    assert not set(first[0]) & set(first[1]) and not set(first[1]) & set(first[2])
    lookahead = policy.seeds[1]  # the greedy rollouts get seeds apart from the samples'
    assert not set(lookahead) & {s for call in policy.seeds[:1] for s in call}
    again = ToyPolicy()
    beam_search(prompts, again, prm, n=6, m=3, lookahead=1, seed=3)
    assert not set(again.seeds[0]) & set(policy.seeds[0])  # another seed, other draws


def test_a_real_lm_gives_the_same_beams_batched_or_one_prompt_at_a_time():
    import torch

    from ml.distill.supervised import tiny_char_model
    from ml.search.beam import lm_step_sampler, prm_prefix_scorer
    from ml.search.policy import ALPHABET
    from ml.search.verifiers import StepScorer

    torch.manual_seed(0)
    policy, tokenizer = tiny_char_model(ALPHABET, n_layer=1, n_embd=32, n_head=2, block_size=160)
    with torch.no_grad():  # larger weights than the default init, so the untrained policy is not uniform
        for p in policy.parameters():
            if p.dim() >= 2:
                p.normal_(0.0, 0.3)
    scorer = StepScorer(tiny_char_model(ALPHABET, n_layer=1, n_embd=32, n_head=2, block_size=160)[0])
    sampler, score = lm_step_sampler(policy, tokenizer), prm_prefix_scorer(scorer, tokenizer, "last")
    prompts = ["3+4\n", "12-5*2\n", "7*3+1-4\n", "9\n", "3+4\n"]
    args = dict(n=4, m=2, lookahead=1, max_rounds=3, temperature=1.0, seed=1)
    together = beam_search(prompts, sampler, score, **args)
    alone = [beam_search([p], sampler, score, **args)[0] for p in prompts]
    assert_same(together, alone)
    assert summary(together)[0] == summary(together)[4]  # the same prompt twice: the same search
    steps = [c.steps for r in together for c in r.finished]
    assert len({tuple(s) for s in steps}) > len(prompts)  # really sampled, not all alike
