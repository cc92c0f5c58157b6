"""Play a causal LM policy on a task for N episodes and report return, normalised score and a CI.

The LM reads the history exactly as LMPolicy formats it (policies.history_text) and writes one line;
the episodes run side by side in a VectorEnv, and every step generates the next action of all live
games in one batched `sample` call. Runs on whatever pick_device chooses (CUDA when present).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ml.experiments import ArtifactOut, ExperimentResult, ParamError, ProgressFn
from ml.rl.data import MAX_NEW_TOKENS  # as LMPolicy
from ml.rl.envs.base import VectorEnv, make_env
from ml.rl.envs.trajectories import Trajectory, TurnRecord
from ml.rl.policies import history_text

EVAL_SEED_OFFSET = 500_000  # episode seeds apart from the dataset generator's (seed * 1_000_003 + i)
# Tasks where a game that ends before its step cap was won (for the success rate).
SUCCESS_TASKS = {"maze_fo", "maze_po", "textnav_fo", "textnav_po", "wordle", "twenty_questions", "guess_city"}


def episode_seeds(seed: int, episodes: int) -> list[int]:
    return [seed * 1_000_003 + EVAL_SEED_OFFSET + i for i in range(episodes)]


def rollout_trajectories(
    model,
    tokenizer,
    task: str,
    seeds: Sequence[int],
    temperature: float = 0.0,
    max_new_tokens: int = MAX_NEW_TOKENS,
    sample_seed: int = 0,
    batch_size: int = 64,
    guide=None,
    report: ProgressFn | None = None,
    **env_options: Any,
) -> list[Trajectory]:
    """Play one game per seed with the LM, side by side, one batched `sample` call per turn; the games as
    Trajectory objects, the structure dataset generation writes (trajectories.rollout). `guide`
    reshapes the logits (value-guided decoding, ml.lm.generate.LogitsGuide)."""
    from ml.lm.generate import sample

    out: list[Trajectory] = []
    for start in range(0, len(seeds), batch_size):
        chunk = list(seeds[start : start + batch_size])
        vec = VectorEnv(lambda: make_env(task, **env_options), len(chunk))
        try:
            histories = vec.reset(chunk)
            turns = [[TurnRecord(t.text, t.is_action) for t in history] for history in histories]
            truncated = [False] * len(chunk)
            turn = 0
            while not all(vec.done):
                live = [i for i, env in enumerate(vec.envs) if not env.done]
                completions = sample(
                    model,
                    tokenizer,
                    [history_text(vec.envs[i].history) for i in live],
                    max_new_tokens=max_new_tokens,
                    temperature=temperature,
                    stop=["\n"],
                    seed=sample_seed * 7919 + start + turn,
                    batch_size=len(live),
                    guide=guide,
                )
                actions: list[str | None] = [None] * len(chunk)
                for i, [text] in zip(live, completions, strict=True):
                    actions[i] = text.split("\n", 1)[0].strip()
                for i, result in enumerate(vec.step(actions)):
                    if actions[i] is None:
                        continue
                    env = vec.envs[i]
                    turns[i].append(TurnRecord(env.history[-2].text, True, float(result.reward)))
                    turns[i].append(TurnRecord(result.observation, False))
                    truncated[i] = bool(result.info.get("truncated"))
                turn += 1
            for env, s, game, trunc in zip(vec.envs, chunk, turns, truncated, strict=True):
                out.append(Trajectory(task, s, game, {"agent": "lm", "environment": "env"}, env.done, trunc))
        finally:
            vec.close()
        if report:
            report(len(out) / len(seeds), f"played {len(out)}/{len(seeds)} episodes")
    return out


def rollout_lm(
    model,
    tokenizer,
    task: str,
    episodes: int,
    seed: int = 0,
    temperature: float = 0.0,
    batch_size: int = 64,
    max_new_tokens: int = MAX_NEW_TOKENS,
    report: ProgressFn | None = None,
    guide=None,
    **env_options: Any,
) -> list[dict[str, Any]]:
    """The evaluation episodes of `seed`: one record per episode with its seed, return, length (actions)
    and whether it hit the step cap."""
    games = rollout_trajectories(
        model,
        tokenizer,
        task,
        episode_seeds(seed, episodes),
        temperature,
        max_new_tokens,
        sample_seed=seed,
        batch_size=batch_size,
        guide=guide,
        report=report,
        **env_options,
    )
    return [episode_record(game) for game in games]


def episode_record(game: Trajectory) -> dict[str, Any]:
    """What `summarise` reads of a played game: its seed, return, length (actions) and truncation."""
    return {
        "seed": game.seed,
        "return": game.ret,
        "length": sum(t.is_action for t in game.turns),
        "truncated": game.truncated,
    }


def summarise(task: str, records: list[dict[str, Any]], seed: int = 0, n_boot: int = 1000) -> dict[str, Any]:
    """Mean return, mean normalised score with a 95% bootstrap CI, success rate, mean length."""
    from ml.stats import bootstrap_ci

    norm = make_env(task).normalisation
    returns = np.array([r["return"] for r in records], dtype=float)
    scores = np.array([norm.score(r) for r in returns], dtype=float)
    ci = bootstrap_ci(scores, np.mean, n_boot=n_boot, seed=seed)
    summary: dict[str, Any] = {
        "task": task,
        "episodes": len(records),
        "mean_return": round(float(returns.mean()), 4),
        "score": round(ci.estimate, 3),
        "score_ci_low": round(ci.ci_low, 3),
        "score_ci_high": round(ci.ci_high, 3),
        "mean_length": round(float(np.mean([r["length"] for r in records])), 3),
        "success_rate": None,
        "normalisation": {"min": norm.min, "avg": norm.avg, "max": norm.max, "source": norm.source},
    }
    if task in SUCCESS_TASKS:
        summary["success_rate"] = round(float(np.mean([not r["truncated"] for r in records])), 4)
    return summary


def evaluate_model(
    model,
    tokenizer,
    task: str,
    episodes: int,
    seed: int = 0,
    temperature: float = 0.0,
    heads=None,
    beta: float = 0.0,
    **kw,
):
    """(summary, per-episode records) for an in-memory model; with value `heads`, decoding adds
    beta * (min Q - V) to the logits."""
    guide = heads.guide(beta) if heads is not None and beta else None
    records = rollout_lm(model, tokenizer, task, episodes, seed, temperature, guide=guide, **kw)
    summary = summarise(task, records, seed)
    summary["beta"] = beta if guide is not None else 0.0
    return summary, records


def checkpoint_beta(path: Path | str) -> float:
    """The decoding beta a checkpoint was trained for (its rl_config options, else the algorithm's
    default); 0 for checkpoints without value heads."""
    from ml.rl.algos import ALGORITHMS
    from ml.rl.trainer import RL_CONFIG_FILE

    config_path = Path(path) / RL_CONFIG_FILE
    if not config_path.is_file():
        return 0.0
    config = json.loads(config_path.read_text())
    options = config.get("options") or {}
    default = getattr(ALGORITHMS.get(config.get("algorithm")), "beta", 0.0)
    return float(options.get("beta", default))


def evaluate_checkpoint(
    path: Path | str,
    task: str,
    episodes: int,
    seed: int = 0,
    temperature: float = 0.0,
    device=None,
    beta: float | None = None,
    **kw,
):
    """(summary, records) for a checkpoint directory as LMPolicy would load it, value heads included
    (beta None: the checkpoint's own, see checkpoint_beta)."""
    from ml.lm.loading import load_model
    from ml.rl.algos.value_heads import load_heads

    model, tokenizer = load_model(path, device=device)
    heads = load_heads(path, device=model.device)
    beta = checkpoint_beta(path) if beta is None else beta
    return evaluate_model(model, tokenizer, task, episodes, seed, temperature, heads=heads, beta=beta, **kw)


# --- the rl.evaluate experiment (registered in ml.catalog)


def run_evaluate_experiment(params: dict[str, Any], workdir: Path, report: ProgressFn) -> ExperimentResult:
    """Entry point of rl.evaluate: play a checkpoint for N episodes; metrics.json has the score table."""
    from ml.rl.envs.base import EnvError

    try:
        make_env(params["task"]).close()
    except EnvError as exc:
        raise ParamError("task", str(exc)) from None
    path = params["checkpoint"]
    if not path or not Path(path).expanduser().exists():
        raise ParamError("checkpoint", f"no checkpoint at {path!r}")
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    report(0.0, f"evaluating {path} on {params['task']}")
    summary, records = evaluate_checkpoint(
        path,
        params["task"],
        params["episodes"],
        params["seed"],
        params["temperature"],
        beta=None if params.get("beta", -1.0) < 0 else params["beta"],
        report=report,
    )
    metrics = {
        **summary,
        "checkpoint": str(path),
        "temperature": params["temperature"],
        "seed": params["seed"],
    }
    metrics_path = workdir / "metrics.json"
    metrics_path.write_text(json.dumps(metrics, indent=2) + "\n")
    episodes_path = workdir / "episodes.json"
    episodes_path.write_text(json.dumps(records) + "\n")
    report(1.0, f"score {summary['score']}")
    return ExperimentResult(
        metrics=metrics,
        artifacts=[
            ArtifactOut(metrics_path, "metrics", metrics_path.name),
            ArtifactOut(episodes_path, "metrics", episodes_path.name),
        ],
    )
