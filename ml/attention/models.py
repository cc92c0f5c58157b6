"""Sequence-to-sequence models with one cross-attention layer whose learning the probes watch.

The decoder state d_t (an LSTM, or a small causal transformer, over the previous target tokens)
attends over the encoder states h_s with one or more heads. Each head k scores d_t W_k h_s and reads
the values V_k h_s; the context c_t is the mean of the heads' reads, so `proj(h_s) = mean_k V_k h_s` is
exactly the context the model would get by attending only to position s. That is what the KTIW probe
substitutes. The prediction is  softmax(W_out tanh(A d_t + C c_t)).

`attention="uniform"` freezes every weight to 1/S (the model still learns everything else).
Decoding never feeds the context back into the decoder, so the whole target is scored in parallel.
"""

from __future__ import annotations

import torch
from torch import nn

from ml.attention.tasks import BOS

ATTENTION_KINDS = ("learned", "uniform")
ENCODERS = ("lstm", "transformer")


class Head(nn.Module):
    def __init__(self, hidden: int):
        super().__init__()
        self.score = nn.Linear(hidden, hidden, bias=False)
        self.value = nn.Linear(hidden, hidden, bias=False)

    def reset_parameters(self) -> None:
        self.score.reset_parameters()
        self.value.reset_parameters()


class Seq2Seq(nn.Module):
    def __init__(
        self,
        n_tokens: int,
        hidden: int = 128,
        heads: int = 1,
        attention: str = "learned",
        encoder: str = "lstm",
        max_len: int = 256,
    ):
        super().__init__()
        if attention not in ATTENTION_KINDS:
            raise ValueError(f"attention must be one of {ATTENTION_KINDS}")
        if encoder not in ENCODERS:
            raise ValueError(f"encoder must be one of {ENCODERS}")
        if heads < 1:
            raise ValueError("heads must be >= 1")
        self.attention_kind = attention
        self.encoder_kind = encoder
        self.embed_source = nn.Embedding(n_tokens, hidden)
        self.embed_target = nn.Embedding(n_tokens, hidden)
        if encoder == "lstm":
            self.encoder = nn.LSTM(hidden, hidden, batch_first=True)
            self.decoder = nn.LSTM(hidden, hidden, batch_first=True)
        else:
            self.position = nn.Embedding(max_len, hidden)

            def layer() -> nn.TransformerEncoder:
                block = nn.TransformerEncoderLayer(
                    hidden, nhead=4, dim_feedforward=2 * hidden, dropout=0.0, batch_first=True
                )
                return nn.TransformerEncoder(block, num_layers=1, enable_nested_tensor=False)

            self.encoder = layer()
            self.decoder = layer()
        self.heads = nn.ModuleList(Head(hidden) for _ in range(heads))
        self.mix_state = nn.Linear(hidden, hidden)
        self.mix_context = nn.Linear(hidden, hidden, bias=False)
        self.out = nn.Linear(hidden, n_tokens)

    def reinit_heads(self, seeds: list[int]) -> None:
        """Re-draw head k's weights from seed `seeds[k]` (the rest of the model keeps its draw)."""
        if len(seeds) != len(self.heads):
            raise ValueError(f"{len(self.heads)} heads need {len(self.heads)} seeds, got {len(seeds)}")
        for head, seed in zip(self.heads, seeds, strict=True):
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                head.reset_parameters()

    def _run(self, module: nn.Module, x: torch.Tensor, causal: bool) -> torch.Tensor:
        if self.encoder_kind == "lstm":
            return module(x)[0]
        x = x + self.position(torch.arange(x.shape[1], device=x.device))
        mask = nn.Transformer.generate_square_subsequent_mask(x.shape[1], device=x.device) if causal else None
        return module(x, mask=mask, is_causal=causal)

    def encode(self, source: torch.Tensor) -> torch.Tensor:
        return self._run(self.encoder, self.embed_source(source), causal=False)

    def decoder_states(self, target: torch.Tensor) -> torch.Tensor:
        """d_t for every target position, reading BOS and the target tokens before t."""
        shifted = torch.cat([torch.full_like(target[:, :1], BOS), target[:, :-1]], dim=1)
        return self._run(self.decoder, self.embed_target(shifted), causal=True)

    def attention(self, d: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """alpha, shape (batch, heads, T, S)."""
        batch, t_len, s_len = d.shape[0], d.shape[1], h.shape[1]
        if self.attention_kind == "uniform":
            return torch.full((batch, len(self.heads), t_len, s_len), 1.0 / s_len, device=d.device)
        scores = torch.stack([head.score(d) @ h.transpose(1, 2) for head in self.heads], dim=1)
        return scores.softmax(dim=-1)

    def values(self, h: torch.Tensor) -> torch.Tensor:
        """Each head's values, shape (batch, heads, S, hidden)."""
        return torch.stack([head.value(h) for head in self.heads], dim=1)

    def projected(self, h: torch.Tensor) -> torch.Tensor:
        """proj(h_s): the context when every head attends only to s, shape (batch, S, hidden)."""
        return self.values(h).mean(dim=1)

    def readout(self, d: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        return self.out(torch.tanh(self.mix_state(d) + self.mix_context(context)))

    def forward(self, source: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits (batch, T, tokens) and attention (batch, heads, T, S), teacher-forced."""
        h = self.encode(source)
        d = self.decoder_states(target)
        alpha = self.attention(d, h)
        context = (alpha @ self.values(h)).mean(dim=1)
        return self.readout(d, context), alpha
