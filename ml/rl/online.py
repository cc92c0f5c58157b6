"""Online RL for text agents: the policy plays the game, and learns from its own games.

    cfg = RLConfig(task="maze_fo", algorithm="ppo", init_from="var/models/maze-bc", steps=50)
    outcome = train_online(cfg, out_dir="var/models/maze-ppo")

Both methods start from a BC policy (`cfg.init_from`, or BC trained here on `cfg.dataset`) and repeat, for
`cfg.steps` iterations: roll out `episodes_per_iter` games at temperature 1 (seeds disjoint from the
evaluation seeds), then update.

Online filtered BC keeps the best `top_fraction` of the iteration's games by return and takes BC steps
on their action tokens: imitation of the policy's own lucky games, which ratchets the policy upwards.

PPO treats every action token as a step, as the offline methods do (ml.rl.data): the state is the text
before the token, the action the token. The rollouts are re-tokenized into windows (ml.rl.data's
WindowDataset, one window per action, context as at decoding time); a window trains only its own action,
the last one, so every action token is trained once per epoch. Per token:
- reward: the environment's reward on the action's last token, times reward_scale (by default fitted so
  that returns lie in [-1, 1]), minus kl_coef * (logp - ref_logp), where ref is the frozen starting (BC)
  policy. The penalty keeps the policy near fluent, parseable actions;
- value: a small MLP head on the LM's last hidden state at the position that predicts the token;
- advantage: GAE over the trajectory's action tokens (environment tokens are not steps), normalised;
- loss: PPO's clipped-ratio policy loss, plus vf_coef times a clipped value loss, plus optionally
  bc_coef times BC on the offline dataset, for `ppo_epochs` minibatched passes, stopped early once the
  policy is `target_kl` (per token) away from the one that played the games.
The sampled text is stripped and re-tokenized, so the tokens trained are the canonical tokenization of
the action (what the env and the offline data see), not necessarily the sampled tokens; the ratio is
between the current and the rollout-time policy on those same tokens, so PPO stays consistent.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import torch

from ml.experiments import ProgressFn
from ml.rl.algos.bc import action_token_loss
from ml.rl.algos.filtered_bc import select_trajectories
from ml.rl.algos.ppo import PPO, OnlineFilteredBC
from ml.rl.algos.value_heads import fitted_reward_scale
from ml.rl.data import (
    Batch,
    WindowDataset,
    collate,
    load_trajectories,
    tokenize_trajectories,
    tokenize_trajectory,
)
from ml.rl.envs.trajectories import Trajectory
from ml.rl.evaluate import rollout_trajectories
from ml.rl.trainer import RLConfig, TrainOutcome, _lr_at, save_rl_checkpoint, scaled

ONLINE_ALGORITHMS = {"ppo": PPO, "online_filtered_bc": OnlineFilteredBC}
ROLLOUT_SEED_OFFSET = 900_000  # apart from datasets (seed * 1_000_003 + i) and evaluation (+ 500_000 + i)
ONLINE_LOG_FILE = "online_log.json"


def rollout_seeds(seed: int, iteration: int, episodes: int) -> list[int]:
    start = seed * 1_000_003 + ROLLOUT_SEED_OFFSET + iteration * episodes
    return list(range(start, start + episodes))


# --- the PPO pieces, pure functions on tensors


def gae(
    rewards: torch.Tensor, values: torch.Tensor, dones: torch.Tensor, gamma: float, lam: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Generalised advantage estimation over a 1-D sequence of steps: (advantages, returns).

    values[t + 1] bootstraps step t unless dones[t]; past the last step the value is 0 (the game is over).
    """
    advantages = torch.zeros_like(values)
    next_value, next_advantage = 0.0, 0.0
    for t in range(len(rewards) - 1, -1, -1):
        alive = 1.0 - float(dones[t])
        delta = rewards[t] + gamma * next_value * alive - values[t]
        next_advantage = delta + gamma * lam * alive * next_advantage
        advantages[t] = next_advantage
        next_value = values[t]
    return advantages, advantages + values


