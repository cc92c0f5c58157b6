"""One trainer for every text-agent RL method, configured by one dataclass (RLConfig).

    cfg = RLConfig.from_dict({"task": "maze_fo", "algorithm": "bc", "dataset": "maze.jsonl", "steps": 2000})
    outcome = train(cfg, out_dir="var/models/maze-bc", report=print_progress)

The trainer reads trajectory JSONL, lets the algorithm choose its data (`select`) and fit to it
(`prepare`), builds the modules it trains beside the LM (`setup`: value heads), tokenizes the data into
windows (ml.rl.data), trains with AdamW on the algorithm's loss (`after_step` after each step: target
networks) and saves a checkpoint that LMPolicy loads as is: save_pretrained model + tokenizer,
rl_config.json, and the value heads for methods that train them (see save_rl_checkpoint). Online
methods (PPO, online filtered BC) are handed to ml.rl.online.train_online.
"""

from __future__ import annotations

import json
import math
import string
import time
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import torch

from ml.experiments import ArtifactOut, ExperimentResult, ParamError, ProgressFn, scaled

RL_CONFIG_FILE = "rl_config.json"
VALUE_HEADS_FILE = "value_heads.pt"


@dataclass
class RLConfig:
    task: str = "maze_fo"
    algorithm: str = "bc"  # a key of ml.rl.algos.ALGORITHMS
    dataset: str = ""  # trajectory JSONL
    init_from: str = ""  # a local checkpoint to start from instead of a fresh tiny model
    tokenizer: str = "bpe"  # "bpe": byte-level BPE trained on the data (2-3x fewer tokens); "char"
    vocab_size: int = 512  # for "bpe"
    n_layer: int = 4
    n_embd: int = 160
    n_head: int = 4
    block_size: int = 256  # context in tokens; training windows end at each action (ml.rl.data)
    steps: int = 2000
    batch_size: int = 16
    lr: float = 1e-3
    warmup: int = 100
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    seed: int = 0
    gamma: float = 0.99
    eval_episodes: int = 50
    device: str = "auto"
    # Algorithm-specific settings, e.g. {"top_fraction": 0.1} or {"successes_only": true} for filtered_bc.
    options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from ml.rl.algos import ALGORITHMS

        if self.algorithm not in ALGORITHMS:
            raise ValueError(f"unknown algorithm {self.algorithm!r}; known: {sorted(ALGORITHMS)}")
        if self.steps < 1 or self.batch_size < 1 or self.block_size < 2:
            raise ValueError("steps and batch_size must be >= 1 and block_size >= 2")
        make_algorithm(self)  # bad options fail here, with the algorithm's message
        if self.tokenizer not in ("bpe", "char"):
            raise ValueError("tokenizer must be 'bpe' or 'char'")
        if not 0 <= self.gamma <= 1:
            raise ValueError("gamma must be in [0, 1]")

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> RLConfig:
        """From a JSON/YAML-like dict. Unknown keys go to `options` (algorithm-specific settings)."""
        names = {f.name for f in fields(cls)}
        known = {k: v for k, v in raw.items() if k in names}
        extra = {k: v for k, v in raw.items() if k not in names}
        known["options"] = {**dict(known.get("options") or {}), **extra}
        return cls(**known)

    @classmethod
    def from_json(cls, path: Path | str) -> RLConfig:
        return cls.from_dict(json.loads(Path(path).read_text()))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def make_algorithm(cfg: RLConfig):
    from ml.rl.algos import ALGORITHMS

    try:
        return ALGORITHMS[cfg.algorithm](**cfg.options)
    except TypeError as exc:
        raise ValueError(f"bad options for {cfg.algorithm}: {exc}") from None


def build_tokenizer(texts: list[str], kind: str = "bpe", vocab_size: int = 512):
    """A byte-level BPE trained on the data (any output encodes), or a char tokenizer over the data plus
    printable ASCII, so a policy's unusual output still encodes."""
    from ml.lm.tokenizers import char_tokenizer, train_bpe

    if kind == "bpe":
        return train_bpe(texts, vocab_size=vocab_size)
    return char_tokenizer([*texts, string.printable])


def build_model(cfg: RLConfig, tokenizer, device):
    from ml.lm.models import tiny_gpt2

    return tiny_gpt2(
        vocab_size=len(tokenizer),
        n_layer=cfg.n_layer,
        n_embd=cfg.n_embd,
        n_head=cfg.n_head,
        block_size=cfg.block_size,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    ).to(device)


def save_rl_checkpoint(
    model, tokenizer, cfg: RLConfig, out_dir: Path | str, value_heads: torch.nn.Module | None = None
) -> Path:
    """save_pretrained model + tokenizer (what LMPolicy loads), rl_config.json, and the value heads'
    state dict as value_heads.pt for methods that have them (ILQL, MC returns, PPO); ValueHeads also
    write their shape to value_heads.json so value_heads.load_heads can rebuild them."""
    from ml.lm.train import save_checkpoint
    from ml.rl.algos.value_heads import ValueHeads, save_heads

    out = save_checkpoint(model, tokenizer, out_dir)
    (out / RL_CONFIG_FILE).write_text(json.dumps(cfg.to_dict(), indent=2) + "\n")
    if isinstance(value_heads, ValueHeads):
        save_heads(value_heads, out)
    elif value_heads is not None:
        torch.save(value_heads.state_dict(), out / VALUE_HEADS_FILE)
    return out


