import random

import pytest
import torch

from ml.search.beam import beam_search, lm_step_sampler, prm_prefix_scorer
from ml.search.policy import ALPHABET, sample_next_steps, sample_solutions, train_policy, training_pairs
from ml.search.tasks import ANSWER_PREFIX, ArithmeticChains, Problem, make_splits
from ml.search.verifiers import (
    Labelled,
    StepScorer,
    encode,
    mc_step_labels,
    oracle_step_labels,
    score_steps,
    split_steps,
    train_scorer,
)

easy = ArithmeticChains(max_operands=2, max_operand=9, max_multiplier=3)


def tiny_backbone():
    from ml.distill.supervised import tiny_char_model

    torch.manual_seed(0)
    return tiny_char_model(ALPHABET, n_layer=1, n_embd=32, n_head=2, block_size=160)


def test_training_pairs_are_prompt_and_slipped_solution():
    problems = [Problem("3+4", "7", 1)] * 200
    pairs = training_pairs(easy, problems, slip_rate=0.5, seed=0)
    assert all(prompt == "3+4\n" for prompt, _ in pairs)
    answers = {easy.answer(solution) for _, solution in pairs}
    assert "7" in answers and len(answers) > 1  # some slipped


def test_encode_marks_each_step_end():
    _, tokenizer = tiny_backbone()
    steps = split_steps("3+4=7\nanswer: 7")
    assert steps == ["3+4=7\n", "answer: 7"]
    ids, ends = encode(tokenizer, "3+4\n", steps)
    assert tokenizer.decode(ids[ends[0]]) == "\n" and ends[-1] == len(ids) - 1
    assert tokenizer.decode(ids[1 : ends[0] + 1]).replace(" ", "") == "3+4\n3+4=7\n".replace(" ", "")


def test_oracle_labels_follow_the_step_checker():
    problem = Problem("3+4*2", "14", 2)
    assert oracle_step_labels(easy, problem, ["3+4=7\n", "7*2=14\n", "answer: 14"]) == [1.0, 1.0, 1.0]
    assert oracle_step_labels(easy, problem, ["3+4=8\n", "8*2=16\n", "answer: 16"]) == [0.0, 0.0, 0.0]


