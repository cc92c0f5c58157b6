"""RL algorithms for text agents. An offline one is an object with `select(trajectories)` (which data it
trains on), `prepare`, `setup(model, gamma)` (value heads, or None), `loss(model, batch) -> (loss,
stats)` and `after_step`; the trainer (ml.rl.trainer) runs them all. Online ones (`online = True`) are
option records that ml.rl.online reads."""

from ml.rl.algos.bc import BC, action_token_loss
from ml.rl.algos.filtered_bc import FilteredBC, select_trajectories
from ml.rl.algos.ilql import ILQL
from ml.rl.algos.mc_returns import MCReturns
from ml.rl.algos.ppo import PPO, OnlineFilteredBC

ALGORITHMS = {
    "bc": BC,
    "filtered_bc": FilteredBC,
    "mc_returns": MCReturns,
    "ilql": ILQL,
    "ppo": PPO,
    "online_filtered_bc": OnlineFilteredBC,
}

__all__ = [
    "ALGORITHMS",
    "BC",
    "ILQL",
    "PPO",
    "FilteredBC",
    "MCReturns",
    "OnlineFilteredBC",
    "action_token_loss",
    "select_trajectories",
]
