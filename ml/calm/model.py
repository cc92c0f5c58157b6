"""The CALM agent: a tiny GPT-2 that reads the flight table as a prefix, conditioned on a reward token,
with an auxiliary head that predicts the final action from attention-pooled dialogue states.

The same class, with the table and the auxiliary head switched off and no reward token, is the plain
LM baseline: it reads the dialogue alone.

Input layout: [31 table vectors] [reward token] then, for each turn, a speaker token (<customer> or
<agent>), the utterance's words and "\\n". The LM loss covers the agent's words and their "\\n". Each
flight is one vector: the word embeddings of its 13 fields (id, airports, dates, times, class,
airline, price, connections) concatenated and passed through a small MLP, so the id token the agent
must say is the same embedding the table was built from. The 31st vector is the reservation.

Flight ids are chosen by pointing into the table: where the LM says a flight id, the probability it
gives to "some flight id" is shared among the 30 flights by a pointer, a query from the hidden state
against a key per flight that is linear in the flight's field embeddings. A linear key makes a flight's
score a sum of per-field terms, which is the shape of the task (every constraint met, then the lowest
fare); without it the agent picked flights at chance (bench/results/calm). The auxiliary head points
the same way from the pooled dialogue state, with one more logit for "no flight".
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

from ml.calm import is_calm_checkpoint
from ml.calm.world import (
    AIRLINES,
    AIRPORTS,
    CLASSES,
    FIRST_ID,
    FIRST_NAMES,
    LAST_NAMES,
    MONTHS,
    N_FLIGHTS,
    PRICES,
    STATUSES,
    TIMES,
    Context,
    Flight,
)
from ml.lm.models import tiny_gpt2

PAD, UNK, AGENT, CUSTOMER, SUCCESS, FAILURE, NONE, EOL = (
    "<pad>", "<unk>", "<agent>", "<customer>", "<success>", "<failure>", "<none>", "\n",
)  # fmt: skip
SPECIALS = [PAD, UNK, AGENT, CUSTOMER, SUCCESS, FAILURE, NONE, EOL]
TOKEN_RE = re.compile(r"\$\d+|\d+|[A-Za-z_]+|[^\sA-Za-z\d]")
TABLE_LEN = N_FLIGHTS + 1  # 30 flights and the reservation
FIELDS = 13
STATUS_INDEX = {s: i for i, s in enumerate(STATUSES)}


def words(text: str) -> list[str]:
    return TOKEN_RE.findall(text)


def flight_words(flight: Flight) -> list[str]:
    return [
        str(flight.id), flight.origin, flight.destination, flight.depart_month, str(flight.depart_day),
        flight.return_month, str(flight.return_day), flight.depart_time, flight.return_time, flight.cls,
        flight.airline, f"${flight.price}", str(flight.connections),
    ]  # fmt: skip


def domain_words() -> list[str]:
    """Every word the world can produce, so a held-out name or fare is never <unk>."""
    out = [*AIRPORTS, *MONTHS, *TIMES, *CLASSES, *AIRLINES, *FIRST_NAMES, *LAST_NAMES, *STATUSES]
    out += [str(FIRST_ID + i) for i in range(N_FLIGHTS)] + [str(d) for d in range(32)]
    out += [f"${p}" for p in PRICES] + ["ACTION", ":", "|", "reservation", "any"]
    return out


class Vocab:
    def __init__(self, tokens: list[str]):
        self.tokens = list(tokens)
        self.index = {t: i for i, t in enumerate(self.tokens)}

    @classmethod
    def build(cls, texts: list[str]) -> Vocab:
        seen = dict.fromkeys(SPECIALS)
        for word in domain_words():
            seen.setdefault(word)
        for text in texts:
            for word in words(text):
                seen.setdefault(word)
        return cls(list(seen))

    def __len__(self) -> int:
        return len(self.tokens)

    def id(self, token: str) -> int:
        return self.index.get(token, self.index[UNK])

    def encode(self, text: str) -> list[int]:
        return [self.id(w) for w in words(text)]

    def decode(self, ids: list[int]) -> str:
        text = " ".join(self.tokens[i] for i in ids if self.tokens[i] not in SPECIALS)
        return re.sub(r" ([.,?!:;])", r"\1", text)


@dataclass
class CalmConfig:
    use_table: bool = True
    reward_token: bool = True
    aux_weight: float = 0.5
    n_layer: int = 4
    n_embd: int = 128
    n_head: int = 4
    max_tokens: int = 384  # dialogue tokens kept (the oldest are dropped beyond this)


def flight_scores(queries: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
    """Scaled dot products of (batch, positions, d) queries with (batch, flights, d) keys."""
    return queries @ keys.transpose(1, 2) / math.sqrt(keys.shape[-1])


class CalmModel(nn.Module):
    def __init__(self, vocab: Vocab, config: CalmConfig):
        super().__init__()
        self.vocab, self.config = vocab, config
        d = config.n_embd
        self.lm = tiny_gpt2(
            len(vocab),
            n_layer=config.n_layer,
            n_embd=d,
            n_head=config.n_head,
            block_size=config.max_tokens + TABLE_LEN + 1,
            pad_token_id=vocab.id(PAD),
        )
        if config.use_table:
            self.flight_mlp = nn.Sequential(nn.Linear(FIELDS * d, d), nn.GELU(), nn.Linear(d, d))
            self.reservation_proj = nn.Linear(2 * d, d)
            self.flight_key = nn.Linear(FIELDS * d, d)
            self.flight_query = nn.Linear(d, d)
            flight_ids = [vocab.id(str(FIRST_ID + i)) for i in range(N_FLIGHTS)]
            self.register_buffer("flight_tokens", torch.tensor(flight_ids), persistent=False)
        if config.aux_weight > 0:
            if not config.use_table:
                raise ValueError("the auxiliary loss points into the flight table; it needs use_table")
            self.pool_query = nn.Linear(d, 1)
            self.status_head = nn.Linear(d, len(STATUSES))
            self.aux_query = nn.Linear(d, d)
            self.no_flight_head = nn.Linear(d, 1)

    @property
    def prefix_len(self) -> int:
        return TABLE_LEN if self.config.use_table else 0

    def table_ids(self, context: Context) -> tuple[list[list[int]], list[int]]:
        flights = [[self.vocab.id(w) for w in flight_words(f)] for f in context.flights]
        held = str(context.reservation) if context.reservation is not None else NONE
        return flights, [self.vocab.id("reservation"), self.vocab.id(held)]

    def embed(self, input_ids: torch.Tensor, tables: torch.Tensor | None, held: torch.Tensor | None):
        """The LM's input embeddings (the table prefix first, where there is one) and the flights'
        pointer keys (None without a table)."""
        wte = self.lm.transformer.wte
        emb = wte(input_ids)
        if not self.config.use_table:
            return emb, None
        b = input_ids.shape[0]
        fields = wte(tables).reshape(b, N_FLIGHTS, -1)
        reservation = self.reservation_proj(wte(held).reshape(b, 1, -1))
        return torch.cat([self.flight_mlp(fields), reservation, emb], dim=1), self.flight_key(fields)

    def point(self, logits: torch.Tensor, hidden: torch.Tensor, keys: torch.Tensor | None) -> torch.Tensor:
        """The LM's logits with the flight-id tokens' share of the probability split by the pointer:
        log P(flight i) = log P(some flight id) + log softmax_i(query · key_i)."""
        if keys is None:
            return logits
        scores = flight_scores(self.flight_query(hidden), keys)
        some_id = logits[..., self.flight_tokens].logsumexp(-1, keepdim=True)
        return logits.index_copy(-1, self.flight_tokens, some_id + scores.log_softmax(-1))

    def forward(self, input_ids, attention_mask, tables=None, held=None):
        """Logits and last hidden states over the dialogue positions (the table prefix removed), and
        the flights' pointer keys."""
        emb, keys = self.embed(input_ids, tables, held)
        if self.config.use_table:
            ones = attention_mask.new_ones(attention_mask.shape[0], TABLE_LEN)
            attention_mask = torch.cat([ones, attention_mask], dim=1)
        out = self.lm(inputs_embeds=emb, attention_mask=attention_mask, output_hidden_states=True)
        p = self.prefix_len
        hidden = out.hidden_states[-1][:, p:]
        return self.point(out.logits[:, p:], hidden, keys), hidden, keys

    def aux_logits(self, hidden: torch.Tensor, pool_mask: torch.Tensor, keys: torch.Tensor):
        """Status and flight logits (30 flights, then no flight) from the states the pool may see (the
        dialogue before the final agent utterance), pooled by learned attention."""
        scores = self.pool_query(hidden).squeeze(-1).masked_fill(~pool_mask, float("-inf"))
        pooled = (scores.softmax(-1).unsqueeze(-1) * hidden).sum(1)
        flights = flight_scores(self.aux_query(pooled).unsqueeze(1), keys).squeeze(1)
        return self.status_head(pooled), torch.cat([flights, self.no_flight_head(pooled)], dim=-1)

    # ----- saving and loading

    def save(self, out_dir: Path | str, extra: dict | None = None) -> Path:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        self.lm.save_pretrained(out)
        rest = {k: v for k, v in self.state_dict().items() if not k.startswith("lm.")}
        torch.save(rest, out / "calm_heads.pt")
        meta = {"config": asdict(self.config), "vocab": self.vocab.tokens, **(extra or {})}
        (out / "calm.json").write_text(json.dumps(meta, indent=1))
        return out


def load(path: Path | str, device: str | torch.device = "cpu") -> CalmModel:
    from transformers import GPT2LMHeadModel

    path = Path(path)
    if not is_calm_checkpoint(path):
        raise ValueError(f"{path} is not a CALM checkpoint (no calm.json)")
    meta = json.loads((path / "calm.json").read_text())
    model = CalmModel(Vocab(meta["vocab"]), CalmConfig(**meta["config"]))
    model.lm = GPT2LMHeadModel.from_pretrained(path)
    heads = torch.load(path / "calm_heads.pt", map_location="cpu")
    missing, unexpected = model.load_state_dict(heads, strict=False)
    if unexpected or any(not key.startswith("lm.") for key in missing):
        raise ValueError(f"{path}: calm_heads.pt does not match calm.json's config")
    return model.to(device).eval()
