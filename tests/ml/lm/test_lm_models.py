import random

import numpy as np
import pytest
import torch

from ml.lm.device import pick_device
from ml.lm.models import count_params, max_positions, tiny_gpt2, tiny_llama
from ml.lm.seeding import seed_everything


def test_tiny_gpt2_shapes_and_param_count():
    model = tiny_gpt2(vocab_size=50, n_layer=2, n_embd=32, n_head=4, block_size=16)
    assert (model.config.n_layer, model.config.n_embd, model.config.n_head) == (2, 32, 4)
    assert max_positions(model) == 16
    logits = model(input_ids=torch.randint(0, 50, (3, 16))).logits
    assert logits.shape == (3, 16, 50)
    # Tied embeddings count once: the unique tensors, not the module attributes.
    unique = {id(p): p.numel() for p in model.parameters()}
    assert count_params(model) == sum(unique.values())
    # Embeddings 50*32 + positions 16*32 + per layer (2 norms + attn 32*96+96 + 32*32+32 + mlp 32*128+128
    # + 128*32+32) + final norm.
    per_layer = 2 * 64 + (32 * 96 + 96) + (32 * 32 + 32) + (32 * 128 + 128) + (128 * 32 + 32)
    assert count_params(model) == 50 * 32 + 16 * 32 + 2 * per_layer + 64


def test_tiny_llama_grouped_query_attention():
    model = tiny_llama(vocab_size=40, n_layer=1, n_embd=32, n_head=4, n_kv_head=2, block_size=24)
    attn = model.model.layers[0].self_attn
    assert attn.k_proj.out_features == 16  # 2 kv heads of dim 8
    assert max_positions(model) == 24
    assert model(input_ids=torch.randint(0, 40, (2, 5))).logits.shape == (2, 5, 40)
    model.lm_head.weight.requires_grad_(False)  # tied, so the embedding freezes too
    assert count_params(model, trainable_only=True) == count_params(model) - 40 * 32


def test_head_count_must_divide_width():
    with pytest.raises(ValueError, match="divisible"):
        tiny_gpt2(vocab_size=10, n_embd=30, n_head=4)
    with pytest.raises(ValueError, match="n_kv_head"):
        tiny_llama(vocab_size=10, n_embd=32, n_head=4, n_kv_head=3)


def test_pick_device(monkeypatch):
    monkeypatch.delenv("ASSAY_DEVICE", raising=False)
    assert pick_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else None
    if expected:
        assert pick_device().type == expected
    monkeypatch.setenv("ASSAY_DEVICE", "cpu")
    assert pick_device() == torch.device("cpu")
    with pytest.raises(ValueError, match="unknown device"):
        pick_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="not available"):
            pick_device("cuda")


def test_seed_everything_repeats_every_generator():
    def draw():
        return random.random(), float(np.random.rand()), float(torch.rand(1))

    seed_everything(123)
    first = draw()
    seed_everything(123)
    assert draw() == first
    seed_everything(124)
    assert draw() != first
