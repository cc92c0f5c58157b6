"""Training the CALM agent and its baselines, the agent as a policy, and self-play evaluation.

Variants (one trainer, switched by CalmConfig and the data):
- calm: table prefix, reward token, relabelled copies of the failed dialogues, auxiliary loss;
- no_relabel: calm without the relabelled copies;
- no_aux: calm without the auxiliary loss;
- plain: a plain LM fine-tuned on the same dialogues, with no table, reward token or auxiliary loss.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F

from ml.calm.data import HELD_OUT_BASE, relabel_all
from ml.calm.env import FlightBookingEnv
from ml.calm.model import (
    AGENT,
    CUSTOMER,
    EOL,
    FAILURE,
    PAD,
    STATUS_INDEX,
    SUCCESS,
    CalmConfig,
    CalmModel,
    Vocab,
)
from ml.calm.world import FIRST_ID, N_FLIGHTS, Context, correct_action, parse_action, parts_right
from ml.lm.seeding import seed_everything
from ml.rl.envs.base import History

VARIANTS = {
    "calm": (CalmConfig(), True),
    "no_relabel": (CalmConfig(), False),
    "no_aux": (CalmConfig(aux_weight=0.0), True),
    "plain": (CalmConfig(use_table=False, reward_token=False, aux_weight=0.0), False),
}


@dataclass
class TrainSettings:
    variant: str = "calm"
    steps: int = 2000
    batch_size: int = 32
    lr: float = 1e-3
    seed: int = 0
    n_layer: int = 4
    n_embd: int = 128


@dataclass
class Example:
    ids: list[int]
    labels: list[int]  # -100 where there is no LM loss
    pool_len: int  # positions the auxiliary pool may see (up to the final agent turn's speaker token)
    tables: list[list[int]] = field(default_factory=list)
    held: list[int] = field(default_factory=list)
    status: int = 0
    flight: int = N_FLIGHTS  # index of the action's flight; N_FLIGHTS for none


def dialogue_ids(
    model: CalmModel, turns: list[dict[str, Any]], success: bool | None
) -> tuple[list, list, int]:
    """Token ids and LM labels of a dialogue, and where its final agent turn starts."""
    vocab, cfg = model.vocab, model.config
    ids = [vocab.id(SUCCESS if success else FAILURE)] if cfg.reward_token and success is not None else []
    labels = [-100] * len(ids)
    last_agent = 0
    for turn in turns:
        speaker = AGENT if turn["is_action"] else CUSTOMER
        if turn["is_action"]:
            last_agent = len(ids)
        body = vocab.encode(turn["text"]) + [vocab.id(EOL)]
        ids += [vocab.id(speaker)] + body
        labels += [-100] + (body if turn["is_action"] else [-100] * len(body))
    return ids, labels, last_agent + 1


def make_example(model: CalmModel, dialogue: dict[str, Any]) -> Example | None:
    ids, labels, pool_len = dialogue_ids(model, dialogue["turns"], dialogue["success"])
    keep = model.config.max_tokens
    if len(ids) > keep:  # too long to learn from whole; rare (games are at most 12 agent turns)
        return None
    action = parse_action(dialogue["action"] or "")
    example = Example(ids, labels, pool_len)
    if action is not None and action.status in STATUS_INDEX:
        example.status = STATUS_INDEX[action.status]
        if action.flight is not None and 0 <= action.flight - FIRST_ID < N_FLIGHTS:
            example.flight = action.flight - FIRST_ID
    if model.config.use_table:
        example.tables, example.held = model.table_ids(Context.from_json(dialogue["context"]))
    return example


def collate(examples: list[Example], pad: int, use_table: bool) -> dict[str, torch.Tensor]:
    width = max(len(e.ids) for e in examples)
    batch = {
        "input_ids": torch.tensor([e.ids + [pad] * (width - len(e.ids)) for e in examples]),
        "labels": torch.tensor([e.labels + [-100] * (width - len(e.ids)) for e in examples]),
        "attention_mask": torch.tensor([[1] * len(e.ids) + [0] * (width - len(e.ids)) for e in examples]),
        "pool_mask": torch.tensor([[i < e.pool_len for i in range(width)] for e in examples]),
        "status": torch.tensor([e.status for e in examples]),
        "flight": torch.tensor([e.flight for e in examples]),
    }
    if use_table:
        batch["tables"] = torch.tensor([e.tables for e in examples])
        batch["held"] = torch.tensor([e.held for e in examples])
    return batch


def loss_of(model: CalmModel, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
    logits, hidden, keys = model(
        batch["input_ids"], batch["attention_mask"], batch.get("tables"), batch.get("held")
    )
    lm_loss = F.cross_entropy(
        logits[:, :-1].reshape(-1, logits.shape[-1]), batch["labels"][:, 1:].reshape(-1), ignore_index=-100
    )
    parts = {"lm": lm_loss.item()}
    loss = lm_loss
    if model.config.aux_weight > 0:
        status_logits, flight_logits = model.aux_logits(hidden, batch["pool_mask"].bool(), keys)
        aux = F.cross_entropy(status_logits, batch["status"]) + F.cross_entropy(
            flight_logits, batch["flight"]
        )
        loss = loss + model.config.aux_weight * aux
        parts["aux"] = aux.item()
    return loss, parts


def training_set(
    variant: str, dialogues: list[dict[str, Any]], seed: int
) -> tuple[list[dict], dict[str, int]]:
    """The variant's dialogues: all of them, plus relabelled copies of the failures where it relabels."""
    _, relabels = VARIANTS[variant]
    if not relabels:
        return list(dialogues), {"relabelled": 0}
    extra, counts = relabel_all(dialogues, seed)
    return list(dialogues) + extra, counts


