"""Environment speed and offline-dataset cost for every LMRL-Gym task; the last line is one JSON object.

    python bench/envs.py                 # every task but chess/endgames (about a minute)
    python bench/envs.py --chess         # also chess and endgames against Stockfish at 0.1 s per move

Steps/s: the behaviour policy plays `--episodes` games per task first, and only replaying their
recorded actions (reset + step) is timed, so the policy's own cost is left out. Chess and endgames
are timed live (50 random legal moves against the engine's 0.1 s replies). Oracle answers/s: the
knowledge-base oracle answers every question those games asked, its parse cache cleared first. Runs pinned to one core; medians of
`--repeats` runs. Targets (issue 5): maze >= 100k steps/s, wordle >= 2k, 20Q and city oracles >= 5k/s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FAST = [
    "maze_fo",
    "maze_po",
    "textnav_fo",
    "textnav_po",
    "wordle",
    "twenty_questions",
    "guess_city",
    "car_dealer",
]
ENGINE = ["chess", "endgames"]
TARGETS = {"maze_fo": 100_000, "maze_po": 100_000, "wordle": 2_000}


def recorded_games(task: str, episodes: int, seed: int) -> list[tuple[int, list[str]]]:
    from ml.rl.envs import make_env
    from ml.rl.envs.datasets import BEHAVIOURS

    env = make_env(task)
    policy = BEHAVIOURS[task].make_policy(random.Random(seed))
    games = []
    for i in range(episodes):
        env.reset(seed + i)
        actions = []
        while not env.done:
            action = policy(env, list(env.history))
            env.step(action)
            actions.append(action)
        games.append((seed + i, actions))
    env.close()
    return games


def steps_per_second(task: str, games: list[tuple[int, list[str]]], repeats: int) -> float:
    from ml.rl.envs import make_env

    env = make_env(task)
    steps = sum(len(actions) for _, actions in games)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        for seed, actions in games:
            env.reset(seed)
            for action in actions:
                env.step(action)
        times.append(time.perf_counter() - started)
    env.close()
    return steps / statistics.median(times)


def live_steps_per_second(task: str, moves: int, seed: int) -> float:
    """Engine tasks: an engine reply differs run to run, so recorded actions cannot be replayed. Time
    live steps instead, with random legal moves (free to choose) against the engine's replies."""
    from ml.rl.envs import make_env

    env = make_env(task)
    rng = random.Random(seed)
    env.reset(seed)
    steps, started = 0, time.perf_counter()
    while steps < moves:
        if env.done:
            env.reset(seed + steps)
        env.step(rng.choice(env.legal_actions()))
        steps += 1
    seconds = time.perf_counter() - started
    env.close()
    return steps / seconds


def oracle_answers_per_second(task: str, games: list[tuple[int, list[str]]], repeats: int) -> float:
    """Every (secret, question) of the recorded games, answered by the task's knowledge-base oracle."""
    from ml.rl.envs import make_env

    env = make_env(task)
    calls = []
    for seed, actions in games:
        env.reset(seed)
        calls += [(dict(env.secret), action) for action in actions]
    oracle = env.oracle
    times = []
    for _ in range(repeats):
        env.kb.parse.cache_clear()  # cold: every distinct question is parsed once per repeat
        started = time.perf_counter()
        for secret, question in calls:
            oracle.reply(task, secret, (), question)
        times.append(time.perf_counter() - started)
    return len(calls) / statistics.median(times)


def dataset_cost(task: str, n: int, seed: int) -> dict:
    from ml.rl.envs.datasets import generate

    with tempfile.TemporaryDirectory() as tmp:
        summary = generate(task, n, seed, Path(tmp) / f"{task}.jsonl")
    return {"n": n, "seconds": summary["seconds"], "mb": round(summary["bytes"] / 1e6, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--episodes", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--dataset-n", type=int, default=1000)
    parser.add_argument("--chess", action="store_true", help="also time chess and endgames (needs Stockfish)")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    import ml.rl.envs  # noqa: F401  (registers every task)

    tasks = FAST + (ENGINE if args.chess else [])
    out: dict = {"tasks": {}}
    print(f"{'task':18} {'steps/s':>10} {'oracle/s':>10} {'dataset n':>9} {'gen s':>7} {'MB':>7}")
    for task in tasks:
        engine = task in ENGINE
        if engine:
            row = {"steps_per_s": round(live_steps_per_second(task, 50, seed=0), 2)}
        else:
            games = recorded_games(task, args.episodes, seed=0)
            row = {"steps_per_s": round(steps_per_second(task, games, args.repeats), 1)}
        if task in ("twenty_questions", "guess_city"):
            row["oracle_answers_per_s"] = round(oracle_answers_per_second(task, games, args.repeats), 1)
        row["dataset"] = dataset_cost(task, 10 if engine else args.dataset_n, seed=0)
        if task in TARGETS:
            row["target_steps_per_s"] = TARGETS[task]
        out["tasks"][task] = row
        oracle = row.get("oracle_answers_per_s")
        print(
            f"{task:18} {row['steps_per_s']:>10.0f} {oracle if oracle else '':>10} "
            f"{row['dataset']['n']:>9} {row['dataset']['seconds']:>7.2f} {row['dataset']['mb']:>7.2f}"
        )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
