"""MC returns (LMRL-Gym's "MC Returns"): the LM trained with BC plus one Q head regressed to the
Monte Carlo return-to-go of each agent token, with a CQL term. Decoding perturbs the BC logits by
beta * Q; with no V head the shift is the same for every token, so Q alone ranks them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from ml.rl.algos.bc import BC
from ml.rl.algos.value_heads import (
    ValueHeads,
    bc_loss,
    cql_loss,
    fitted_reward_scale,
    masked_mean,
    taken,
    transitions,
)
from ml.rl.data import Batch


@dataclass
class MCReturns(BC):
    cql_weight: float = 0.1
    beta: float = 1.0
    reward_scale: float = 0.0  # 0: 1 / the largest |return| in the data, so Q lives in [-1, 1]
    value_coef: float = 1.0
    bc_coef: float = 1.0
    detach_trunk: bool = False

    name = "mc_returns"

    def __post_init__(self) -> None:
        if self.cql_weight < 0 or self.reward_scale < 0:
            raise ValueError("cql_weight and reward_scale must be >= 0")

    def prepare(self, trajectories) -> None:
        self.reward_scale = self.reward_scale or fitted_reward_scale(trajectories)

    def setup(self, model, gamma: float) -> ValueHeads:
        self.heads = ValueHeads(model.config.hidden_size, model.config.vocab_size, n_q=1, with_v=False)
        self.heads.to(model.device)
        return self.heads

    def after_step(self) -> None:
        self.heads.polyak(1.0)  # decoding reads the target head: keep it the online one

    def loss(self, model, batch: Batch) -> tuple[torch.Tensor, dict[str, Any]]:
        t = transitions(model, batch, self.reward_scale)
        hidden = t.hidden.detach() if self.detach_trunk else t.hidden
        acts = t.acts > 0
        [q_all] = self.heads.qs(hidden)
        q_loss = masked_mean((taken(q_all, t.actions) - t.returns_to_go).pow(2), acts)
        cql = cql_loss(q_all, t.actions, acts)
        bc = bc_loss(t)
        loss = self.bc_coef * bc + self.value_coef * q_loss + self.cql_weight * cql
        return loss, {"bc_loss": bc.item(), "q_loss": q_loss.item(), "cql": cql.item()}
