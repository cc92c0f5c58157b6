"""Train one attention model on one task while recording its learning curve and probes."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

from ml.attention import probes
from ml.attention.models import Seq2Seq
from ml.attention.tasks import Task
from ml.lm.device import pick_device


@dataclass(frozen=True)
class TrainConfig:
    hidden: int = 128
    heads: int = 1
    attention: str = "learned"
    encoder: str = "lstm"
    steps: int = 600
    batch_size: int = 32
    lr: float = 1e-3
    eval_every: int = 10
    eval_size: int = 128  # held-out sequences for accuracy and KTIW accuracy
    probe_size: int = 16  # held-out sequences for the full beta matrix (agreement, xi)
    full_probes: bool = True  # also the beta matrix (agreement, xi) at every evaluation; slower
    target_accuracy: float = 0.95
    stop_at_target: bool = False  # stop once held-out accuracy reaches the target
    seed: int = 0  # model initialisation and data order
    head_seeds: tuple[int, ...] | None = None  # re-draw head k from head_seeds[k]


@dataclass
class RunResult:
    config: dict[str, Any]
    task: dict[str, Any]
    curve: list[dict[str, float]] = field(default_factory=list)
    steps_to_target: int | None = None
    seconds: float = 0.0

    @property
    def success(self) -> bool:
        return self.steps_to_target is not None

    def final(self) -> dict[str, float]:
        return self.curve[-1] if self.curve else {}

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "success": self.success}


def first_step_reaching(curve: list[dict[str, float]], key: str, level: float) -> int | None:
    """The first recorded step at which `key` is at least `level`, or None."""
    return next((point["step"] for point in curve if point[key] >= level), None)


def build_model(task: Task, config: TrainConfig) -> Seq2Seq:
    torch.manual_seed(config.seed)
    model = Seq2Seq(
        task.n_tokens,
        hidden=config.hidden,
        heads=config.heads,
        attention=config.attention,
        encoder=config.encoder,
        max_len=task.length,
    )
    if config.head_seeds is not None:
        model.reinit_heads(list(config.head_seeds))
    return model


def _tensors(arrays: tuple[np.ndarray, ...], device: torch.device) -> list[torch.Tensor]:
    return [torch.as_tensor(a, dtype=torch.long, device=device) for a in arrays]


@torch.no_grad()
def evaluate(
    model: Seq2Seq, held_out: list[torch.Tensor], probe: list[torch.Tensor] | None = None
) -> dict[str, float]:
    """Held-out loss, accuracy, KTIW and attention accuracy; with `probe` also xi and agreement."""
    model.eval()
    source, target, alignment = held_out
    logits, alpha = model(source, target)
    point = {
        "loss": torch.nn.functional.cross_entropy(logits.transpose(1, 2), target).item(),
        "accuracy": (logits.argmax(-1) == target).float().mean().item(),
        "ktiw": probes.ktiw_accuracy(model, source, target, alignment),
        "attention": probes.attention_accuracy(alpha, alignment),
    }
    point["attention_offset"], point["attention_offset_share"] = probes.attention_offset(alpha, alignment)
    if probe is not None:
        beta = probes.beta(model, *probe[:2])
        _, probe_alpha = model(*probe[:2])
        point["xi"] = probes.xi(beta, probe[2])
        point.update(probes.agreement(probe_alpha, beta))
    model.train()
    return point


def train(
    task: Task,
    config: TrainConfig,
    on_eval: Callable[[dict[str, float]], None] | None = None,
    device: torch.device | None = None,
) -> RunResult:
    """Adam on teacher-forced cross-entropy; evaluates every `eval_every` steps (and at step 0)."""
    started = time.perf_counter()
    device = device or pick_device()
    model = build_model(task, config).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    data_rng = np.random.default_rng([config.seed, 0])
    held_rng = np.random.default_rng([task.seed, 99])  # one held-out set per task, whatever the seed
    held_out = _tensors(task.sample(held_rng, config.eval_size), device)
    probe = [t[: config.probe_size] for t in held_out] if config.full_probes else None
    result = RunResult(config=asdict(config), task=asdict(task))
    for step in range(config.steps + 1):
        if step % config.eval_every == 0 or step == config.steps:
            point = {"step": step, **evaluate(model, held_out, probe)}
            result.curve.append(point)
            if on_eval:
                on_eval(point)
            if result.steps_to_target is None and point["accuracy"] >= config.target_accuracy:
                result.steps_to_target = step
                if config.stop_at_target:
                    break
        if step == config.steps:
            break
        source, target, _ = _tensors(task.sample(data_rng, config.batch_size), device)
        logits, _ = model(source, target)
        loss = torch.nn.functional.cross_entropy(logits.transpose(1, 2), target)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    result.seconds = round(time.perf_counter() - started, 2)
    return result
