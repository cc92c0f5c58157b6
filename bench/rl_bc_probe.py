"""Does BC learn what the FO Maze behaviour policy does in each state? Trains BC for each step count, or
loads saved BC checkpoints, and probes each model on held-out behaviour games.

    python bench/rl_bc_probe.py [--steps 3000,9000] [--lr 1e-3] [--batch-size 16] [--episodes 100]
    python bench/rl_bc_probe.py --checkpoints var/rl_grid/maze_fo/seed0/bc   (probe saved models instead)

The behaviour policy moves at random 85% of the time and takes the solver's move otherwise, so in every
state the solver's move has probability 0.3625 and each other move 0.2125. A BC model that has learned
this plays the solver's move greedily (normalised score near 100) and the behaviour's mix at T=1 (near
50); one that has learned only the marginal plays a random walk. Per model it prints the mean
probability the model gives the solver's move at held-out actions, how often that move is its argmax,
the KL from the behaviour's distribution, the normalised score played greedily and at T=1, and the
share of the actions played that are not moves.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from ml.lm.loading import load_model  # noqa: E402
from ml.rl.data import MAX_NEW_TOKENS, load_trajectories, turn_text  # noqa: E402
from ml.rl.envs import maze  # noqa: E402
from ml.rl.envs.datasets import generate  # noqa: E402
from ml.rl.evaluate import episode_record, episode_seeds, rollout_trajectories, summarise  # noqa: E402
from ml.rl.policies import history_text  # noqa: E402
from ml.rl.trainer import RLConfig, train  # noqa: E402

POSITION = re.compile(r"You are at \((\d+), (\d+)\)")
SOLVER_SHARE = 1 - maze.RANDOM_SHARE + maze.RANDOM_SHARE / 4


def held_out_states(dataset: Path, limit: int) -> list[tuple[str, int]]:
    """(history text before an action, the solver's move index there) for the first `limit` actions."""
    states = []
    for game in load_trajectories(dataset):
        for i, turn in enumerate(game.turns):
            if not turn.is_action:
                continue
            where = POSITION.search(game.turns[i - 1].text)
            if where is None:  # the move after an unparseable action: the hint hides nothing, skip it
                continue
            cell = maze.cell_of((int(where[1]), int(where[2])))
            states.append((history_text(game.turns[:i]), maze.MOVES.index(maze.BEST_MOVE[cell])))
            if len(states) == limit:
                return states
    return states


@torch.no_grad()
def move_logprobs(model, tokenizer, prompts: list[str], block_size: int) -> torch.Tensor:
    """(len(prompts), 4): log P(move line | prompt), each prompt cut to what decoding keeps of it."""
    keep = block_size - MAX_NEW_TOKENS
    moves = [tokenizer(turn_text(m), add_special_tokens=False)["input_ids"] for m in maze.MOVES]
    out = torch.empty(len(prompts), len(moves))
    for row, prompt in enumerate(prompts):
        ids = [tokenizer.bos_token_id, *tokenizer(prompt, add_special_tokens=False)["input_ids"]][-keep:]
        width = len(ids) + max(len(m) for m in moves)
        batch = torch.full((len(moves), width), tokenizer.pad_token_id, dtype=torch.long)
        for k, move in enumerate(moves):
            batch[k, : len(ids) + len(move)] = torch.tensor(ids + move)
        logp = model(input_ids=batch.to(model.device)).logits.float().log_softmax(-1).cpu()
        for k, move in enumerate(moves):
            at = range(len(ids) - 1, len(ids) - 1 + len(move))
            out[row, k] = sum(logp[k, t, tok] for t, tok in zip(at, move, strict=True))
    return out.log_softmax(-1)  # over the four moves


def probe(model, tokenizer, states: list[tuple[str, int]], block_size: int) -> dict[str, float]:
    return summarise_move_logprobs(
        move_logprobs(model, tokenizer, [s for s, _ in states], block_size), states
    )


def summarise_move_logprobs(logp: torch.Tensor, states: list[tuple[str, int]]) -> dict[str, float]:
    """Against the behaviour policy: P(solver move), argmax agreement and KL(behaviour || model)."""
    solver = torch.tensor([m for _, m in states])
    p_solver = logp.exp()[torch.arange(len(states)), solver]
    behaviour = torch.full_like(logp, (1 - SOLVER_SHARE) / 3)
    behaviour[torch.arange(len(states)), solver] = SOLVER_SHARE
    kl = (behaviour * (behaviour.log() - logp)).sum(-1)
    return {
        "p_solver": round(p_solver.mean().item(), 4),
        "argmax_is_solver": round((logp.argmax(-1) == solver).float().mean().item(), 4),
        "kl_from_behaviour": round(kl.mean().item(), 4),
    }


def play(model, tokenizer, episodes: int, seed: int, temperature: float, name: str) -> dict[str, float]:
    """Score, success rate and the share of actions that are not moves, over `episodes` games."""
    games = rollout_trajectories(
        model, tokenizer, "maze_fo", episode_seeds(seed, episodes), temperature, sample_seed=seed
    )
    summary = summarise("maze_fo", [episode_record(g) for g in games], seed)
    actions = [t.text for g in games for t in g.turns if t.is_action]
    unparseable = sum(maze.parse_move(a) is None for a in actions) / max(1, len(actions))
    return {
        f"score_{name}": summary["score"],
        f"success_{name}": summary["success_rate"],
        f"unparseable_{name}": round(unparseable, 4),
    }


def measure(model, tokenizer, states, args) -> dict[str, float]:
    """The probe's columns for one model: move probabilities on the held-out states, then play."""
    row = probe(model, tokenizer, states, args.block_size)
    for name, temperature in (("greedy", 0.0), ("t1", 1.0)):
        row.update(play(model, tokenizer, args.episodes, args.seed, temperature, name))
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", default="3000")
    parser.add_argument(
        "--checkpoints",
        default="",
        help="comma-separated saved BC checkpoints (e.g. rl.table's maze_fo/seed0/bc) to probe instead of training",
    )
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--block-size", type=int, default=128)
    parser.add_argument("--n-embd", type=int, default=160)
    parser.add_argument("--dataset-size", type=int, default=2000)
    parser.add_argument("--states", type=int, default=400)
    parser.add_argument("--episodes", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    checkpoints = {}  # path -> (model, tokenizer), loaded before anything runs so a bad path fails at once
    for path in (c.strip() for c in args.checkpoints.split(",") if c.strip()):
        try:
            checkpoints[path] = load_model(path)
        except (FileNotFoundError, ValueError) as error:
            parser.error(f"not a model directory: {path} ({error})")
    print(f"behaviour: p_solver {SOLVER_SHARE:.4f}, uniform KL {_uniform_kl():.4f}")
    with tempfile.TemporaryDirectory() as tmp:
        dataset, held_out = Path(tmp) / "train.jsonl", Path(tmp) / "held_out.jsonl"
        generate("maze_fo", 100, args.seed + 7919, held_out)
        states = held_out_states(held_out, args.states)
        for path, (model, tokenizer) in checkpoints.items():
            row = {"checkpoint": path, **measure(model, tokenizer, states, args)}
            print(json.dumps(row), flush=True)
        if checkpoints:
            return 0
        generate("maze_fo", args.dataset_size, args.seed, dataset)
        for steps in (int(s) for s in args.steps.split(",")):
            cfg = RLConfig(
                task="maze_fo",
                algorithm="bc",
                dataset=str(dataset),
                steps=steps,
                lr=args.lr,
                batch_size=args.batch_size,
                block_size=args.block_size,
                n_embd=args.n_embd,
                seed=args.seed,
            )
            started = time.perf_counter()
            outcome = train(cfg)
            row = {"steps": steps, "train_s": round(time.perf_counter() - started, 1)}
            row.update(measure(outcome.model, outcome.tokenizer, states, args))
            print(json.dumps(row), flush=True)
    return 0


def _uniform_kl() -> float:
    other = (1 - SOLVER_SHARE) / 3
    return SOLVER_SHARE * math.log(SOLVER_SHARE * 4) + 3 * other * math.log(other * 4)


if __name__ == "__main__":
    raise SystemExit(main())
