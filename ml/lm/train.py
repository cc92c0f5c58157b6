"""A plain training loop for causal LMs on a list of texts, and checkpoint saving."""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from ml.experiments import ProgressFn
from ml.lm.seeding import seed_everything


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 200
    batch_size: int = 16
    lr: float = 3e-3
    block_size: int = 64
    warmup: int = 20  # linear warm-up steps, then cosine decay to lr * min_lr_ratio
    weight_decay: float = 0.1
    grad_clip: float = 1.0  # 0 disables clipping
    eval_every: int = 50  # 0 evaluates only at the end
    seed: int = 0
    val_fraction: float = 0.1  # share of the texts held out for validation
    eval_batches: int = 4
    min_lr_ratio: float = 0.1

    def __post_init__(self) -> None:
        if self.steps < 1 or self.batch_size < 1 or self.block_size < 2:
            raise ValueError("steps and batch_size must be >= 1 and block_size >= 2")
        if not 0 <= self.val_fraction < 1:
            raise ValueError("val_fraction must be in [0, 1)")


@dataclass
class TrainResult:
    losses: list[float]  # training loss at every step
    val_losses: list[tuple[int, float]]  # (step, validation loss) at each evaluation
    tokens_per_s: float  # training tokens per second, evaluation time excluded
    train_tokens: int = 0
    seconds: float = 0.0

    @property
    def final_val_loss(self) -> float:
        return self.val_losses[-1][1] if self.val_losses else float("nan")

    def final_train_loss(self, window: int = 10) -> float:
        """Mean of the last `window` step losses, steadier than the very last one."""
        tail = self.losses[-window:]
        return sum(tail) / len(tail) if tail else float("nan")


def token_streams(
    tokenizer: PreTrainedTokenizerBase, texts: list[str], val_fraction: float, seed: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Train and validation token streams: whole texts held out, each text followed by eos."""
    if not texts:
        raise ValueError("no training texts")
    eos = tokenizer.eos_token_id
    docs = [ids + ([eos] if eos is not None else []) for ids in tokenizer(texts)["input_ids"]]
    order = list(range(len(docs)))
    random.Random(seed).shuffle(order)
    n_val = min(len(docs) - 1, max(1, round(len(docs) * val_fraction))) if val_fraction > 0 else 0
    val_ids = [t for i in order[:n_val] for t in docs[i]]
    train_ids = [t for i in order[n_val:] for t in docs[i]]
    # With a single text there is nothing to hold out; validating on the training text still
    # shows whether the loop learns, so the curve is not empty.
    return torch.tensor(train_ids, dtype=torch.long), torch.tensor(val_ids or train_ids, dtype=torch.long)


def _fit(stream: torch.Tensor, block_size: int) -> torch.Tensor:
    # A corpus shorter than one block is repeated so that at least one full window exists.
    if len(stream) > block_size:
        return stream
    return stream.repeat(block_size // len(stream) + 2)


def _lr_at(step: int, cfg: TrainConfig) -> float:
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    span = max(1, cfg.steps - cfg.warmup)
    progress = min(1.0, (step - cfg.warmup) / span)
    floor = cfg.lr * cfg.min_lr_ratio
    return floor + (cfg.lr - floor) * 0.5 * (1 + math.cos(math.pi * progress))


def _optimizer(model: PreTrainedModel, cfg: TrainConfig) -> torch.optim.Optimizer:
    # Decay matrices only: decaying norms, biases and gains just fights the loss.
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": cfg.weight_decay},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=(0.9, 0.95))


@torch.no_grad()
def evaluate(model: PreTrainedModel, stream: torch.Tensor, cfg: TrainConfig) -> float:
    """Mean loss over non-overlapping windows from the start of `stream` (the same ones every time)."""
    stream = _fit(stream, cfg.block_size)
    n_windows = min(len(stream) // cfg.block_size, cfg.eval_batches * cfg.batch_size)
    windows = stream[: n_windows * cfg.block_size].view(n_windows, cfg.block_size).to(model.device)
    was_training = model.training
    model.eval()
    total = 0.0
    for batch in windows.split(cfg.batch_size):
        total += model(input_ids=batch, labels=batch).loss.item() * len(batch)
    model.train(was_training)
    return total / n_windows


def train_causal_lm(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    texts: list[str],
    cfg: TrainConfig,
    report: ProgressFn | None = None,
) -> TrainResult:
    """Train `model` in place on random windows of the tokenized texts.

    `report(fraction, message)` is called before the first step and regularly after; an exception
    it raises (such as ml.experiments.Cancelled) stops training and propagates.
    """
    seed_everything(cfg.seed)
    train_stream, val_stream = token_streams(tokenizer, texts, cfg.val_fraction, cfg.seed)
    train_stream = _fit(train_stream, cfg.block_size)
    device = model.device
    generator = torch.Generator().manual_seed(cfg.seed)
    optimizer = _optimizer(model, cfg)
    report_every = max(1, cfg.steps // 100)
    notify = report or (lambda fraction, message: None)

    losses: list[float] = []
    val_losses: list[tuple[int, float]] = []
    train_seconds = 0.0
    model.train()
    notify(0.0, f"training {cfg.steps} steps on {len(train_stream)} tokens")
    for step in range(cfg.steps):
        started = time.perf_counter()
        starts = torch.randint(
            0, len(train_stream) - cfg.block_size + 1, (cfg.batch_size,), generator=generator
        )
        batch = torch.stack([train_stream[s : s + cfg.block_size] for s in starts.tolist()]).to(device)
        for group in optimizer.param_groups:
            group["lr"] = _lr_at(step, cfg)
        loss = model(input_ids=batch, labels=batch).loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        optimizer.step()
        losses.append(loss.item())  # .item() waits for the step, so the timing below is honest
        train_seconds += time.perf_counter() - started

        done = step + 1
        if (cfg.eval_every and done % cfg.eval_every == 0) or done == cfg.steps:
            val_losses.append((done, evaluate(model, val_stream, cfg)))
        if done % report_every == 0 or done == cfg.steps:
            message = f"step {done}/{cfg.steps} loss {losses[-1]:.4f}"
            if val_losses and val_losses[-1][0] == done:
                message += f" val {val_losses[-1][1]:.4f}"
            notify(done / cfg.steps, message)

    train_tokens = cfg.steps * cfg.batch_size * cfg.block_size
    return TrainResult(
        losses=losses,
        val_losses=val_losses,
        tokens_per_s=train_tokens / train_seconds if train_seconds > 0 else 0.0,
        train_tokens=train_tokens,
        seconds=train_seconds,
    )


def save_checkpoint(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, out_dir: Path | str) -> Path:
    """Write model (safetensors), config and tokenizer so `from_pretrained(out_dir)` restores both."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
