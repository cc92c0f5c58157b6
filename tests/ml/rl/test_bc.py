import torch

from ml.rl.algos import action_token_loss, select_trajectories
from ml.rl.algos.filtered_bc import FilteredBC
from ml.rl.envs.trajectories import Trajectory, TurnRecord


def test_bc_loss_ignores_environment_tokens():
    torch.manual_seed(0)
    ids = torch.randint(0, 10, (2, 8))
    mask = torch.tensor([[0, 0, 1, 1, 0, 0, 1, 0], [0, 1, 1, 0, 0, 0, 0, 0]], dtype=torch.float)
    logits = torch.randn(2, 8, 10)
    base = action_token_loss(logits, ids, mask)
    # logits[:, t] predict token t+1: change every position whose target is an environment token.
    changed = logits.clone()
    env_targets = torch.cat([mask[:, 1:] == 0, torch.ones(2, 1, dtype=torch.bool)], dim=1)
    changed[env_targets] = torch.randn(int(env_targets.sum()), 10) * 100
    assert torch.allclose(action_token_loss(changed, ids, mask), base)
    # ...while changing an action-target position does change it.
    changed[0, 1] += torch.randn(10) * 100
    assert not torch.allclose(action_token_loss(changed, ids, mask), base)


def test_bc_loss_is_mean_over_action_tokens():
    ids = torch.tensor([[1, 2, 3]])
    mask = torch.tensor([[0.0, 0.0, 1.0]])
    logits = torch.zeros(1, 3, 5)
    assert torch.isclose(action_token_loss(logits, ids, mask), torch.log(torch.tensor(5.0)))


def traj(ret: float, done: bool = True, truncated: bool = False) -> Trajectory:
    turns = [TurnRecord("obs\n", False), TurnRecord("act\n", True, ret)]
    return Trajectory("maze_fo", 0, turns, done=done, truncated=truncated)


def test_filtered_bc_top_fraction():
    data = [traj(r) for r in (-5.0, -1.0, -9.0, -3.0, -2.0)]
    assert [t.ret for t in select_trajectories(data, top_fraction=0.4)] == [-1.0, -2.0]  # file order
    assert [t.ret for t in select_trajectories(data, top_fraction=0.1)] == [-1.0]  # at least one
    assert len(select_trajectories(data, top_fraction=1.0)) == 5


def test_filtered_bc_successes_only():
    data = [traj(-3.0), traj(-100.0, truncated=True), traj(-7.0), traj(-50.0, done=False)]
    kept = FilteredBC(successes_only=True).select(data)
    assert [t.ret for t in kept] == [-3.0, -7.0]
