"""Sentence embeddings with a per-text cache, shared by the featurizer, verifiers and proposers."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

DEFAULT_ENCODER = "var/models/all-minilm-l6-v2"


class TextEncoder:
    """Unit-length embeddings of texts from a local sentence encoder, each text embedded once.

    The verifiers score many hypotheses against the same samples; caching the samples' vectors
    turns every further hypothesis into one matrix product."""

    def __init__(self, path: str | Path = DEFAULT_ENCODER, device: str | None = None, batch_size: int = 64):
        from ml.lm.loading import load_encoder

        self.path = str(path)
        self.model, self.tokenizer = load_encoder(path, device=device)
        self.batch_size = batch_size
        self._cache: dict[str, np.ndarray] = {}

    @property
    def dim(self) -> int:
        return int(self.model.config.hidden_size)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """A (len(texts), dim) float32 array of unit vectors, computing only texts not seen before."""
        from ml.lm.embeddings import embed_texts

        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            # Longest first so each batch pads little; the order does not change the vectors.
            missing.sort(key=len, reverse=True)
            vectors = embed_texts(self.model, self.tokenizer, missing, batch_size=self.batch_size).numpy()
            self._cache.update(zip(missing, vectors.astype(np.float32), strict=True))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._cache[t] for t in texts])


def text_encoder(path: str | Path = DEFAULT_ENCODER, device: str | None = None) -> TextEncoder:
    """One shared TextEncoder per (path, device), so a run loads the encoder and embeds a text once."""
    return _shared(str(Path(path).expanduser().resolve()), device)


@lru_cache(maxsize=4)
def _shared(path: str, device: str | None) -> TextEncoder:
    return TextEncoder(path, device=device)
