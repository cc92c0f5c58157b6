"""One CALM variant, trained and played: success and the parts of its final actions.

    python bench/calm_variant.py --variant calm
    python bench/calm_variant.py --variant plain --threads 1 --games 200 --out var/calm_plain

Trains on --dialogues behaviour dialogues (seed --seed) for --steps, saves the agent to --out, plays
--games held-out contexts against the rule-based customer, and prints the success rate with how often
the final action's status and name were right, and its flight where the correct action names one (which
part an agent gets wrong is what the success rate alone hides). Ends with one JSON line. `calm.evaluate` runs the same training and
self-play for several variants and seeds.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--variant", default="calm", choices=("calm", "plain", "no_relabel", "no_aux"))
    p.add_argument("--dialogues", type=int, default=4000)
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--games", type=int, default=200)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default="")
    args = p.parse_args()
    import torch

    from ml.calm import data
    from ml.calm.experiments import part_rates
    from ml.calm.train import CalmAgent, TrainSettings, self_play, train

    torch.set_num_threads(args.threads)
    dialogues = data.generate(args.dialogues, args.seed)
    settings = TrainSettings(args.variant, args.steps, args.batch_size, seed=args.seed)
    model, figures = train(dialogues, settings)
    if args.out:
        model.save(args.out, {"task": "flight_booking", "variant": args.variant})
    games = self_play(CalmAgent(model), args.games)
    result = {
        "variant": args.variant,
        "success": sum(g["success"] for g in games) / len(games),
        **part_rates(games),
        "train_seconds": figures["train_seconds"],
        "params": figures["params"],
        "examples": figures["examples"],
    }
    flight = result["flight_right_when_due"]  # None when no game's correct action names a flight
    print(f"{args.variant}: success {result['success']:.3f} over {len(games)} games; right status "
          f"{result['status_right']:.2f}, name {result['name_right']:.2f}, flight where one is due "
          f"{'n/a' if flight is None else f'{flight:.2f}'}; trained in {figures['train_seconds']:.0f} s")  # fmt: skip
    print(json.dumps(result))


if __name__ == "__main__":
    main()
