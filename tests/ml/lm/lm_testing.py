"""Helpers shared by the ml.lm tests (a plain module: importing from conftest.py is ambiguous)."""

import torch

from ml.lm.models import tiny_gpt2, tiny_llama


def spiky_model(kind: str, tokenizer, seed: int = 0, block_size: int = 96):
    """A random tiny model with large weights, so greedy outputs vary instead of repeating one token."""
    torch.manual_seed(seed)
    ids = dict(
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    if kind == "gpt2":
        model = tiny_gpt2(len(tokenizer), n_layer=2, n_embd=32, n_head=4, block_size=block_size, **ids)
        std = 0.5
    else:
        model = tiny_llama(
            len(tokenizer), n_layer=2, n_embd=32, n_head=4, n_kv_head=2, block_size=block_size, **ids
        )
        std = 0.3
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() >= 2:
                p.normal_(0.0, std)
    return model.eval()
