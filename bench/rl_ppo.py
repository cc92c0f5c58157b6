"""PPO from a saved BC checkpoint, per iteration: what the policy scores and how far each update moved it.
Each --variant runs from the same checkpoint with the same rollout seeds, so variants compare like for
like (the first iteration's games are identical).

    python bench/rl_ppo.py --checkpoint var/rl_grid/maze_fo/seed0/bc --iterations 3 \\
        --variant "reward_scale=1,target_kl=0" --variant ""    (the old behaviour, then the defaults)

Per iteration it prints the mean return of the iteration's games (played at T=1 by the policy before
the update), the fitted reward scale, the value loss and approximate KL of the last update, the
updates taken (of ppo_epochs passes) and the seconds. After the last iteration it plays --episodes
greedy games and prints their normalised score and mean length; the last line is all of it as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ml.lm.loading import load_model  # noqa: E402
from ml.rl.evaluate import evaluate_checkpoint  # noqa: E402
from ml.rl.online import ONLINE_LOG_FILE, train_online  # noqa: E402
from ml.rl.trainer import RL_CONFIG_FILE, RLConfig  # noqa: E402


def parse_variant(text: str) -> dict[str, float]:
    """'reward_scale=1,target_kl=0' -> {'reward_scale': 1.0, 'target_kl': 0.0}; '' -> {}."""
    options = {}
    for item in filter(None, (x.strip() for x in text.split(","))):
        name, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"{item!r}: expected name=value")
        options[name.strip()] = float(value)
    return options


def run_variant(checkpoint: Path, task: str, options: dict, args, out: Path) -> dict:
    cfg = RLConfig(
        task=task,
        algorithm="ppo",
        init_from=str(checkpoint),
        steps=args.iterations,
        lr=args.lr,
        batch_size=args.batch_size,
        seed=args.seed,
        options={"episodes_per_iter": args.episodes_per_iter, **options},
    )
    started = time.perf_counter()
    train_online(cfg, out, lambda fraction, message: print(f"    [{fraction:4.0%}] {message}", flush=True))
    seconds = time.perf_counter() - started
    log = json.loads((out / ONLINE_LOG_FILE).read_text())
    summary, records = evaluate_checkpoint(out, task, args.episodes, seed=args.seed)
    length = sum(r["length"] for r in records) / len(records)
    return {"log": log, "seconds": seconds, "score": summary["score"], "length": length}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", required=True, help="a BC checkpoint saved by rl.train or rl.table")
    parser.add_argument("--variant", action="append", default=None, help="PPO options, name=value,...")
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--episodes-per-iter", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-4, help="rl.table's finetune_lr")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--episodes", type=int, default=50, help="greedy test games after training")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    checkpoint = Path(args.checkpoint)
    try:
        load_model(checkpoint, device="cpu")
        task = json.loads((checkpoint / RL_CONFIG_FILE).read_text())["task"]
        variants = [parse_variant(v) for v in (args.variant or [""])]
    except (OSError, ValueError, KeyError) as exc:
        parser.error(str(exc))
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for k, options in enumerate(variants):
            result = run_variant(checkpoint, task, options, args, Path(tmp) / str(k))
            results.append({"options": options, **result})
            label = ",".join(f"{n}={v:g}" for n, v in options.items()) or "defaults"
            print(f"== {task} PPO [{label}]: {result['seconds']:.0f} s")
            for e in result["log"]:
                print(
                    f"  iteration {e['iteration']}: mean return {e['mean_return']:.2f}, reward scale "
                    f"{e['reward_scale']:.4g}, value loss {e['value_loss']:.4g}, approx KL "
                    f"{e['approx_kl']:.4f}, updates {e['updates']}{' (stopped)' if e['stopped_early'] else ''}"
                )
            print(
                f"  greedy after training: score {result['score']:.1f} over {args.episodes} games, "
                f"mean length {result['length']:.1f} actions"
            )
    print(json.dumps({"checkpoint": str(checkpoint), "task": task, "variants": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
