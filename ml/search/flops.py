"""FLOPs accounting for trading pretraining against test-time compute (Snell et al. 2024, section 7).

A model with N parameters costs 6*N*D_pre to pretrain on D_pre tokens and 2*N*D_inf to answer with
D_inf generated tokens. A model M times larger costs M times both. Spending the same total on the small
model buys it a multiple of its one-generation inference budget:

    budget = M + 3 * (D_pre / D_inf) * (M - 1) = M + 3 * (M - 1) / R,   with R = D_inf / D_pre

With M = 14: R = 0.16 gives about 258 generations, R = 0.79 about 63 and R = 22 about 16.
"""

from __future__ import annotations

import torch

# position-embedding tables are looked up, not multiplied: they cost no FLOPs per token
_LOOKUP_TABLES = ("wpe", "position_embeddings")


def pretraining_flops(params: float, tokens: float) -> float:
    return 6.0 * params * tokens


def inference_flops(params: float, tokens: float) -> float:
    return 2.0 * params * tokens


def matched_budget(size_ratio: float, inference_to_pretraining: float) -> float:
    """Generations per question the small model may spend to match an M-times-larger model's FLOPs."""
    if size_ratio < 1:
        raise ValueError("size_ratio (M) must be at least 1")
    if inference_to_pretraining <= 0:
        raise ValueError("R = D_inf / D_pre must be positive")
    return size_ratio + 3.0 * (size_ratio - 1.0) / inference_to_pretraining


def search_flops(
    policy_params: float, policy_tokens: float, prm_params: float = 0.0, prm_tokens: float = 0.0
) -> float:
    """Test-time cost of one search: the policy's generated tokens plus every token the PRM scores."""
    return inference_flops(policy_params, policy_tokens) + inference_flops(prm_params, prm_tokens)


def compute_params(model: torch.nn.Module) -> int:
    """The N of 2*N*D: every parameter but position-embedding tables (a tied token embedding counts,
    since it is also the output layer's matrix)."""
    seen: set[int] = set()
    total = 0
    for name, parameter in model.named_parameters():  # tied weights appear once
        if id(parameter) in seen or any(part in name.split(".") for part in _LOOKUP_TABLES):
            continue
        seen.add(id(parameter))
        total += parameter.numel()
    return total
