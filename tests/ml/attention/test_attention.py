from collections import Counter

import numpy as np
import pytest
import torch
from scipy.stats import kendalltau

from ml.attention import probes
from ml.attention.experiments import draw_mixes, half_rise_step
from ml.attention.models import Seq2Seq
from ml.attention.tasks import FIRST_TOKEN, Task
from ml.attention.train import TrainConfig, build_model, first_step_reaching, train

# --- the distributions --------------------------------------------------------------------------------


def test_every_permutation_input_holds_the_same_multiset():
    task = Task("copy_permutation", length=12, vocab=30, seed=4)
    source, target, alignment = task.sample(np.random.default_rng(0), 200)
    expected = Counter(task.permutation_set().tolist())
    assert len(expected) == 12  # distinct tokens
    assert all(Counter(row.tolist()) == expected for row in source)
    assert len({tuple(row) for row in source}) > 150  # and the orders really vary
    assert (target == source).all() and (alignment == np.arange(12)).all()


def test_control_draws_tokens_freely_from_the_vocabulary():
    task = Task("copy_control", length=10, vocab=5)
    source, target, _ = task.sample(np.random.default_rng(0), 500)
    assert source.min() == FIRST_TOKEN and source.max() == FIRST_TOKEN + 4
    assert len({Counter(row.tolist()).most_common(1)[0][1] for row in source}) > 1  # repeats vary
    assert (target == source).all()


def test_translation_maps_words_through_the_lexicon_along_the_alignment():
    task = Task("translation", length=9, vocab=20, swap=0.5, noise=0.0)
    source, target, alignment = task.sample(np.random.default_rng(1), 100)
    assert all(sorted(row) == list(range(9)) for row in alignment.tolist())
    assert (np.abs(alignment - np.arange(9)) <= 1).all() and (alignment != np.arange(9)).any()
    lexicon = task.lexicon()
    assert sorted(lexicon[FIRST_TOKEN:]) == list(range(FIRST_TOKEN, FIRST_TOKEN + 20))
    assert (target == lexicon[np.take_along_axis(source, alignment, 1)]).all()


def test_translation_noise_replaces_about_that_share_of_words():
    task = Task("translation", length=20, vocab=50, swap=0.0, noise=0.2)
    source, target, _ = task.sample(np.random.default_rng(2), 500)
    changed = (target != task.lexicon()[source]).mean()
    assert 0.15 < changed < 0.21  # a replacement can draw the right word by chance


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "sorting"},
        {"kind": "copy_permutation", "length": 10, "vocab": 5},
        {"kind": "copy_control", "length": 1},
        {"kind": "translation", "noise": 1.5},
    ],
)
def test_bad_task_settings_are_refused(kwargs):
    with pytest.raises(ValueError):
        Task(**kwargs)


# --- the models ---------------------------------------------------------------------------------------


def test_uniform_attention_is_uniform_and_its_scores_get_no_gradient():
    model = Seq2Seq(8, hidden=8, attention="uniform")
    source = torch.randint(2, 8, (3, 5))
    logits, alpha = model(source, source)
    assert torch.allclose(alpha, torch.full_like(alpha, 0.2))
    logits.sum().backward()
    assert model.heads[0].score.weight.grad is None and model.heads[0].value.weight.grad is not None


def test_reinit_heads_redraws_only_the_heads_from_their_seeds():
    a = build_model(
        Task("copy_control", length=4, vocab=6), TrainConfig(hidden=8, heads=2, head_seeds=(5, 5))
    )
    b = build_model(
        Task("copy_control", length=4, vocab=6), TrainConfig(hidden=8, heads=2, head_seeds=(5, 9))
    )
    assert torch.equal(a.heads[0].score.weight, a.heads[1].score.weight)  # same seed, same head
    assert torch.equal(a.heads[0].score.weight, b.heads[0].score.weight)
    assert not torch.equal(b.heads[0].score.weight, b.heads[1].score.weight)
    assert torch.equal(a.out.weight, b.out.weight)  # the shared part is the base seed's draw
    with pytest.raises(ValueError):
        a.reinit_heads([1])


