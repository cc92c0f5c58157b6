import json

import pytest
import torch

from ml.lm.loading import load_model
from ml.rl.algos.ppo import PPO, OnlineFilteredBC
from ml.rl.data import tokenize_trajectory
from ml.rl.envs.base import make_env
from ml.rl.envs.datasets import generate
from ml.rl.evaluate import rollout_trajectories
from ml.rl.online import (
    ONLINE_LOG_FILE,
    approx_kl,
    gae,
    ppo_policy_loss,
    rollout_seeds,
    train_online,
    value_loss,
)
from ml.rl.trainer import RL_CONFIG_FILE, VALUE_HEADS_FILE, RLConfig, train

TINY = {
    "n_layer": 1,
    "n_embd": 32,
    "n_head": 2,
    "block_size": 96,
    "batch_size": 16,
    "tokenizer": "char",
    "device": "cpu",
}


@pytest.fixture(scope="module")
def maze_data(tmp_path_factory):
    path = tmp_path_factory.mktemp("online") / "maze_fo.jsonl"
    generate("maze_fo", 20, 0, path)
    return path


@pytest.fixture(scope="module")
def bc_checkpoint(maze_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("online") / "bc"
    train(RLConfig(task="maze_fo", dataset=str(maze_data), steps=40, lr=3e-3, **TINY), out)
    return out


def test_gae_matches_hand_computed_values_with_a_done_in_the_middle():
    rewards = torch.tensor([1.0, 0.0, 2.0, 1.0])
    values = torch.tensor([0.5, 1.0, 0.2, 0.4])
    dones = torch.tensor([0.0, 1.0, 0.0, 0.0])
    gamma, lam = 0.9, 0.8
    # Step 1 ends a game: no bootstrap from step 2, and the advantage does not flow back across it.
    d3 = 1.0 - 0.4  # last step: the value past the end is 0
    d2 = 2.0 + 0.9 * 0.4 - 0.2
    d1 = 0.0 - 1.0
    d0 = 1.0 + 0.9 * 1.0 - 0.5
    a3 = d3
    a2 = d2 + 0.9 * 0.8 * a3
    a1 = d1
    a0 = d0 + 0.9 * 0.8 * a1
    advantages, returns = gae(rewards, values, dones, gamma, lam)
    expected = torch.tensor([a0, a1, a2, a3])
    assert torch.allclose(advantages, expected)
    assert torch.allclose(returns, expected + values)


def test_gae_with_lambda_one_gives_discounted_returns():
    rewards = torch.tensor([0.0, 0.0, 1.0])
    advantages, returns = gae(rewards, torch.tensor([0.3, -0.2, 0.7]), torch.zeros(3), 0.5, 1.0)
    assert torch.allclose(returns, torch.tensor([0.25, 0.5, 1.0]))


def test_ppo_policy_loss_clips_the_ratio_only_where_it_would_help():
    old = torch.zeros(4)
    # ratios 1.1 (inside [0.8, 1.2]), 1.5 (above), 0.5 (below), 1.5 (above)
    logp = torch.log(torch.tensor([1.1, 1.5, 0.5, 1.5]))
    adv = torch.tensor([2.0, 1.0, -1.0, -1.0])
    loss = ppo_policy_loss(logp, old, adv, clip=0.2)
    # inside: r A; above with A > 0: clipped 1.2 A; below with A < 0: clipped 0.8 A;
    # above with A < 0: the unclipped r A is the smaller (more pessimistic) objective.
    objectives = torch.tensor([1.1 * 2.0, 1.2 * 1.0, 0.8 * -1.0, 1.5 * -1.0])
    assert torch.isclose(loss, -objectives.mean())


def test_ppo_policy_loss_has_no_gradient_through_a_clipped_ratio():
    logp = torch.log(torch.tensor([1.5, 1.1])).requires_grad_()
    ppo_policy_loss(logp, torch.zeros(2), torch.tensor([1.0, 1.0]), clip=0.2).backward()
    assert logp.grad[0] == 0 and logp.grad[1] != 0


def test_value_loss_clipped_and_plain():
    values, old, returns = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 0.0]), torch.tensor([2.0, 0.5])
    assert torch.isclose(value_loss(values, old, returns, clip=0), torch.tensor(0.5 * (1.0 + 0.25) / 2))
    # Row 0's value moved 1.0, clipped to 0.2: error (0.2 - 2)^2 = 3.24 beats (1 - 2)^2.
    assert torch.isclose(value_loss(values, old, returns, clip=0.2), torch.tensor(0.5 * (3.24 + 0.25) / 2))


def test_rollout_trajectories_tokenize_and_keep_the_env_return(bc_checkpoint):
    model, tokenizer = load_model(bc_checkpoint, device="cpu")
    seeds = [11, 12, 13]
    games = rollout_trajectories(model, tokenizer, "maze_fo", seeds, temperature=1.0, sample_seed=3)
    assert [g.seed for g in games] == seeds
    for game in games:
        assert game.done and game.task == "maze_fo"
        env = make_env("maze_fo")
        env.replay(game.seed, [t.text for t in game.turns if t.is_action])
        assert game.ret == env.total_reward
        tokenized = tokenize_trajectory(game, tokenizer)
        assert len(tokenized.action_starts) == sum(t.is_action for t in game.turns) == env.steps
        assert tokenized.input_ids.max() < len(tokenizer)
    # The same sample seed replays the same games.
    again = rollout_trajectories(model, tokenizer, "maze_fo", seeds, temperature=1.0, sample_seed=3)
    assert [g.to_json() for g in again] == [g.to_json() for g in games]


