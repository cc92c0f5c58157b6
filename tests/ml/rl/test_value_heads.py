import json
import math

import pytest
import torch

from ml.lm.generate import sample
from ml.lm.loading import load_model
from ml.rl.algos.value_heads import (
    ValueHeads,
    cql_loss,
    expectile_loss,
    fitted_reward_scale,
    load_heads,
    next_acting_positions,
    transitions,
)
from ml.rl.data import WindowDataset, load_trajectories, tokenize_trajectories
from ml.rl.envs.datasets import generate
from ml.rl.evaluate import checkpoint_beta, evaluate_checkpoint
from ml.rl.policies import LMPolicy
from ml.rl.trainer import RLConfig, train

TINY = {"n_layer": 1, "n_embd": 32, "n_head": 2, "block_size": 128, "batch_size": 8, "tokenizer": "char"}


@pytest.fixture(scope="module")
def maze_data(tmp_path_factory):
    path = tmp_path_factory.mktemp("rl") / "maze_fo.jsonl"
    generate("maze_fo", 60, 0, path)
    return path


def test_expectile_weights_positive_errors_by_tau_and_negative_by_one_minus_tau():
    diff = torch.tensor([2.0, -1.0, 3.0])
    mask = torch.tensor([1.0, 1.0, 0.0])
    # (0.7 * 4 + 0.3 * 1) / 2, the masked 3.0 ignored
    assert expectile_loss(diff, 0.7, mask).item() == pytest.approx((0.7 * 4 + 0.3 * 1) / 2)
    assert expectile_loss(diff, 0.5, torch.ones(3)).item() == pytest.approx(0.5 * (4 + 1 + 9) / 3)


def test_cql_is_logsumexp_minus_the_taken_q():
    q = torch.tensor([[[0.0, 1.0, 2.0], [1.0, 1.0, 1.0]]])
    actions = torch.tensor([[2, 0]])
    lse0 = math.log(math.exp(0) + math.exp(1) + math.exp(2))
    lse1 = 1 + math.log(3)
    expected = ((lse0 - 2.0) + (lse1 - 1.0)) / 2
    assert cql_loss(q, actions, torch.ones(1, 2)).item() == pytest.approx(expected, rel=1e-6)
    # The loss is zero only in the limit where the taken action dominates.
    assert cql_loss(torch.tensor([[[50.0, 0.0]]]), torch.tensor([[0]]), torch.ones(1, 1)).item() < 1e-6


def test_next_acting_positions_skip_environment_tokens():
    acts = torch.tensor([[1, 1, 0, 0, 1, 0], [0, 0, 0, 0, 0, 1]])
    nxt, exists = next_acting_positions(acts)
    assert nxt[0].tolist()[:2] == [1, 4] and exists[0].tolist() == [True, True, True, True, False, False]
    assert exists[1].tolist() == [True] * 5 + [False] and nxt[1, 0].item() == 5


def test_transition_targets_line_up_with_the_tokens(maze_data):
    from ml.rl.data import trajectory_texts
    from ml.rl.trainer import build_model, build_tokenizer

    trajectories = load_trajectories(maze_data)[:3]
    tokenizer = build_tokenizer(trajectory_texts(trajectories), "char")
    data = WindowDataset(tokenize_trajectories(trajectories, tokenizer, 0.9), 128)
    batch = data.batch(range(len(data)), tokenizer.pad_token_id)
    model = build_model(RLConfig(**{k: v for k, v in TINY.items() if k != "batch_size"}), tokenizer, "cpu")
    t = transitions(model, batch)
    assert torch.equal(t.actions, batch.input_ids[:, 1:])
    # Rewards sit on the newline that ends an action; a reward's next state is the next action token.
    rows, cols = torch.nonzero(t.rewards).T.tolist()
    for r, c in zip(rows, cols, strict=True):
        assert tokenizer.decode([int(t.actions[r, c])]) == "\n" and t.acts[r, c] == 1
        if t.has_next[r, c]:
            assert t.acts[r, t.next_pos[r, c]] == 1 and t.next_pos[r, c] > c + 1


def test_beta_zero_decoding_equals_plain_bc_decoding(maze_data):
    cfg = RLConfig(task="maze_fo", algorithm="ilql", dataset=str(maze_data), steps=5, device="cpu", **TINY)
    outcome = train(cfg)
    prompts = ["You are at (1, 1). The goal is at (8, 6). Walls: up, left.\n", "Walls: none.\n"]
    kw = {"max_new_tokens": 12, "temperature": 1.0, "stop": ["\n"], "seed": 3}
    plain = sample(outcome.model, outcome.tokenizer, prompts, **kw)
    assert sample(outcome.model, outcome.tokenizer, prompts, guide=outcome.heads.guide(0.0), **kw) == plain
    # A large beta hands the choice to the Q heads: greedy decoding follows argmax (min Q - V).
    guided = sample(
        outcome.model,
        outcome.tokenizer,
        prompts[:1],
        **{**kw, "temperature": 0.0, "max_new_tokens": 1},
        guide=outcome.heads.guide(1e6),
    )
    ids = outcome.tokenizer(prompts[:1])["input_ids"]
    with torch.no_grad():
        hidden = outcome.model(torch.tensor(ids), output_hidden_states=True).hidden_states[-1][:, -1]
        best = outcome.heads.advantage(hidden).argmax(-1).item()
    assert guided[0][0] == outcome.tokenizer.decode([best])