@pytest.mark.parametrize("encoder", ["lstm", "transformer"])
def test_attending_only_to_s_gives_beta_at_s(encoder, monkeypatch):
    """beta's definition: the log-probability of y_t when the context is position s alone."""
    torch.manual_seed(0)
    model = Seq2Seq(9, hidden=12, heads=2, encoder=encoder, max_len=6).eval()
    source, target = torch.randint(2, 9, (2, 6)), torch.randint(2, 9, (2, 6))
    beta = probes.beta(model, source, target)
    assert beta.shape == (2, 6, 6)
    for s in (0, 3, 5):
        one_hot = torch.zeros(2, 2, 6, 6)
        one_hot[..., s] = 1.0
        monkeypatch.setattr(model, "attention", lambda d, h, one_hot=one_hot: one_hot)
        with torch.no_grad():
            logits, _ = model(source, target)
        expected = logits.log_softmax(-1).gather(-1, target[..., None]).squeeze(-1)
        assert torch.allclose(beta[:, :, s], expected, atol=1e-5)


# --- the probes on a hand-built model ---------------------------------------------------------------


def copier(n_tokens: int = 6) -> Seq2Seq:
    """A model whose prediction is the token its context points at: h_s = one-hot(x_s), value = identity."""
    model = Seq2Seq(n_tokens, hidden=n_tokens)
    with torch.no_grad():
        for layer in (model.mix_state, model.mix_context, model.out):
            layer.weight.zero_()
            if layer.bias is not None:
                layer.bias.zero_()
        model.heads[0].value.weight.copy_(torch.eye(n_tokens))
        model.mix_context.weight.copy_(10 * torch.eye(n_tokens))
        model.out.weight.copy_(10 * torch.eye(n_tokens))
    model.encode = lambda source: torch.nn.functional.one_hot(source, n_tokens).float()
    return model


def test_probes_on_a_hand_built_copier():
    model = copier()
    source = torch.tensor([[2, 3, 4, 5]])
    aligned = torch.arange(4)[None]
    shifted = (aligned + 1) % 4
    assert probes.ktiw_accuracy(model, source, source, aligned) == 1.0
    assert probes.ktiw_accuracy(model, source, source, shifted) == 0.0
    beta = probes.beta(model, source, source)[0]
    assert (beta.argmax(-1) == torch.arange(4)).all()  # each word is best predicted from itself
    assert probes.xi(beta[None], aligned) > 5 > 0 > probes.xi(beta[None], shifted)


def test_attention_accuracy_averages_heads():
    alpha = torch.zeros(1, 2, 3, 3)
    alpha[0, 0, :, :] = torch.eye(3) * 0.6 + 0.1
    alpha[0, 1, :, 0] = 1.0  # the second head always looks at 0
    assert probes.attention_accuracy(alpha[:, :1], torch.arange(3)[None]) == 1.0
    # mean of the two heads: row 0 -> 0; rows 1, 2 -> 0 (0.55 beats 0.35)
    assert probes.attention_accuracy(alpha, torch.arange(3)[None]) == pytest.approx(1 / 3)


def test_kendall_tau_matches_scipy_without_ties():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(5, 9)), rng.normal(size=(5, 9))
    ours = probes.kendall_tau(torch.tensor(a), torch.tensor(b))
    for row in range(5):
        assert ours[row].item() == pytest.approx(kendalltau(a[row], b[row]).statistic)
    assert probes.kendall_tau(torch.tensor(a), torch.tensor(a)).allclose(torch.ones(5, dtype=torch.float64))


