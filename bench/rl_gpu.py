"""ILQL on FO Maze, briefly, on every device present: training steps/s, tokens/s and rollout episodes/s.

    python bench/rl_gpu.py [--steps 60] [--episodes 32] [--devices cpu,cuda]

On a machine with CUDA it measures the CPU and the GPU in the same run and prints the speed-up; the
trainer and the evaluation harness pick the device through pick_device, with no code change. The last
line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from ml.rl.envs.datasets import generate  # noqa: E402
from ml.rl.evaluate import rollout_lm  # noqa: E402
from ml.rl.trainer import RLConfig, train  # noqa: E402


def measure(device: str, dataset: Path, steps: int, episodes: int) -> dict:
    cfg = RLConfig(
        task="maze_fo",
        algorithm="ilql",
        dataset=str(dataset),
        steps=steps,
        block_size=128,
        batch_size=16,
        device=device,
        options={"tau": 0.99, "beta": 4.0},
    )
    stamps: list[float] = []
    outcome = train(cfg, report=lambda fraction, message: stamps.append(time.perf_counter()))
    # Per-step times from the progress reports (one per step at this size); skip warm-up steps.
    gaps = [b - a for a, b in zip(stamps[1:], stamps[2:], strict=False)][5:]
    median_step = statistics.median(gaps) if gaps else outcome.seconds / steps
    tokens = cfg.batch_size * cfg.block_size
    started = time.perf_counter()
    records = rollout_lm(
        outcome.model, outcome.tokenizer, "maze_fo", episodes, seed=0, guide=outcome.heads.guide(4.0)
    )
    rollout_s = time.perf_counter() - started
    actions = sum(r["length"] for r in records)
    return {
        "device": str(outcome.model.device),
        "train_steps_per_s": round(1 / median_step, 2),
        "train_tokens_per_s_upper": round(tokens / median_step),
        "rollout_episodes_per_s": round(episodes / rollout_s, 2),
        "rollout_actions_per_s": round(actions / rollout_s, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--episodes", type=int, default=32)
    parser.add_argument("--devices", default="cpu,cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        dataset = Path(tmp) / "maze_fo.jsonl"
        generate("maze_fo", 300, 0, dataset)
        results = [measure(d, dataset, args.steps, args.episodes) for d in args.devices.split(",")]
    print(f"{'device':8} {'steps/s':>9} {'tokens/s':>10} {'episodes/s':>11} {'actions/s':>10}")
    for r in results:
        print(
            f"{r['device']:8} {r['train_steps_per_s']:9.2f} {r['train_tokens_per_s_upper']:10d} "
            f"{r['rollout_episodes_per_s']:11.2f} {r['rollout_actions_per_s']:10.1f}"
        )
    summary = {"torch": torch.__version__, "results": results}
    if len(results) == 2:
        cpu, gpu = results
        summary["train_speedup"] = round(gpu["train_steps_per_s"] / cpu["train_steps_per_s"], 2)
        summary["rollout_speedup"] = round(gpu["rollout_episodes_per_s"] / cpu["rollout_episodes_per_s"], 2)
        print(f"GPU speed-up: training {summary['train_speedup']}x, rollouts {summary['rollout_speedup']}x")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
