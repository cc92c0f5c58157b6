"""Probes of what an attention model knows, as plain functions of a model and a batch.

beta[b, t, s] = log p(y_t | d_t, context = proj(h_s)): how well target t is predicted if the model
attended only to source position s. It measures the knowledge to translate individual words (KTIW)
independently of where attention actually looks.

- `ktiw_accuracy`: the share of target positions whose token is the argmax prediction when the context
  is the aligned source position alone.
- `attention_accuracy`: the share whose attention argmax (heads averaged) is the aligned position.
- `agreement`: does alpha's argmax fall in beta's top p% of positions, and Kendall's tau between alpha
  and beta per target position, each beside the same score against beta shuffled over positions.
- `xi`: beta at the aligned position minus the mean beta over the other positions, in nats. METHODS.md
  names xi without defining it; this is Assay's reading: the log-likelihood the model gains by
  attending to the right word rather than an average other word, i.e. the pull KTIW exerts on
  attention. It is near 0 when KTIW is absent (e.g. under uniform attention on permutations).
"""

from __future__ import annotations

import math

import torch

from ml.attention.models import Seq2Seq


@torch.no_grad()
def beta(model: Seq2Seq, source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """beta for every (t, s), shape (batch, T, S)."""
    h, d = model.encode(source), model.decoder_states(target)
    proj = model.projected(h)
    logits = model.readout(d[:, :, None, :], proj[:, None, :, :])  # (batch, T, S, tokens)
    log_probs = logits.log_softmax(dim=-1)
    index = target[:, :, None, None].expand(-1, -1, h.shape[1], 1)
    return log_probs.gather(-1, index).squeeze(-1)


@torch.no_grad()
def ktiw_accuracy(
    model: Seq2Seq, source: torch.Tensor, target: torch.Tensor, alignment: torch.Tensor
) -> float:
    h, d = model.encode(source), model.decoder_states(target)
    aligned = model.projected(h).gather(1, alignment[:, :, None].expand(-1, -1, h.shape[-1]))
    predicted = model.readout(d, aligned).argmax(dim=-1)
    return (predicted == target).float().mean().item()


def attention_accuracy(alpha: torch.Tensor, alignment: torch.Tensor) -> float:
    """alpha: (batch, heads, T, S) or (batch, T, S)."""
    if alpha.dim() == 4:
        alpha = alpha.mean(dim=1)
    return (alpha.argmax(dim=-1) == alignment).float().mean().item()


def attention_offset(alpha: torch.Tensor, alignment: torch.Tensor) -> tuple[int, float]:
    """The most common (attention argmax - aligned position) and the share of target positions at it.

    A model can copy while attending one position off (a left-to-right encoder's h_{s+1} still holds
    token s), which plain attention accuracy scores as wrong.
    """
    if alpha.dim() == 4:
        alpha = alpha.mean(dim=1)
    offsets = (alpha.argmax(dim=-1) - alignment).flatten()
    values, counts = offsets.unique(return_counts=True)
    best = counts.argmax()
    return int(values[best]), counts[best].item() / offsets.numel()


def xi(beta_: torch.Tensor, alignment: torch.Tensor) -> float:
    aligned = beta_.gather(-1, alignment[..., None]).squeeze(-1)
    others = (beta_.sum(dim=-1) - aligned) / (beta_.shape[-1] - 1)
    return (aligned - others).mean().item()


def kendall_tau(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Kendall's tau-a between matching rows of a and b (last dimension), tied pairs counting 0."""
    n = a.shape[-1]
    da = torch.sign(a[..., :, None] - a[..., None, :])
    db = torch.sign(b[..., :, None] - b[..., None, :])
    return (da * db).sum(dim=(-1, -2)) / (n * (n - 1))


def shuffle_positions(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """x with its last dimension permuted independently in every row."""
    keys = torch.rand(x.shape, generator=generator, device="cpu").to(x.device)
    return x.gather(-1, keys.argsort(dim=-1))


def top_match(alpha: torch.Tensor, beta_: torch.Tensor, top: float) -> torch.Tensor:
    """Per row: is alpha's argmax among beta's top ceil(top * S) positions?"""
    k = max(1, math.ceil(top * beta_.shape[-1]))
    best = beta_.topk(k, dim=-1).indices
    return (best == alpha.argmax(dim=-1, keepdim=True)).any(dim=-1)


def agreement(alpha: torch.Tensor, beta_: torch.Tensor, top: float = 0.05, seed: int = 0) -> dict[str, float]:
    """Agreement of attention with beta, and the same scores against beta shuffled over positions."""
    if alpha.dim() == 4:
        alpha = alpha.mean(dim=1)
    shuffled = shuffle_positions(beta_, torch.Generator().manual_seed(seed))
    return {
        "top_match": top_match(alpha, beta_, top).float().mean().item(),
        "top_match_shuffled": top_match(alpha, shuffled, top).float().mean().item(),
        "kendall_tau": kendall_tau(alpha, beta_).mean().item(),
        "kendall_tau_shuffled": kendall_tau(alpha, shuffled).mean().item(),
    }
