"""ILQL (Snell et al., implicit language Q-learning), token-level, as LMRL-Gym runs it.

On top of the LM (trained with BC on the same data): two Q heads and a V head (ml.rl.algos.value_heads),
- Q_i(s, a) regressed to r + gamma * V(s') (V detached);
- V regressed to min_i Q_target_i(s, a) with the expectile loss (tau > 0.5: an in-data max over actions);
- a CQL term on each Q head, weighted by `cql_weight`;
- Polyak-averaged target Q heads.
Decoding perturbs the BC logits: logits + beta * (min_i Q_target_i - V); beta = 0 is plain BC decoding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from ml.rl.algos.bc import BC
from ml.rl.algos.value_heads import (
    ValueHeads,
    bc_loss,
    cql_loss,
    expectile_loss,
    fitted_reward_scale,
    masked_mean,
    taken,
    transitions,
)
from ml.rl.data import Batch


@dataclass
class ILQL(BC):
    tau: float = 0.7  # expectile
    cql_weight: float = 0.1
    polyak: float = 0.005  # target <- (1 - polyak) * target + polyak * online, every step
    beta: float = 1.0  # decoding: logits + beta * (min Q - V)
    reward_scale: float = 0.0  # 0: 1 / the largest |return| in the data, so Q lives in [-1, 1]
    value_coef: float = 1.0
    bc_coef: float = 1.0
    detach_trunk: bool = False  # True: the value losses do not shape the LM's hidden states

    name = "ilql"

    def __post_init__(self) -> None:
        if not 0 < self.tau < 1:
            raise ValueError("tau must be in (0, 1)")
        if not 0 < self.polyak <= 1:
            raise ValueError("polyak must be in (0, 1]")
        if self.cql_weight < 0 or self.reward_scale < 0:
            raise ValueError("cql_weight and reward_scale must be >= 0")

    def prepare(self, trajectories) -> None:
        self.reward_scale = self.reward_scale or fitted_reward_scale(trajectories)

    def setup(self, model, gamma: float) -> ValueHeads:
        self.gamma = gamma
        self.heads = ValueHeads(model.config.hidden_size, model.config.vocab_size, n_q=2, with_v=True)
        self.heads.to(model.device)
        return self.heads

    def after_step(self) -> None:
        self.heads.polyak(self.polyak)

    def loss(self, model, batch: Batch) -> tuple[torch.Tensor, dict[str, Any]]:
        t = transitions(model, batch, self.reward_scale)
        hidden = t.hidden.detach() if self.detach_trunk else t.hidden
        acts = t.acts > 0
        q_taken = [taken(q, t.actions) for q in self.heads.qs(hidden)]
        value = self.heads.value(hidden)
        with torch.no_grad():
            q_target = (
                torch.stack([taken(q, t.actions) for q in self.heads.qs(hidden, target=True)]).min(0).values
            )
            v_next = value.gather(1, t.next_pos) * t.has_next
            target = t.rewards + self.gamma * (1 - t.dones) * v_next
        # A transition counts where its next state is in the window, or the game ended on it.
        valid = acts & ((t.dones > 0) | t.has_next)
        q_loss = sum(masked_mean((q - target).pow(2), valid) for q in q_taken)
        v_loss = expectile_loss(q_target - value, self.tau, acts)
        cql = sum(cql_loss(q, t.actions, acts) for q in self.heads.qs(hidden))
        bc = bc_loss(t)
        loss = self.bc_coef * bc + self.value_coef * (q_loss + v_loss) + self.cql_weight * cql
        stats = {"bc_loss": bc.item(), "q_loss": q_loss.item(), "v_loss": v_loss.item(), "cql": cql.item()}
        return loss, stats