def train(
    dialogues: list[dict[str, Any]],
    settings: TrainSettings,
    report: Callable[[float, str], None] | None = None,
) -> tuple[CalmModel, dict[str, Any]]:
    """Train one variant on behaviour dialogues; returns the model and its training figures."""
    if settings.variant not in VARIANTS:
        raise ValueError(f"unknown variant {settings.variant!r}; known: {', '.join(VARIANTS)}")
    seed_everything(settings.seed)
    started = time.perf_counter()
    base, _ = VARIANTS[settings.variant]
    config = CalmConfig(**{**base.__dict__, "n_layer": settings.n_layer, "n_embd": settings.n_embd})
    data, counts = training_set(settings.variant, dialogues, settings.seed)
    texts = [t["text"] for d in data for t in d["turns"]]
    model = CalmModel(Vocab.build(texts), config)
    examples = [e for e in (make_example(model, d) for d in data) if e is not None]
    if not examples:
        raise ValueError("no dialogue fits the model's context; nothing to train on")
    optimiser = torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=0.01)
    warmup = max(1, settings.steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser,
        lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(1.0, s / settings.steps))),
    )
    rng = random.Random(settings.seed)
    order: list[int] = []
    losses = []
    model.train()
    for step in range(settings.steps):
        if len(order) < settings.batch_size:
            order += rng.sample(range(len(examples)), len(examples))
        picked, order = order[: settings.batch_size], order[settings.batch_size :]
        batch = collate([examples[i] for i in picked], model.vocab.id(PAD), config.use_table)
        loss, parts = loss_of(model, batch)
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        schedule.step()
        losses.append(parts)
        if report and (step % 50 == 0 or step == settings.steps - 1):
            report((step + 1) / settings.steps, f"step {step + 1}/{settings.steps}: lm {parts['lm']:.3f}")
    model.eval()
    figures = {
        "variant": settings.variant,
        "examples": len(examples),
        **counts,
        "params": sum(p.numel() for p in model.parameters()),
        "train_seconds": round(time.perf_counter() - started, 1),
        "final_lm_loss": sum(p["lm"] for p in losses[-50:]) / len(losses[-50:]),
        "loss_curve": [round(p["lm"], 4) for p in losses[:: max(1, len(losses) // 200)]],
    }
    return model, figures


# ----- the agent as a policy


class CalmAgent:
    """A trained CALM (or plain LM) agent: `agent(env, history)` is its next utterance, decoded greedily
    from the table, a success reward token and the dialogue so far."""

    def __init__(self, model: CalmModel, max_new_tokens: int = 48):
        self.model = model
        self.max_new_tokens = max_new_tokens

    @classmethod
    def load(cls, path) -> CalmAgent:
        from ml.calm.model import load

        return cls(load(path))

    @torch.no_grad()
    def __call__(self, env: FlightBookingEnv, history: History) -> str:
        model, vocab = self.model, self.model.vocab
        turns = [{"text": t.text.strip(), "is_action": t.is_action} for t in history]
        ids, _, _ = dialogue_ids(model, turns, True)
        ids += [vocab.id(AGENT)]
        # Keep the reward token and the newest turns, leaving room for the reply within the positions.
        head = ids[:1] if model.config.reward_token else []
        room = model.config.max_tokens - self.max_new_tokens - len(head)
        ids = head + ids[len(head) :][-room:]
        input_ids = torch.tensor([ids])
        tables = held = None
        if model.config.use_table:
            flights, reservation = model.table_ids(env.context)
            tables, held = torch.tensor([flights]), torch.tensor([reservation])
        emb, keys = model.embed(input_ids, tables, held)
        out = model.lm(inputs_embeds=emb, use_cache=True, output_hidden_states=True)
        produced = []
        eol = vocab.id(EOL)
        for _ in range(self.max_new_tokens):
            logits = model.point(out.logits[:, -1:], out.hidden_states[-1][:, -1:], keys)
            token = int(logits[0, -1].argmax())
            if token == eol:
                break
            produced.append(token)
            out = model.lm(
                input_ids=torch.tensor([[token]]), cache=out.cache, use_cache=True, output_hidden_states=True
            )
        return vocab.decode(produced) or "Hello?"


def self_play(agent: Callable, n: int, first_seed: int = HELD_OUT_BASE) -> list[dict[str, Any]]:
    """The agent against the rule-based customer on `n` held-out contexts: one result per game."""
    results = []
    env = FlightBookingEnv()
    for i in range(n):
        seed = first_seed + i
        env.reset(seed)
        while not env.done:
            env.step(agent(env, env.history))
        results.append(
            {
                "seed": seed,
                "success": env.total_reward > 0,
                "turns": env.steps,
                "action": env.action.text() if env.action else None,
                "truncated": env.action is None,
                "right": parts_right(env.context, env.action),
                "flight_due": correct_action(env.context).flight is not None,
            }
        )
    return results
