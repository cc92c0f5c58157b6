"""Offline RL algorithms for text agents. Each is an object with `select(trajectories)` (which data it
trains on) and `loss(model, batch) -> (loss, stats)`; the trainer (ml.rl.trainer) runs them all."""

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
