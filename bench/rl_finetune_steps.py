"""Does a value method gain from a longer fine-tune? From one BC checkpoint of an rl.table run, train
MC returns or ILQL for each step count with every other rl.table default, pick beta on validation games
as the grid does, and play the test games.

    python bench/rl_finetune_steps.py --seed-dir var/rl_grid/maze_fo/seed0 --algorithm ilql \\
        --steps 1500,6000

--seed-dir is a task-seed directory of an rl.table run: it holds the behaviour data (dataset.jsonl) and
the BC checkpoint (bc/) every method starts from. Per step count it prints the training seconds, the
validation score of each beta, the beta picked and the greedy test score with its 95% CI, so the grid's
cell can be compared with longer runs from the very same start. The last line is all of it as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ml.experiments import get  # noqa: E402
from ml.rl.evaluate import evaluate_checkpoint  # noqa: E402
from ml.rl.table import VALUE_METHODS, pick_beta, run_cell  # noqa: E402
from ml.rl.trainer import RL_CONFIG_FILE  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed-dir", required=True, help="an rl.table task/seed directory")
    parser.add_argument("--algorithm", choices=VALUE_METHODS, default="ilql")
    parser.add_argument("--steps", default="1500,6000", help="comma-separated fine-tune step counts")
    parser.add_argument("--episodes", type=int, default=0, help="test games (0: rl.table's default)")
    parser.add_argument("--val-episodes", type=int, default=0, help="games per beta (0: rl.table's)")
    parser.add_argument(
        "--option", action="append", default=[], help="a method option, name=value (e.g. detach_trunk=true)"
    )
    parser.add_argument(
        "--betas",
        default="",
        help="betas to validate (default: rl.table's; 0 decodes with the fine-tuned LM alone)",
    )
    args = parser.parse_args(argv)
    base = Path(args.seed_dir)
    try:
        steps = [int(s) for s in args.steps.split(",") if s.strip()]
        bc_config = json.loads((base / "bc" / RL_CONFIG_FILE).read_text())
    except ValueError:
        parser.error(f"--steps: comma-separated integers, got {args.steps!r}")
    except OSError:
        parser.error(f"{base} holds no rl.table BC checkpoint (bc/{RL_CONFIG_FILE})")
    if not steps or min(steps) < 1 or not (base / "dataset.jsonl").is_file():
        parser.error("give step counts >= 1 and a seed directory with dataset.jsonl")
    try:
        extra = {
            name.strip(): json.loads(value) for name, _, value in (o.partition("=") for o in args.option)
        }
    except json.JSONDecodeError:
        parser.error(f"--option: name=value with a JSON value, got {args.option}")
    task, seed = bc_config["task"], bc_config["seed"]
    params = get("rl.table").defaults()
    try:
        betas = [float(b) for b in (args.betas or params["betas"]).split(",")]
    except ValueError:
        parser.error(f"--betas: comma-separated numbers, got {args.betas!r}")
    episodes = args.episodes or params["eval_episodes"]
    val_episodes = args.val_episodes or params["val_episodes"]
    print(f"{task} seed {seed}, {args.algorithm} {extra or ''} from {base / 'bc'}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in steps:
            cell = {**params, "finetune_steps": n}
            seconds, checkpoint = run_cell(
                task,
                args.algorithm,
                seed,
                base / "bc",
                base / "dataset.jsonl",
                cell,
                Path(tmp) / str(n),
                None,
                extra,
            )
            beta, validation = pick_beta(checkpoint, task, seed, betas, val_episodes, False)
            summary, _ = evaluate_checkpoint(checkpoint, task, episodes, seed=seed, beta=beta)
            by_beta = ", ".join(f"{b:g}: {s:.1f}" for b, s in validation.items())
            print(
                f"  {n} steps: {seconds:.0f} s; validation by beta {by_beta}; beta {beta:g}; test score "
                f"{summary['score']:.1f} ({summary['score_ci_low']:.1f}-{summary['score_ci_high']:.1f}) "
                f"over {episodes} games"
            )
            rows.append(
                {"steps": n, "seconds": round(seconds, 1), "validation": validation, "beta": beta, **summary}
            )
    print(
        json.dumps({"task": task, "seed": seed, "algorithm": args.algorithm, "options": extra, "rows": rows})
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
