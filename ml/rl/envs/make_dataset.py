"""Write an offline dataset of a task's behaviour-policy games as trajectory JSONL.

    python -m ml.rl.envs.make_dataset maze_fo --n 1000 --seed 0 --out var/datasets/maze_fo.jsonl

A module of its own, not a __main__ in datasets.py: the package imports datasets.py (every task registers
its behaviour policy there), and running an already-imported module as a script gives a second copy.
"""

from __future__ import annotations

import argparse
import json

from ml.rl.envs.datasets import generate


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("task")
    parser.add_argument("--n", type=int, default=1000, help="games to play")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True, help="the JSONL file to write")
    args = parser.parse_args(argv)
    print(json.dumps(generate(args.task, args.n, args.seed, args.out)))


if __name__ == "__main__":
    main()