def ppo_policy_loss(
    logp: torch.Tensor, old_logp: torch.Tensor, adv: torch.Tensor, clip: float = 0.2
) -> torch.Tensor:
    """PPO's clipped surrogate, negated for minimising: -mean(min(r A, clip(r, 1-c, 1+c) A))."""
    ratio = torch.exp(logp - old_logp)
    unclipped = ratio * adv
    clipped = ratio.clamp(1 - clip, 1 + clip) * adv
    return -torch.minimum(unclipped, clipped).mean()


def value_loss(
    values: torch.Tensor, old_values: torch.Tensor, returns: torch.Tensor, clip: float = 0.2
) -> torch.Tensor:
    """0.5 * mean squared error to the returns; with clip > 0, the pessimistic max of the plain error and
    that of the value moved at most `clip` from its rollout-time estimate (PPO's value clipping)."""
    error = (values - returns) ** 2
    if clip > 0:
        moved = old_values + (values - old_values).clamp(-clip, clip)
        error = torch.maximum(error, (moved - returns) ** 2)
    return 0.5 * error.mean()


def approx_kl(logp: torch.Tensor, old_logp: torch.Tensor) -> float:
    """KL(old || new) per token, estimated on tokens sampled from the old policy with the unbiased,
    never-negative (r - 1) - log r, r = p_new / p_old."""
    log_ratio = logp - old_logp
    return float((torch.exp(log_ratio) - 1 - log_ratio).mean())


def value_head_for(model) -> torch.nn.Sequential:
    hidden = model.config.hidden_size
    return torch.nn.Sequential(
        torch.nn.Linear(hidden, 2 * hidden), torch.nn.GELU(), torch.nn.Linear(2 * hidden, 1)
    ).to(model.device)


# --- windows and their own action tokens


def _own_count(data: WindowDataset, k: int, length: int) -> int:
    """How many of window k's own (last) action tokens are scored: all but one with no predecessor."""
    _, action_start, action_end = data.index[k]
    return min(action_end - action_start + 1, length - 1)


def _window_batch(data: WindowDataset, ks: Sequence[int], pad_id: int, device) -> tuple[Batch, torch.Tensor]:
    """The windows' batch and a (B, L-1) mask of the positions that predict each window's own action."""
    windows = [data.window(k) for k in ks]
    batch = collate(windows, pad_id)
    own = torch.zeros_like(batch.action_mask)
    for row, (k, window) in enumerate(zip(ks, windows, strict=True)):
        length = len(window["input_ids"])
        own[row, length - _own_count(data, k, length) : length] = 1.0
    # logits[:, p] predicts token p + 1, so the mask of predicting positions drops the first column.
    return batch.to(device), own[:, 1:].bool().to(device)


def _token_logps(model, batch: Batch, with_hidden: bool = False):
    """log p(token p+1 | tokens <= p) for every position p, shape (B, L-1), and the last hidden states
    at those positions (or None)."""
    out = model(
        input_ids=batch.input_ids, attention_mask=batch.attention_mask, output_hidden_states=with_hidden
    )
    logps = torch.log_softmax(out.logits[:, :-1].float(), dim=-1)
    taken = logps.gather(-1, batch.input_ids[:, 1:, None]).squeeze(-1)
    hidden = out.hidden_states[-1][:, :-1] if with_hidden else None
    return taken, hidden


def _minibatches(n: int, size: int, generator: torch.Generator) -> list[list[int]]:
    order = torch.randperm(n, generator=generator).tolist()
    return [order[i : i + size] for i in range(0, n, size)]


# --- training