def test_ppo_end_to_end_saves_a_loadable_checkpoint_with_value_heads(bc_checkpoint, tmp_path):
    cfg = RLConfig(
        task="maze_fo",
        algorithm="ppo",
        init_from=str(bc_checkpoint),
        steps=2,
        lr=1e-3,
        options={"episodes_per_iter": 4},
        **TINY,
    )
    messages = []
    outcome = train_online(cfg, tmp_path / "ppo", lambda f, m: messages.append((f, m)))
    assert outcome.n_trajectories == 8 and outcome.n_windows > 0 and outcome.losses
    assert all(torch.isfinite(torch.tensor(outcome.losses)))
    assert [f for f, _ in messages][-1] == 1.0 and "mean return" in messages[-1][1]
    assert (tmp_path / "ppo" / VALUE_HEADS_FILE).is_file()
    assert json.loads((tmp_path / "ppo" / RL_CONFIG_FILE).read_text())["algorithm"] == "ppo"
    assert len(json.loads((tmp_path / "ppo" / ONLINE_LOG_FILE).read_text())) == 2
    model, tokenizer = load_model(tmp_path / "ppo", device="cpu")
    assert len(tokenizer) == len(outcome.tokenizer)


def test_approx_kl_is_zero_for_the_same_policy_and_matches_the_estimator():
    old = torch.log(torch.tensor([0.5, 0.25]))
    assert approx_kl(old, old) == 0
    new = torch.log(torch.tensor([0.25, 0.5]))  # ratios 0.5 and 2
    expected = ((0.5 - 1 - torch.log(torch.tensor(0.5))) + (2 - 1 - torch.log(torch.tensor(2.0)))) / 2
    assert approx_kl(new, old) == pytest.approx(float(expected))


def _ppo_log(bc_checkpoint, out, **options) -> list[dict]:
    cfg = RLConfig(
        task="maze_fo",
        algorithm="ppo",
        init_from=str(bc_checkpoint),
        steps=2,
        lr=3e-3,
        options={"episodes_per_iter": 4, **options},
        **TINY,
    )
    train_online(cfg, out)
    return json.loads((out / ONLINE_LOG_FILE).read_text())


def test_ppo_fits_the_reward_scale_on_the_first_games_and_keeps_it(bc_checkpoint, tmp_path):
    log = _ppo_log(bc_checkpoint, tmp_path / "fitted", target_kl=0)
    model, tokenizer = load_model(bc_checkpoint, device="cpu")
    first = rollout_trajectories(
        model, tokenizer, "maze_fo", rollout_seeds(0, 0, 4), temperature=1.0, sample_seed=0
    )
    largest = max(abs(g.ret) for g in first)
    assert largest > 1  # maze returns are large, so the scale matters
    assert [entry["reward_scale"] for entry in log] == pytest.approx([1 / largest] * 2)
    given = _ppo_log(bc_checkpoint, tmp_path / "given", target_kl=0, reward_scale=0.5)
    assert [entry["reward_scale"] for entry in given] == [0.5, 0.5]


def test_ppo_stops_an_iteration_once_the_policy_moved_target_kl(bc_checkpoint, tmp_path):
    full = _ppo_log(bc_checkpoint, tmp_path / "full", target_kl=0, ppo_epochs=2)
    assert all(e["updates"] >= 4 for e in full) and not any(e["stopped_early"] for e in full)
    # A tiny target: the first update moves the policy past it, so the next minibatch stops the iteration.
    early = _ppo_log(bc_checkpoint, tmp_path / "early", target_kl=1e-9, ppo_epochs=2)
    assert [e["updates"] for e in early] == [1, 1]
    assert all(e["stopped_early"] and e["approx_kl"] > 1e-9 for e in early)


def test_online_filtered_bc_from_a_dataset_trains_bc_first(maze_data, tmp_path):
    cfg = RLConfig(
        task="maze_fo",
        algorithm="online_filtered_bc",
        dataset=str(maze_data),
        steps=2,
        lr=3e-3,
        options={"episodes_per_iter": 4, "top_fraction": 0.5, "bc_steps": 20},
        **TINY,
    )
    outcome = train_online(cfg, tmp_path / "fbc")
    assert outcome.n_trajectories == 8 and outcome.losses
    assert not (tmp_path / "fbc" / VALUE_HEADS_FILE).exists()
    load_model(tmp_path / "fbc", device="cpu")


def test_online_options_are_validated():
    with pytest.raises(ValueError):
        train_online(RLConfig(algorithm="ppo", options={"nope": 1}, **TINY))
    with pytest.raises(ValueError):
        OnlineFilteredBC(top_fraction=0)
    for bad in ({"reward_scale": -1}, {"target_kl": -0.1}):
        with pytest.raises(ValueError):
            PPO(**bad)
    with pytest.raises(ValueError):
        train_online(RLConfig(algorithm="bc", **TINY))
    assert PPO.online and OnlineFilteredBC.online
