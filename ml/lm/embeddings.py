"""Sentence embeddings from an encoder: mean of the token states over the attention mask."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase


def embed_texts(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str],
    batch_size: int = 32,
    normalize: bool = True,
    max_length: int = 256,
) -> torch.Tensor:
    """A (len(texts), hidden) float32 tensor on the CPU; rows have unit length when `normalize`.

    Mean pooling is what sentence-transformers models such as all-MiniLM-L6-v2 were trained with.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    chunks = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            batch = tokenizer(
                list(texts[start : start + batch_size]),
                padding=True,
                truncation=True,
                max_length=max_length,
                return_tensors="pt",
            ).to(model.device)
            states = model(**batch).last_hidden_state.float()
            mask = batch["attention_mask"].unsqueeze(-1).float()
            pooled = (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
            if normalize:
                pooled = torch.nn.functional.normalize(pooled, dim=-1)
            chunks.append(pooled.cpu())
    hidden = getattr(model.config, "hidden_size", 0)
    return torch.cat(chunks) if chunks else torch.zeros((0, hidden))