def test_agreement_beats_the_shuffled_baseline_only_when_attention_follows_beta():
    torch.manual_seed(0)
    beta = torch.randn(64, 40)
    matched = probes.agreement(beta.softmax(-1), beta)
    assert matched["top_match"] == 1.0 and matched["kendall_tau"] == pytest.approx(1.0)
    assert matched["top_match_shuffled"] < 0.2 and abs(matched["kendall_tau_shuffled"]) < 0.1
    unrelated = probes.agreement(torch.randn(64, 40).softmax(-1), beta)
    assert unrelated["top_match"] < 0.2 and abs(unrelated["kendall_tau"]) < 0.1


def test_top_match_uses_the_top_p_share_of_positions():
    beta = torch.tensor([[5.0, 4.0, 3.0, 2.0, 1.0, 0.0, 0, 0, 0, 0]])
    alpha_on_second = torch.tensor([[0.0, 1.0] + [0.0] * 8])
    assert not probes.top_match(alpha_on_second, beta, top=0.05).item()  # top 1 of 10
    assert probes.top_match(alpha_on_second, beta, top=0.2).item()  # top 2 of 10


# --- training and the experiments' helpers ----------------------------------------------------------


def test_training_learns_to_copy_and_is_reproducible():
    task = Task("copy_control", length=6, vocab=8)
    config = TrainConfig(hidden=32, steps=150, lr=5e-3, eval_every=25, eval_size=64, seed=3)
    first, again = train(task, config), train(task, config)
    assert first.curve == again.curve
    assert first.success and first.final()["accuracy"] >= 0.95
    assert first.final()["ktiw"] > 0.9 and first.final()["attention"] > 0.9
    assert first.final()["top_match"] > first.final()["top_match_shuffled"]
    assert first_step_reaching(first.curve, "accuracy", 0.95) == first.steps_to_target


def test_stop_at_target_stops_at_the_first_evaluation_over_it():
    task = Task("copy_control", length=6, vocab=8)
    run = train(task, TrainConfig(hidden=32, steps=400, lr=5e-3, eval_every=10, stop_at_target=True))
    assert run.success and run.curve[-1]["step"] == run.steps_to_target < 400
    assert "xi" in run.curve[0]
    light = train(task, TrainConfig(hidden=32, steps=10, eval_every=10, full_probes=False))
    assert "xi" not in light.curve[0] and "ktiw" in light.curve[0]


def test_half_rise_step():
    curve = [{"step": s, "k": v} for s, v in [(0, 0.1), (10, 0.2), (20, 0.5), (30, 0.9), (40, 0.8)]]
    assert half_rise_step(curve, "k") == 20  # half of the way from 0.1 to 0.9
    assert half_rise_step([{"step": 0, "k": 0.1}, {"step": 5, "k": 0.12}], "k") is None


def test_draw_mixes():
    mixes = draw_mixes(
        succeeded=[1, 4], failed=[0, 2, 3, 5], all_seeds=list(range(6)), heads=2, count=5, seed=0
    )
    assert len(mixes["all_failing"]) == 5 and all(set(m) <= {0, 2, 3, 5} for m in mixes["all_failing"])
    assert all(m[0] in (1, 4) and m[1] in (0, 2, 3, 5) for m in mixes["one_succeeding"])
    assert len(set(mixes["random"])) == 5
    none_failed = draw_mixes([0, 1, 2], [], [0, 1, 2], heads=2, count=8, seed=0)
    assert none_failed["all_failing"] == [] and none_failed["one_succeeding"] == []
    assert len(none_failed["random"]) == 3  # every pair, when fewer exist than asked


def test_attention_offset_finds_attention_one_position_off():
    alpha = torch.zeros(1, 4, 4)
    alpha[0, torch.arange(3), torch.arange(1, 4)] = 1.0  # t looks at t + 1
    alpha[0, 3, 3] = 1.0  # the last position cannot
    assert probes.attention_offset(alpha, torch.arange(4)[None]) == (1, 0.75)
    assert probes.attention_accuracy(alpha, torch.arange(4)[None]) == 0.25