@pytest.mark.parametrize("algorithm,n_q,with_v", [("ilql", 2, True), ("mc_returns", 1, False)])
def test_value_methods_train_and_save_heads_that_load_back(maze_data, tmp_path, algorithm, n_q, with_v):
    cfg = RLConfig(
        task="maze_fo",
        algorithm=algorithm,
        dataset=str(maze_data),
        steps=40,
        lr=3e-3,
        device="cpu",
        options={"beta": 2.0},
        **TINY,
    )
    outcome = train(cfg, tmp_path / "ckpt")
    assert all(math.isfinite(x) for x in outcome.losses) and outcome.losses[-1] < outcome.losses[0]
    heads = load_heads(tmp_path / "ckpt")
    assert isinstance(heads, ValueHeads) and len(heads.q) == n_q and (heads.v is not None) == with_v
    for saved, trained in zip(heads.state_dict().values(), outcome.heads.state_dict().values(), strict=True):
        assert torch.equal(saved, trained.cpu())
    assert checkpoint_beta(tmp_path / "ckpt") == 2.0
    model, _ = load_model(tmp_path / "ckpt", device="cpu")
    summary, records = evaluate_checkpoint(tmp_path / "ckpt", "maze_fo", 2, seed=1, max_new_tokens=12)
    assert summary["beta"] == 2.0 and len(records) == 2
    # The dialogue interface plays checkpoints through LMPolicy, which decodes with the heads too.
    assert LMPolicy(tmp_path / "ckpt", device="cpu").guide is not None
    assert LMPolicy(tmp_path / "ckpt", device="cpu", beta=0.0).guide is None


def test_ilql_targets_move_slowly_towards_the_online_heads():
    heads = ValueHeads(4, 5)
    before = [p.clone() for p in heads.q_target.parameters()]
    with torch.no_grad():
        for p in heads.q.parameters():
            p.add_(1.0)
    heads.polyak(0.25)
    for b, t, o in zip(before, heads.q_target.parameters(), heads.q.parameters(), strict=True):
        assert torch.allclose(t, 0.75 * b + 0.25 * o)


def test_ilql_options_are_checked():
    with pytest.raises(ValueError, match="tau"):
        RLConfig(algorithm="ilql", options={"tau": 1.5})
    with pytest.raises(ValueError, match="bad options for mc_returns"):
        RLConfig(algorithm="mc_returns", options={"tau": 0.7})


def test_reward_scale_is_fitted_to_the_data_and_recorded(maze_data, tmp_path):
    trajectories = load_trajectories(maze_data)
    largest = max(abs(t.ret) for t in trajectories)
    assert fitted_reward_scale(trajectories) == pytest.approx(1 / largest)
    assert fitted_reward_scale([]) == 1.0
    cfg = RLConfig(
        task="maze_fo", algorithm="mc_returns", dataset=str(maze_data), steps=2, device="cpu", **TINY
    )
    train(cfg, tmp_path / "ckpt")
    saved = json.loads((tmp_path / "ckpt" / "rl_config.json").read_text())
    assert saved["options"]["reward_scale"] == pytest.approx(1 / largest)
    # An explicit scale is kept as given.
    cfg = RLConfig(**{**cfg.to_dict(), "options": {"reward_scale": 0.5}})
    train(cfg, tmp_path / "ckpt2")
    assert json.loads((tmp_path / "ckpt2" / "rl_config.json").read_text())["options"]["reward_scale"] == 0.5


def test_rl_evaluate_uses_the_checkpoints_beta_unless_given(maze_data, tmp_path):
    from ml.experiments import get

    cfg = RLConfig(
        task="maze_fo",
        algorithm="ilql",
        dataset=str(maze_data),
        steps=2,
        device="cpu",
        options={"beta": 5.0},
        **TINY,
    )
    train(cfg, tmp_path / "ckpt")
    experiment = get("rl.evaluate")
    entry = experiment.load_entry()
    own = entry(
        experiment.validate({"checkpoint": str(tmp_path / "ckpt"), "episodes": 1}), tmp_path / "a", print
    )
    given = entry(
        experiment.validate({"checkpoint": str(tmp_path / "ckpt"), "episodes": 1, "beta": 0}),
        tmp_path / "b",
        print,
    )
    assert own.metrics["beta"] == 5.0 and given.metrics["beta"] == 0.0