@pytest.fixture(scope="module")
def memorised():
    """A policy that memorised 40 one-step problems (these tests are about sampling, not learning)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # module-scoped fixtures run outside the per-test one-thread fixture
    splits = make_splits(easy, seed=0, sizes={"train": 40})
    policy, tokenizer = train_policy(
        easy, splits["train"] * 20, slip_rate=0.0, n_layer=1, n_embd=64, steps=400, batch_size=32, lr=3e-3
    )
    torch.set_num_threads(threads)
    return policy, tokenizer, splits["train"][:10]


def test_a_trained_policy_samples_whole_solutions_and_single_steps(memorised):
    policy, tokenizer, seen = memorised
    prompts = [easy.prompt(p) for p in seen]
    solutions = sample_solutions(policy, tokenizer, prompts, n=4, temperature=0.0)
    assert all(len(s) == 4 and len({t for t, _ in s}) == 1 for s in solutions)  # greedy: all alike
    correct = sum(easy.answer(s[0][0]) == p.answer for s, p in zip(solutions, seen, strict=True))
    assert correct >= 8
    first = sample_next_steps(policy, tokenizer, prompts, temperature=0.0)
    assert all(text.endswith("\n") and not finished and tokens > 0 for text, tokens, finished in first)
    second = sample_next_steps(
        policy, tokenizer, [p + s for p, (s, _, _) in zip(prompts, first, strict=True)], temperature=0.0
    )
    assert all(text.startswith(ANSWER_PREFIX) and finished for text, _, finished in second)
    assert [p + a + b for p, (a, _, _), (b, _, _) in zip(prompts, first, second, strict=True)] == [
        p + s[0][0] for p, s in zip(prompts, solutions, strict=True)
    ]  # stepping greedily rebuilds the greedy whole solution

    # MC labels from this policy: its own correct solutions score high, a slipped first step low
    problem = seen[0]
    good = split_steps(easy.solution(problem))
    value = int(problem.answer) + 1
    bad = [good[0].replace(f"={problem.answer}\n", f"={value}\n"), f"{ANSWER_PREFIX}{value}"]
    labels = mc_step_labels(policy, tokenizer, easy, [(problem, good), (problem, bad)], rollouts=4)
    assert labels[0] == [1.0, 1.0] and labels[1] == [0.0, 0.0]


def test_a_prm_learns_oracle_labels():
    from ml.distill.supervised import tiny_char_model

    torch.manual_seed(0)
    backbone, tokenizer = tiny_char_model(ALPHABET, n_layer=2, n_embd=64, n_head=4, block_size=160)
    scorer = StepScorer(backbone)
    rng = random.Random(0)
    domain = ArithmeticChains(max_operands=3, max_operand=9, max_multiplier=3)

    def item():
        problem = domain.sample(rng)
        from ml.search.tasks import with_slips

        steps = split_steps(with_slips(problem, rng, slip_rate=0.3))
        return Labelled(domain.prompt(problem), steps, oracle_step_labels(domain, problem, steps))

    train, held = [item() for _ in range(400)], [item() for _ in range(100)]
    losses = train_scorer(scorer, tokenizer, train, steps=400, batch_size=32, lr=2e-3).losses
    assert sum(losses[-20:]) / 20 < 0.9 * sum(losses[:20]) / 20
    scores = score_steps(scorer, tokenizer, [(h.prompt, h.steps) for h in held])
    pairs = [
        (s, lab) for h, ss in zip(held, scores, strict=True) for s, lab in zip(ss, h.labels, strict=True)
    ]
    right = [s for s, lab in pairs if lab == 1.0]
    wrong = [s for s, lab in pairs if lab == 0.0]
    # a tiny PRM after 400 steps separates on-track steps from off-track ones, far from perfectly
    assert sum(right) / len(right) > sum(wrong) / len(wrong) + 0.12


def test_an_orm_is_trained_on_the_last_step_only():
    backbone, tokenizer = tiny_backbone()
    scorer = StepScorer(backbone)
    data = [Labelled("1+1\n", ["1+1=2\n", "answer: 2"], [0.0, 1.0])] * 8
    train_scorer(scorer, tokenizer, data, outcome_only=True, steps=60, batch_size=8, lr=1e-2)
    [scores] = score_steps(scorer, tokenizer, [("1+1\n", data[0].steps)])
    assert scores[-1] > 0.9  # the first step's 0.0 label was never used
    with pytest.raises(ValueError):
        train_scorer(scorer, tokenizer, [], steps=1)


def test_early_stopping_keeps_the_checkpoint_with_the_lowest_validation_loss():
    from ml.search.verifiers import _validation_loss

    backbone, tokenizer = tiny_backbone()
    scorer = StepScorer(backbone)
    steps = ["1+1=2\n", "answer: 2"]
    train = [Labelled("1+1\n", steps, [1.0, 1.0])] * 8
    contrary = [Labelled("1+1\n", steps, [0.0, 0.0])]  # every training step moves away from these
    log = train_scorer(
        scorer, tokenizer, train, steps=60, batch_size=8, lr=1e-2, validation=contrary, eval_every=20
    )
    assert sorted(log.validation_losses) == [20, 40, 60]
    assert log.validation_losses[20] < log.validation_losses[60]
    assert log.best_step == 20
    assert _validation_loss(scorer, tokenizer, contrary, False) == pytest.approx(log.validation_losses[20])
    assert train_scorer(scorer, tokenizer, train, steps=5).best_step == 5  # no validation data: the last


def test_beam_search_runs_on_a_real_policy_and_prm(memorised):
    policy, tokenizer, seen = memorised
    prompts = [easy.prompt(p) for p in seen[:4]]
    scorer = StepScorer(tiny_backbone()[0])
    results = beam_search(
        prompts,
        lm_step_sampler(policy, tokenizer),
        prm_prefix_scorer(scorer, tokenizer, "min"),
        n=4,
        m=2,
        lookahead=1,
    )
    for problem, result in zip(seen[:4], results, strict=True):
        answers = [easy.answer("".join(c.steps)) for c in result.finished if c.finished]
        assert answers and problem.answer in answers  # the memorised answer is among the finished beams
        assert all(0 <= c.score <= 1 for c in result.finished) and result.generated_tokens > 0


def test_steps_past_the_prm_window_score_zero_instead_of_crashing():
    backbone, tokenizer = tiny_backbone()
    scorer = StepScorer(backbone)
    window = backbone.config.n_positions
    rambling = ["1+1=2\n"] * (window // 6 + 4)  # runs well past the window
    [long_scores, short_scores] = score_steps(
        scorer, tokenizer, [("1+1\n", rambling), ("1+1\n", rambling[:3])]
    )
    inside = (window - 5) // 6  # steps whose last token is within the window (BOS and prompt come first)
    assert len(long_scores) == len(rambling)
    assert all(0 < s < 1 for s in long_scores[:inside]) and all(s == 0.0 for s in long_scores[-4:])
    # the window changes nothing for rows that fit it
    assert long_scores[:3] == pytest.approx(short_scores)


@pytest.mark.parametrize("init", ["policy", "scratch"])
def test_verifiers_start_from_a_copy_of_the_policy_or_from_scratch(memorised, init):
    from ml.search.pipeline import train_verifiers

    policy, tokenizer, problems = memorised
    before = {k: v.clone() for k, v in policy.state_dict().items()}
    data = [Labelled(easy.prompt(p), [easy.solution(p)], [1.0]) for p in problems]
    # a learning rate so small that one step leaves the starting weights where they were
    params = {"verifier_init": init, "prm_steps": 1, "verifier_lr": 1e-9, "oracle_prm": True}
    labelled = {"mc": (data, data[:2]), "oracle": (data, data[:2])}
    verifiers, best = train_verifiers(params, policy, tokenizer, labelled, seed=0)
    assert best == {"prm": 1, "orm": 1, "prm_oracle": 1}
    for scorer in verifiers.values():
        assert scorer.backbone is not policy
        weight = scorer.backbone.state_dict()["transformer.h.0.attn.c_attn.weight"]
        same = weight.shape == before["transformer.h.0.attn.c_attn.weight"].shape and torch.allclose(
            weight, before["transformer.h.0.attn.c_attn.weight"], atol=1e-6
        )
        assert same == (init == "policy")
    assert all(torch.equal(v, before[k]) for k, v in policy.state_dict().items())  # the policy is untouched


def test_labelled_solutions_carry_monte_carlo_and_exact_labels(memorised):
    from ml.search.pipeline import label_solutions, train_verifiers

    policy, tokenizer, problems = memorised
    params = {"labelled_samples": 3, "rollouts": 2}
    labelled = label_solutions(params, policy, tokenizer, easy, problems, seed=0)
    (mc, mc_held), (exact, exact_held) = labelled["mc"], labelled["oracle"]
    assert len(mc) + len(mc_held) == 3 * len(problems)
    assert [(d.prompt, d.steps) for d in mc + mc_held] == [(d.prompt, d.steps) for d in exact + exact_held]
    by_prompt = {easy.prompt(p): p for p in problems}
    for item in exact + exact_held:
        assert item.labels == oracle_step_labels(easy, by_prompt[item.prompt], item.steps)
    assert all(0 <= x <= 1 and x * 2 == int(x * 2) for item in mc for x in item.labels)  # shares of 2
    # without oracle_prm only the Monte Carlo verifiers are trained
    params = {"verifier_init": "scratch", "prm_steps": 1, "verifier_lr": 1e-3, "oracle_prm": False}
    verifiers, _ = train_verifiers(params, policy, tokenizer, labelled, seed=0)
    assert set(verifiers) == {"prm", "orm"}


def test_exact_labels_alone_skip_the_rollouts_and_train_only_the_exact_label_prm(memorised, monkeypatch):
    from ml.search import pipeline, verifiers

    policy, tokenizer, problems = memorised

    def no_rollouts(*args, **kwargs):
        raise AssertionError("Monte Carlo rollouts were run")

    monkeypatch.setattr(verifiers, "mc_step_labels", no_rollouts)
    params = {"labelled_samples": 2, "rollouts": 2}
    labelled = pipeline.label_solutions(params, policy, tokenizer, easy, problems, seed=0, kinds=("oracle",))
    assert set(labelled) == {"oracle"}
    params = {"verifier_init": "scratch", "prm_steps": 1, "verifier_lr": 1e-3, "oracle_prm": True}
    trained, _ = pipeline.train_verifiers(params, policy, tokenizer, labelled, seed=0)
    assert set(trained) == {"prm_oracle"}


def test_beam_jobs_run_once_each_whichever_process_claims_them(memorised, tmp_path):
    import numpy as np

    from ml.search.pipeline import BeamJobs, Models

    policy, tokenizer, seen = memorised
    prm = StepScorer(tiny_backbone()[0])
    models = Models(policy, tokenizer, prm, orm=None, prm_oracle=None, revision=None, large=None, info={})
    params = {"budgets": [1, 2, 4], "beam_width": 2, "max_operands": 2}
    sets = {"validation": seen[:2], "test": seen[2:6]}

    alone = BeamJobs(tmp_path / "alone", params, sets)
    assert alone.jobs[0] == ("test", 1, 4)  # the largest job goes first
    assert alone.run(params, models, easy, sets, seed=0) == 12
    assert alone.run(params, models, easy, sets, seed=0) == 0  # every job is claimed
    expected = {"validation": {}, "test": {}}
    alone.collect(expected)

    # another process claimed every other job: this one runs only the rest
    shared = BeamJobs(tmp_path / "shared", params, sets)
    taken = shared.jobs[::2]
    assert all(shared._claim(job) for job in taken) and not any(shared._claim(job) for job in taken)
    assert shared.run(params, models, easy, sets, seed=0) == 6
    for job in taken:  # ... and now the other process runs its own
        shared._path(job, ".claim").unlink()
    assert BeamJobs(tmp_path / "shared", params, sets).run(params, models, easy, sets, seed=0) == 6
    got = {"validation": {}, "test": {}}
    shared.collect(got)
    for split in expected:
        assert list(got[split]["beam_k0"]) == [1, 2, 4]  # budgets in order
        for name, curve in expected[split].items():
            assert all(np.array_equal(curve[n], got[split][name][n]) for n in curve)