def _lr_at(step: int, cfg: RLConfig) -> float:
    # Linear warm-up, then cosine decay to a tenth of the peak.
    warmup = min(cfg.warmup, max(1, cfg.steps // 10))
    if step < warmup:
        return cfg.lr * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, cfg.steps - warmup))
    return cfg.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


@dataclass
class TrainOutcome:
    model: Any
    tokenizer: Any
    losses: list[float]
    seconds: float  # training loop only
    steps_per_s: float
    n_trajectories: int  # after the algorithm's selection
    n_windows: int
    checkpoint: Path | None = None
    heads: torch.nn.Module | None = None  # value heads, for the methods that train them


def train(cfg: RLConfig, out_dir: Path | str | None = None, report: ProgressFn | None = None) -> TrainOutcome:
    """Train per `cfg`; save a checkpoint to `out_dir` if given. `report(fraction, message)` is called
    regularly; an exception it raises (ml.experiments.Cancelled) stops training and propagates."""
    from ml.lm.device import pick_device
    from ml.lm.models import max_positions
    from ml.lm.seeding import seed_everything
    from ml.rl.algos import ALGORITHMS
    from ml.rl.data import WindowDataset, load_trajectories, tokenize_trajectories, trajectory_texts

    if getattr(ALGORITHMS[cfg.algorithm], "online", False):
        from ml.rl.online import train_online

        return train_online(cfg, out_dir, report)
    notify = report or (lambda fraction, message: None)
    if not cfg.dataset:
        raise ValueError("RLConfig.dataset is empty")
    seed_everything(cfg.seed)
    algorithm = make_algorithm(cfg)
    trajectories = load_trajectories(cfg.dataset)
    if not trajectories:
        raise ValueError(f"{cfg.dataset}: no trajectories")
    chosen = algorithm.select(trajectories)
    algorithm.prepare(chosen)
    if getattr(algorithm, "reward_scale", None) is not None:
        # Record the fitted scale: it sets the units of Q and so the meaning of beta.
        cfg = replace(cfg, options={**cfg.options, "reward_scale": algorithm.reward_scale})
    device = pick_device(cfg.device)
    if cfg.init_from:
        from ml.lm.loading import load_model

        model, tokenizer = load_model(cfg.init_from, device=device)
    else:
        tokenizer = build_tokenizer(trajectory_texts(trajectories), cfg.tokenizer, cfg.vocab_size)
        model = build_model(cfg, tokenizer, device)
    # A loaded checkpoint may have a shorter context than cfg asks for.
    block_size = min(cfg.block_size, max_positions(model) or cfg.block_size)
    data = WindowDataset(tokenize_trajectories(chosen, tokenizer, cfg.gamma), block_size)
    heads = algorithm.setup(model, cfg.gamma)
    params = [p for p in model.parameters() if p.requires_grad]
    if heads is not None:
        params += [p for p in heads.parameters() if p.requires_grad]

    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg.lr,
        betas=(0.9, 0.95),
    )
    generator = torch.Generator().manual_seed(cfg.seed)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    report_every = max(1, cfg.steps // 100)
    losses: list[float] = []
    seconds = 0.0
    model.train()
    if heads is not None:
        heads.train()
    notify(0.0, f"{cfg.algorithm}: {len(chosen)}/{len(trajectories)} trajectories, {len(data)} windows")
    for step in range(cfg.steps):
        started = time.perf_counter()
        ks = torch.randint(0, len(data), (cfg.batch_size,), generator=generator).tolist()
        batch = data.batch(ks, pad_id).to(device)
        for group in optimizer.param_groups:
            group["lr"] = _lr_at(step, cfg)
        loss, _ = algorithm.loss(model, batch)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
        optimizer.step()
        algorithm.after_step()
        losses.append(loss.item())  # waits for the step, so the timing is honest on a GPU too
        seconds += time.perf_counter() - started
        done = step + 1
        if done % report_every == 0 or done == cfg.steps:
            notify(done / cfg.steps, f"step {done}/{cfg.steps} loss {losses[-1]:.4f}")
    model.eval()
    if heads is not None:
        heads.eval()
    checkpoint = save_rl_checkpoint(model, tokenizer, cfg, out_dir, heads) if out_dir is not None else None
    return TrainOutcome(
        model=model,
        tokenizer=tokenizer,
        losses=losses,
        seconds=seconds,
        steps_per_s=cfg.steps / seconds if seconds > 0 else 0.0,
        n_trajectories=len(chosen),
        n_windows=len(data),
        checkpoint=checkpoint,
        heads=heads,
    )


# --- the rl.train experiment (registered in ml.catalog)


def algorithm_options(params: dict[str, Any]) -> dict[str, Any]:
    """The rl.train form's method-specific fields, as the chosen algorithm's options."""
    wanted = {
        "filtered_bc": ("top_fraction",),
        "mc_returns": ("beta", "cql_weight"),
        "ilql": ("beta", "tau", "cql_weight"),
        "ppo": ("episodes_per_iter",),
        "online_filtered_bc": ("episodes_per_iter", "top_fraction"),
    }.get(params["algorithm"], ())
    return {name: params[name] for name in wanted if name in params}


def run_train_experiment(params: dict[str, Any], workdir: Path, report: ProgressFn) -> ExperimentResult:
    """Entry point of rl.train: (generate a behaviour dataset,) train, evaluate, save."""
    from ml.lm.experiment import plot_losses
    from ml.lm.models import count_params
    from ml.rl.envs.base import EnvError, make_env
    from ml.rl.evaluate import evaluate_model

    try:
        make_env(params["task"]).close()  # an unknown task fails here, before any work
    except EnvError as exc:
        raise ParamError("task", str(exc)) from None
    if params["n_embd"] % params["n_head"]:
        raise ParamError("n_head", f"must divide n_embd ({params['n_embd']})")
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    artifacts: list[ArtifactOut] = []
    dataset = params["dataset"]
    if dataset:
        dataset = str(Path(dataset).expanduser())
        if not Path(dataset).is_file():
            raise ParamError("dataset", f"no file at {dataset}")
    else:
        from ml.rl.envs.datasets import generate

        report(0.0, f"generating {params['dataset_size']} behaviour episodes")
        dataset = str(workdir / "dataset.jsonl")
        generate(params["task"], params["dataset_size"], params["seed"], dataset)
        artifacts.append(ArtifactOut(Path(dataset), "dataset", "dataset.jsonl"))
    init_from = params.get("init_from", "")
    if init_from and not Path(init_from).expanduser().is_dir():
        raise ParamError("init_from", f"no checkpoint directory at {init_from}")
    cfg = RLConfig(
        task=params["task"],
        algorithm=params["algorithm"],
        dataset=dataset,
        init_from=str(Path(init_from).expanduser()) if init_from else "",
        tokenizer=params.get("tokenizer", "bpe"),
        n_layer=params["n_layer"],
        n_embd=params["n_embd"],
        n_head=params["n_head"],
        block_size=params["block_size"],
        steps=params["steps"],
        batch_size=params["batch_size"],
        lr=params["lr"],
        seed=params["seed"],
        eval_episodes=params["eval_episodes"],
        options=algorithm_options(params),
    )
    outcome = train(cfg, workdir / "checkpoint", scaled(report, 0.05, 0.8))
    metrics: dict[str, Any] = {
        "task": cfg.task,
        "algorithm": cfg.algorithm,
        "train_loss": round(sum(outcome.losses[-10:]) / len(outcome.losses[-10:]), 6),
        "steps": cfg.steps,
        "steps_per_s": round(outcome.steps_per_s, 3),
        "train_seconds": round(outcome.seconds, 2),
        "params": count_params(outcome.model),
        "trajectories": outcome.n_trajectories,
        "windows": outcome.n_windows,
        "device": str(outcome.model.device),
        "torch_version": torch.__version__,
        "config": cfg.to_dict(),
    }
    if cfg.eval_episodes > 0:
        report(0.8, f"evaluating {cfg.eval_episodes} episodes")
        from ml.rl.algos.value_heads import ValueHeads

        heads = outcome.heads if isinstance(outcome.heads, ValueHeads) else None
        summary, records = evaluate_model(
            outcome.model,
            outcome.tokenizer,
            cfg.task,
            cfg.eval_episodes,
            seed=cfg.seed,
            heads=heads,
            beta=float(cfg.options.get("beta", 0.0)) if heads is not None else 0.0,
            report=scaled(report, 0.8, 0.95),
        )
        metrics.update({k: v for k, v in summary.items() if k != "task"})
        episodes_path = workdir / "episodes.json"
        episodes_path.write_text(json.dumps(records) + "\n")
        artifacts.append(ArtifactOut(episodes_path, "metrics", episodes_path.name))
    metrics["seconds"] = round(time.perf_counter() - started, 2)
    metrics_path = workdir / "metrics.json"
    metrics_path.write_text(json.dumps(metrics, indent=2) + "\n")
    report(0.97, "plotting")
    plots = plot_losses(outcome.losses, [], workdir / "loss_curve")
    report(1.0, "done")
    artifacts = [
        ArtifactOut(outcome.checkpoint, "checkpoint", "checkpoint"),
        *(ArtifactOut(p, "plot", p.name) for p in plots),
        ArtifactOut(metrics_path, "metrics", metrics_path.name),
        *artifacts,
    ]
    return ExperimentResult(metrics=metrics, artifacts=artifacts)