def _optimizer(cfg: RLConfig, modules: Sequence[torch.nn.Module]) -> torch.optim.Optimizer:
    params = [p for m in modules for p in m.parameters() if p.requires_grad]
    return torch.optim.AdamW(
        [
            {"params": [p for p in params if p.dim() >= 2], "weight_decay": cfg.weight_decay},
            {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
        ],
        lr=cfg.lr,
        betas=(0.9, 0.95),
    )


def _step(optimizer, loss: torch.Tensor, modules: Sequence[torch.nn.Module], grad_clip: float) -> None:
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if grad_clip > 0:
        torch.nn.utils.clip_grad_norm_([p for m in modules for p in m.parameters()], grad_clip)
    optimizer.step()


def _starting_policy(cfg: RLConfig, options, device, report: ProgressFn):
    """(model, tokenizer) to start from: cfg.init_from, else BC trained here on cfg.dataset."""
    if cfg.init_from:
        from ml.lm.loading import load_model

        return load_model(cfg.init_from, device=device)
    if not cfg.dataset:
        raise ValueError(f"{cfg.algorithm} needs a policy to start from: set init_from or dataset")
    from ml.rl.trainer import train

    bc_cfg = replace(cfg, algorithm="bc", steps=options.bc_steps, options={}, device=str(device))
    outcome = train(bc_cfg, report=report)
    return outcome.model, outcome.tokenizer


def _ppo_update(
    model,
    ref_model,
    value_head,
    optimizer,
    trajectories: list[Trajectory],
    tokenizer,
    cfg: RLConfig,
    options: PPO,
    block_size: int,
    generator: torch.Generator,
    bc_data: WindowDataset | None,
    reward_scale: float,
) -> tuple[list[float], int, dict[str, float]]:
    """One PPO iteration on the rollouts: (losses of the updates, windows, statistics)."""
    device = model.device
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    tokenized = [tokenize_trajectory(t, tokenizer, cfg.gamma) for t in trajectories]
    data = WindowDataset(tokenized, block_size, options.max_new_tokens)
    n = len(data)

    # Rollout-time quantities of every window's own action tokens (1-D per window).
    old_logp: list[torch.Tensor] = [torch.empty(0)] * n
    old_values: list[torch.Tensor] = [torch.empty(0)] * n
    kl: list[torch.Tensor] = [torch.empty(0)] * n
    model.eval()
    with torch.no_grad():
        for start in range(0, n, cfg.batch_size):
            ks = list(range(start, min(n, start + cfg.batch_size)))
            batch, own = _window_batch(data, ks, pad_id, device)
            logp, hidden = _token_logps(model, batch, with_hidden=True)
            ref_logp, _ = _token_logps(ref_model, batch)
            values = value_head(hidden).squeeze(-1).float()
            counts = own.sum(dim=1).tolist()
            for k, lp, v, d in zip(
                ks,
                logp[own].cpu().split(counts),
                values[own].cpu().split(counts),
                (logp - ref_logp)[own].cpu().split(counts),
                strict=True,
            ):
                old_logp[k], old_values[k], kl[k] = lp, v, d

    # GAE along each trajectory's action tokens; the windows of a trajectory are consecutive in data.index.
    advantages: list[torch.Tensor] = [torch.empty(0)] * n
    returns: list[torch.Tensor] = [torch.empty(0)] * n
    by_trajectory: dict[int, list[int]] = {}
    for k, (i, _, _) in enumerate(data.index):
        by_trajectory.setdefault(i, []).append(k)
    for i, ks in by_trajectory.items():
        t = tokenized[i]
        rewards = [-options.kl_coef * kl[k] for k in ks]
        dones = [torch.zeros_like(r) for r in rewards]
        for r, d, k in zip(rewards, dones, ks, strict=True):
            end = data.index[k][2]
            r[-1] += reward_scale * t.rewards[end]  # the env's reward sits on the action's last token
            d[-1] = t.dones[end]
        adv, ret = gae(
            torch.cat(rewards),
            torch.cat([old_values[k] for k in ks]),
            torch.cat(dones),
            cfg.gamma,
            options.lam,
        )
        counts = [len(r) for r in rewards]
        for k, a, g in zip(ks, adv.split(counts), ret.split(counts), strict=True):
            advantages[k], returns[k] = a, g
    flat = torch.cat(advantages)
    mean, std = flat.mean(), flat.std(unbiased=False)
    advantages = [(a - mean) / (std + 1e-8) for a in advantages]

    model.train()
    modules = [model, value_head]
    losses: list[float] = []
    stats = {"approx_kl": 0.0, "value_loss": 0.0, "updates": 0, "stopped_early": 0}
    for _ in range(options.ppo_epochs):
        for ks in _minibatches(n, cfg.batch_size, generator):
            batch, own = _window_batch(data, ks, pad_id, device)
            logp, hidden = _token_logps(model, batch, with_hidden=True)
            values = value_head(hidden).squeeze(-1).float()

            def gathered(per_window: list[torch.Tensor], ks=ks) -> torch.Tensor:
                return torch.cat([per_window[k] for k in ks]).to(device)

            rollout_logp = gathered(old_logp)
            stats["approx_kl"] = approx_kl(logp[own].detach(), rollout_logp)
            if options.target_kl and stats["approx_kl"] > options.target_kl:
                stats["stopped_early"] = 1
                break
            loss = ppo_policy_loss(logp[own], rollout_logp, gathered(advantages), options.clip)
            v_loss = value_loss(values[own], gathered(old_values), gathered(returns), options.value_clip)
            stats["value_loss"] = v_loss.item()
            loss = loss + options.vf_coef * v_loss
            if bc_data is not None and options.bc_coef > 0:
                picks = torch.randint(0, len(bc_data), (cfg.batch_size,), generator=generator).tolist()
                bc_batch = bc_data.batch(picks, pad_id).to(device)
                logits = model(input_ids=bc_batch.input_ids, attention_mask=bc_batch.attention_mask).logits
                loss = loss + options.bc_coef * action_token_loss(
                    logits, bc_batch.input_ids, bc_batch.action_mask
                )
            _step(optimizer, loss, modules, cfg.grad_clip)
            losses.append(loss.item())
            stats["updates"] += 1
        if stats["stopped_early"]:
            break
    model.eval()
    return losses, n, stats


def _filtered_bc_update(
    model,
    optimizer,
    trajectories: list[Trajectory],
    tokenizer,
    cfg: RLConfig,
    options: OnlineFilteredBC,
    block_size: int,
    generator: torch.Generator,
) -> tuple[list[float], int]:
    """BC steps on the iteration's best games: (losses, windows)."""
    device = model.device
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    kept = select_trajectories(trajectories, options.top_fraction)
    data = WindowDataset(
        tokenize_trajectories(kept, tokenizer, cfg.gamma), block_size, options.max_new_tokens
    )
    model.train()
    losses: list[float] = []
    for _ in range(options.epochs):
        for ks in _minibatches(len(data), cfg.batch_size, generator):
            batch = data.batch(ks, pad_id).to(device)
            logits = model(input_ids=batch.input_ids, attention_mask=batch.attention_mask).logits
            loss = action_token_loss(logits, batch.input_ids, batch.action_mask)
            _step(optimizer, loss, [model], cfg.grad_clip)
            losses.append(loss.item())
    model.eval()
    return losses, len(data)


def train_online(
    cfg: RLConfig, out_dir: Path | str | None = None, report: ProgressFn | None = None
) -> TrainOutcome:
    """PPO or online filtered BC (cfg.algorithm) for cfg.steps iterations; saves a checkpoint to out_dir
    (with value_heads.pt for PPO and online_log.json, the per-iteration mean return). `report(fraction,
    message)` is called every iteration; an exception it raises stops training and propagates."""
    from ml.lm.device import pick_device
    from ml.lm.models import max_positions
    from ml.lm.seeding import seed_everything
    from ml.rl.trainer import VALUE_HEADS_FILE

    notify = report or (lambda fraction, message: None)
    if cfg.algorithm not in ONLINE_ALGORITHMS:
        raise ValueError(f"{cfg.algorithm!r} is not an online algorithm; known: {sorted(ONLINE_ALGORITHMS)}")
    try:
        options = ONLINE_ALGORITHMS[cfg.algorithm](**cfg.options)
    except TypeError as exc:
        raise ValueError(f"bad options for {cfg.algorithm}: {exc}") from None
    seed_everything(cfg.seed)
    device = pick_device(cfg.device)
    pretrain = not cfg.init_from
    model, tokenizer = _starting_policy(cfg, options, device, scaled(notify, 0.0, 0.3))
    online_report = scaled(notify, 0.3, 1.0) if pretrain else notify
    # A loaded checkpoint may have a shorter context than cfg asks for.
    block_size = min(cfg.block_size, max_positions(model) or cfg.block_size)
    model.eval()

    is_ppo = isinstance(options, PPO)
    value_head = ref_model = bc_data = None
    modules: list[torch.nn.Module] = [model]
    if is_ppo:
        ref_model = copy.deepcopy(model).eval().requires_grad_(False)
        value_head = value_head_for(model)
        saved_head = Path(cfg.init_from) / VALUE_HEADS_FILE if cfg.init_from else None
        if saved_head is not None and saved_head.is_file():
            try:  # continue a PPO run; a head of another shape (another method's) is not ours to load
                value_head.load_state_dict(torch.load(saved_head, map_location=device))
            except (RuntimeError, KeyError):
                pass
        modules.append(value_head)
        if options.bc_coef > 0:
            if not cfg.dataset:
                raise ValueError("bc_coef > 0 needs RLConfig.dataset")
            tokenized = tokenize_trajectories(load_trajectories(cfg.dataset), tokenizer, cfg.gamma)
            bc_data = WindowDataset(tokenized, block_size, options.max_new_tokens)
    optimizer = _optimizer(cfg, modules)
    generator = torch.Generator().manual_seed(cfg.seed)
    reward_scale = getattr(options, "reward_scale", 0.0)

    losses: list[float] = []
    log: list[dict[str, float]] = []
    n_trajectories = n_windows = 0
    seconds = 0.0
    online_report(0.0, f"{cfg.algorithm}: {cfg.steps} iterations of {options.episodes_per_iter} episodes")
    for iteration in range(cfg.steps):
        started = time.perf_counter()
        for group in optimizer.param_groups:
            group["lr"] = _lr_at(iteration, cfg)
        seeds = rollout_seeds(cfg.seed, iteration, options.episodes_per_iter)
        games = rollout_trajectories(
            model,
            tokenizer,
            cfg.task,
            seeds,
            options.temperature,
            options.max_new_tokens,
            sample_seed=cfg.seed * 100_003 + iteration,
        )
        mean_return = sum(t.ret for t in games) / len(games)
        stats: dict[str, float] = {}
        if is_ppo:
            reward_scale = reward_scale or fitted_reward_scale(games)
            step_losses, windows, stats = _ppo_update(
                model,
                ref_model,
                value_head,
                optimizer,
                games,
                tokenizer,
                cfg,
                options,
                block_size,
                generator,
                bc_data,
                reward_scale,
            )
            stats["reward_scale"] = reward_scale
        else:
            step_losses, windows = _filtered_bc_update(
                model, optimizer, games, tokenizer, cfg, options, block_size, generator
            )
        seconds += time.perf_counter() - started
        losses.extend(step_losses)
        n_trajectories += len(games)
        n_windows += windows
        mean_loss = sum(step_losses) / max(1, len(step_losses))
        log.append({"iteration": iteration + 1, "mean_return": mean_return, "loss": mean_loss, **stats})
        online_report(
            (iteration + 1) / cfg.steps,
            f"iteration {iteration + 1}/{cfg.steps} mean return {mean_return:.3f} loss {mean_loss:.4f}"
            + (f" kl {stats['approx_kl']:.4f} updates {stats['updates']}" if stats else ""),
        )

    checkpoint = None
    if out_dir is not None:
        checkpoint = save_rl_checkpoint(model, tokenizer, cfg, out_dir, value_heads=value_head)
        (checkpoint / ONLINE_LOG_FILE).write_text(json.dumps(log, indent=2) + "\n")
    return TrainOutcome(
        model=model,
        tokenizer=tokenizer,
        losses=losses,
        seconds=seconds,
        steps_per_s=cfg.steps / seconds if seconds > 0 else 0.0,
        n_trajectories=n_trajectories,
        n_windows=n_windows,
        checkpoint=checkpoint,
        heads=value_head,
    )
