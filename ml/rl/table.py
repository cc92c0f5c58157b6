"""rl.table: the task x method grid over seeds, as LMRL-Gym's table of normalised scores.

For each task and seed: generate a behaviour dataset, train BC on it, then start every other method
from that BC checkpoint (the paper's common setup): filtered BC, MC returns and ILQL fine-tune offline
on the same data; PPO and online filtered BC interact with the environment. Every checkpoint is played
for `eval_episodes` seeded episodes. The table gives, per task and method, the mean normalised score
over seeds with a 95% bootstrap CI over all episodes, the training time, and the paper's score beside.

    python -m ml.rl.table --tasks maze_fo --algorithms bc,ilql --seeds 3   (or run it from evalhub)
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from ml.experiments import ArtifactOut, ExperimentResult, ParamError, ProgressFn

# LMRL-Gym's normalised scores (METHODS.md §2), for the table's "paper" column.
PAPER_SCORES = {
    "maze_fo": {"bc": 58.2, "filtered_bc": 68.9, "mc_returns": 75.0, "ilql": 99.9, "ppo": 79.7},
    "maze_po": {"bc": 53.1, "filtered_bc": 50.1, "mc_returns": 52.4, "ilql": 76.3, "ppo": 42.4},
    "textnav_fo": {"bc": 53.7, "filtered_bc": 65.1, "mc_returns": 71.9, "ilql": 91.8, "ppo": 87.1},
    "wordle": {"bc": 79.9, "filtered_bc": 79.1, "mc_returns": 94.9, "ilql": 97.7, "ppo": 84.2},
    "chess": {"bc": 47.2, "filtered_bc": 42.9, "mc_returns": 46.5, "ilql": 47.3, "ppo": 48.0},
    "endgames": {"bc": 35.1, "filtered_bc": 17.7, "mc_returns": 50.2, "ilql": 45.8, "ppo": 77.5},
    "twenty_questions": {"bc": 57.1, "filtered_bc": 77.1, "mc_returns": 87.1, "ilql": 82.9, "ppo": 72.9},
    "guess_city": {"bc": 30.0, "filtered_bc": 48.0, "mc_returns": 88.0, "ilql": 75.0, "ppo": 49.9},
    "car_dealer": {"bc": 44.5, "filtered_bc": 54.8, "mc_returns": 57.2, "ilql": 46.3, "ppo": 50.5},
}
METHODS = ("bc", "filtered_bc", "mc_returns", "ilql", "ppo", "online_filtered_bc")
OFFLINE_FINETUNE = ("filtered_bc", "mc_returns", "ilql")


def parse_list(raw: str, known: tuple[str, ...] | None, field: str) -> list[str]:
    items = [x.strip() for x in raw.split(",") if x.strip()]
    if not items:
        raise ParamError(field, "give at least one, comma-separated")
    unknown = [x for x in items if known is not None and x not in known]
    if unknown:
        raise ParamError(field, f"unknown {', '.join(unknown)}; known: {', '.join(known)}")
    return list(dict.fromkeys(items))


VALUE_METHODS = ("mc_returns", "ilql")
VALIDATION_SEED_OFFSET = (
    1000  # validation episodes: evaluate.episode_seeds(seed + 1000), disjoint from the test ones
)


def pick_beta(
    checkpoint: Path, task: str, seed: int, betas: list[float], episodes: int, sampled: bool
) -> tuple[float, dict]:
    """The decoding beta with the best validation score (greedy, plus sampled at T=1 when the table
    reports both; ties: the smaller beta), so beta is tuned as in the paper but never on test episodes."""
    from ml.rl.evaluate import evaluate_checkpoint

    scores = {}
    for beta in betas:
        temperatures = (0.0, 1.0) if sampled else (0.0,)
        scores[beta] = sum(
            evaluate_checkpoint(
                checkpoint, task, episodes, seed=seed + VALIDATION_SEED_OFFSET, temperature=t, beta=beta
            )[0]["score"]
            for t in temperatures
        )
    best = max(sorted(betas), key=lambda b: scores[b])
    return best, scores


def run_cell(
    task: str,
    algorithm: str,
    seed: int,
    bc_checkpoint: Path,
    dataset: Path,
    params: dict,
    out: Path,
    report,
    extra_options: dict[str, Any] | None = None,
):
    """Train one method from the seed's BC checkpoint; returns (train seconds, checkpoint).
    `extra_options` adds method options the grid does not expose (for benchmarks)."""
    from ml.rl.trainer import RLConfig, train

    options: dict[str, Any] = {}
    steps = params["finetune_steps"]
    if algorithm == "ilql":
        options = {"tau": params["ilql_tau"], "cql_weight": params["cql_weight"]}
    elif algorithm == "mc_returns":
        options = {"cql_weight": params["cql_weight"]}
    elif algorithm == "filtered_bc":
        options = {"top_fraction": params["top_fraction"]}
    elif algorithm in ("ppo", "online_filtered_bc"):
        options = {"episodes_per_iter": params["episodes_per_iter"]}
        steps = params["online_iterations"]
    options.update(extra_options or {})
    cfg = RLConfig(
        task=task,
        algorithm=algorithm,
        dataset=str(dataset),
        init_from=str(bc_checkpoint),
        steps=steps,
        batch_size=params["batch_size"],
        block_size=params["block_size"],
        lr=params["finetune_lr"],
        seed=seed,
        options=options,
    )
    outcome = train(cfg, out, report)
    return outcome.seconds, outcome.checkpoint


def aggregate(rows: list[dict[str, Any]], n_boot: int = 1000) -> list[dict[str, Any]]:
    """One line per (task, method): mean of per-seed scores, a CI over pooled episodes, paper score."""
    from ml.rl.envs.base import make_env
    from ml.stats import bootstrap_ci

    table = []
    keys = list(dict.fromkeys((r["task"], r["algorithm"]) for r in rows))
    for task, algorithm in keys:
        cell = [r for r in rows if r["task"] == task and r["algorithm"] == algorithm]
        norm = make_env(task).normalisation
        pooled = np.array([norm.score(x) for r in cell for x in r["returns"]], dtype=float)
        ci = bootstrap_ci(pooled, np.mean, n_boot=n_boot, seed=0)
        per_seed = [r["score"] for r in cell]
        sampled = [r["score_t1"] for r in cell if r.get("score_t1") is not None]
        table.append(
            {
                "task": task,
                "algorithm": algorithm,
                "seeds": len(cell),
                "score": round(float(np.mean(per_seed)), 2),
                "seed_scores": per_seed,
                "score_t1": round(float(np.mean(sampled)), 2) if sampled else None,
                "betas": [r["beta"] for r in cell],
                "ci_low": round(ci.ci_low, 2),
                "ci_high": round(ci.ci_high, 2),
                "train_seconds": round(float(np.mean([r["train_seconds"] for r in cell])), 1),
                "paper": PAPER_SCORES.get(task, {}).get(algorithm),
            }
        )
    return table


def markdown(table: list[dict[str, Any]]) -> str:
    lines = [
        "| task | method | score, greedy (mean over seeds) | 95% CI | score, T=1 | beta | seeds | train s | paper |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in table:
        paper = "" if r["paper"] is None else f"{r['paper']:.1f}"
        sampled = "" if r.get("score_t1") is None else f"{r['score_t1']:.1f}"
        betas = ",".join(f"{b:g}" for b in r.get("betas", []) if b)
        lines.append(
            f"| {r['task']} | {r['algorithm']} | {r['score']:.1f} | {r['ci_low']:.1f}–{r['ci_high']:.1f} "
            f"| {sampled} | {betas} | {r['seeds']} | {r['train_seconds']:.0f} | {paper} |"
        )
    return "\n".join(lines) + "\n"


def plot_table(table: list[dict[str, Any]], out_stem: Path) -> list[Path]:
    """Grouped bars (tasks x methods) with CI whiskers; the paper's scores as black ticks."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    tasks = list(dict.fromkeys(r["task"] for r in table))
    methods = list(dict.fromkeys(r["algorithm"] for r in table))
    width = 0.8 / len(methods)
    fig = Figure(figsize=(max(6, 1.6 * len(tasks) * max(1, len(methods) / 3)), 4.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for m, method in enumerate(methods):
        for t, task in enumerate(tasks):
            row = next((r for r in table if r["task"] == task and r["algorithm"] == method), None)
            if row is None:
                continue
            x = t + (m - (len(methods) - 1) / 2) * width
            # max(0, .): the mean and the CI are rounded separately, so they can cross by 0.01
            err = [[max(0.0, row["score"] - row["ci_low"])], [max(0.0, row["ci_high"] - row["score"])]]
            ax.bar(x, row["score"], width, color=f"C{m}", label=method if t == 0 else None)
            ax.errorbar(x, row["score"], yerr=err, color="black", capsize=2, linewidth=0.8)
            if row["paper"] is not None:
                ax.plot([x - width / 2, x + width / 2], [row["paper"]] * 2, color="black", linewidth=2)
    ax.axhline(50, color="grey", linestyle="--", linewidth=0.8)
    ax.set_xticks(range(len(tasks)), tasks)
    ax.set_ylabel("normalised score (50 = dataset average)")
    ax.set_title("LMRL-Gym grid: bars = Assay (mean over seeds), black ticks = paper", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    paths = [out_stem.with_suffix(".png"), out_stem.with_suffix(".svg")]
    for p in paths:
        fig.savefig(p)
    return paths


def resume_rows(workdir: Path, params: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows a previous, interrupted run of this grid already wrote to `workdir`, so a long grid
    can be stopped and continued. Only the grid's extent (tasks, methods, seeds) may change in between;
    any other parameter would make the old rows incomparable, so it is refused."""
    params_path, runs_path = workdir / "table_params.json", workdir / "runs.json"
    extent = ("tasks", "algorithms", "seeds")
    fixed = {k: v for k, v in params.items() if k not in extent}
    if params_path.is_file() and runs_path.is_file():
        before = json.loads(params_path.read_text())
        changed = sorted(k for k in set(before) | set(fixed) if before.get(k) != fixed.get(k))
        if changed:
            raise ParamError(
                "out", f"{workdir} holds a grid run with other {', '.join(changed)}; use a fresh directory"
            )
        return json.loads(runs_path.read_text())
    params_path.write_text(json.dumps(fixed, indent=2) + "\n")
    return []


def write_rows(workdir: Path, rows: list[dict[str, Any]]) -> None:
    """Save rows after every cell (atomically), so an interrupted grid loses at most one cell."""
    tmp = workdir / "runs.json.tmp"
    tmp.write_text(json.dumps(rows) + "\n")
    tmp.replace(workdir / "runs.json")


def run_seed(task, seed, methods, base, params, betas, rows, workdir, report, done, total) -> None:
    """Train and score `methods` for one (task, seed): BC first (reused if already trained), then
    every other method from the BC checkpoint. Appends one row per method and saves the rows."""
    from ml.rl.envs.datasets import generate
    from ml.rl.evaluate import evaluate_checkpoint
    from ml.rl.trainer import RLConfig, scaled, train

    base.mkdir(parents=True, exist_ok=True)
    dataset = base / "dataset.jsonl"
    bc_ready = (base / "bc" / "rl_config.json").is_file() and "bc" not in methods
    if not bc_ready or not dataset.is_file():
        generate(task, params["dataset_size"], seed, dataset)
    bc_cfg = RLConfig(
        task=task,
        dataset=str(dataset),
        n_layer=params["n_layer"],
        n_embd=params["n_embd"],
        n_head=params["n_head"],
        block_size=params["block_size"],
        steps=params["bc_steps"],
        batch_size=params["batch_size"],
        lr=params["lr"],
        seed=seed,
    )
    order = ([] if bc_ready else ["bc"]) + [m for m in methods if m != "bc"]
    for method in order:
        k = done + methods.index(method) if method in methods else done
        step_report = scaled(report, k / total, (k + 1) / total)
        out = base / method
        if method == "bc":
            outcome = train(bc_cfg, out, scaled(step_report, 0, 0.8))
            seconds, checkpoint = outcome.seconds, outcome.checkpoint
        else:
            seconds, checkpoint = run_cell(
                task, method, seed, base / "bc", dataset, params, out, scaled(step_report, 0, 0.8)
            )
        if method not in methods:
            continue  # BC was only the starting point
        beta, val_scores = None, {}
        if method in VALUE_METHODS:
            beta, val_scores = pick_beta(
                checkpoint, task, seed, betas, params["val_episodes"], params["sampled_eval"]
            )
        summary, records = evaluate_checkpoint(
            checkpoint,
            task,
            params["eval_episodes"],
            seed=seed,
            beta=beta,
            report=scaled(step_report, 0.8, 1),
        )
        sampled = None
        if params["sampled_eval"]:
            sampled, _ = evaluate_checkpoint(
                checkpoint, task, params["eval_episodes"], seed=seed, temperature=1.0, beta=beta
            )
        rows.append(
            {
                "task": task,
                "algorithm": method,
                "seed": seed,
                "score": summary["score"],
                "mean_return": summary["mean_return"],
                "success_rate": summary["success_rate"],
                "beta": summary["beta"],
                "validation_scores": val_scores,
                "score_t1": None if sampled is None else sampled["score"],
                "train_seconds": round(seconds, 2),
                "returns": [r["return"] for r in records],
            }
        )
        write_rows(workdir, rows)
        report((k + 1) / total, f"{task} seed {seed} {method}: score {summary['score']}")


def run_table_experiment(params: dict[str, Any], workdir: Path, report: ProgressFn) -> ExperimentResult:
    """Entry point of rl.table (registered in ml.catalog)."""
    from ml.rl import envs  # noqa: F401  (registers the tasks)
    from ml.rl.envs.base import TASKS

    tasks = parse_list(params["tasks"], tuple(TASKS), "tasks")
    methods = parse_list(params["algorithms"], METHODS, "algorithms")
    try:
        betas = [float(b) for b in parse_list(params["betas"], None, "betas")]
    except ValueError:
        raise ParamError("betas", "comma-separated numbers, e.g. 1,4,16") from None
    if params["n_embd"] % params["n_head"]:
        raise ParamError("n_head", f"must divide n_embd ({params['n_embd']})")
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    seeds = list(range(params["seeds"]))
    cells = [(task, seed, method) for task in tasks for seed in seeds for method in methods]
    rows = resume_rows(workdir, params)
    finished = {(r["task"], r["seed"], r["algorithm"]) for r in rows}
    artifacts: list[ArtifactOut] = []
    started = time.perf_counter()
    done = len([c for c in cells if c in finished])
    for task in tasks:
        for seed in seeds:
            base = workdir / task / f"seed{seed}"
            todo = [m for m in methods if (task, seed, m) not in finished]
            if todo:
                run_seed(task, seed, todo, base, params, betas, rows, workdir, report, done, len(cells))
                done += len(todo)
            if seed == 0:
                artifacts += [
                    ArtifactOut(base / m, "checkpoint", f"{task}-{m}") for m in methods if (base / m).is_dir()
                ]
    rows = [r for r in rows if (r["task"], r["seed"], r["algorithm"]) in set(cells)]
    metrics, outputs = write_report(workdir, rows, params, time.perf_counter() - started)
    return ExperimentResult(metrics=metrics, artifacts=[*outputs, *artifacts])


def write_report(
    workdir: Path, rows: list[dict[str, Any]], params: dict[str, Any], seconds: float
) -> tuple[dict[str, Any], list[ArtifactOut]]:
    """table.md, metrics.json and the plot for `rows`; (metrics, their artifacts with runs.json)."""
    table = aggregate(rows)
    (workdir / "table.md").write_text(markdown(table))
    seeds_by_task = {
        t: len({r["seed"] for r in rows if r["task"] == t}) for t in dict.fromkeys(r["task"] for r in rows)
    }
    metrics = {
        "table": table,
        "tasks": list(seeds_by_task),
        "algorithms": list(dict.fromkeys(r["algorithm"] for r in rows)),
        "seeds": max(seeds_by_task.values()),
        "seeds_by_task": seeds_by_task,
        "seconds": round(seconds, 1),
        "params": params,
    }
    metrics_path = workdir / "metrics.json"
    metrics_path.write_text(json.dumps(metrics, indent=2) + "\n")
    plots = plot_table(table, workdir / "scores")
    return metrics, [
        ArtifactOut(metrics_path, "metrics", metrics_path.name),
        ArtifactOut(workdir / "table.md", "metrics", "table.md"),
        ArtifactOut(workdir / "runs.json", "metrics", "runs.json"),
        *(ArtifactOut(p, "plot", p.name) for p in plots),
    ]


def merge_report(workdir: Path, runs_files: list[Path]) -> dict[str, Any]:
    """Rebuild the report in `workdir` from the rows of several grid runs (say, tasks run side by side),
    without training: later files win a (task, seed, method) cell. Each runs.json needs its grid's
    table_params.json beside it, equal to `workdir`'s, so only comparable rows are pooled. Writes the
    merged runs.json too."""
    params_path = workdir / "table_params.json"
    if not params_path.is_file():
        raise ParamError("out", f"{workdir} has no table_params.json to check the runs against")
    params = json.loads(params_path.read_text())
    cells: dict[tuple, dict[str, Any]] = {}
    for runs in runs_files:
        other = runs.parent / "table_params.json"
        if not other.is_file() or json.loads(other.read_text()) != params:
            raise ParamError("out", f"{runs} has no table_params.json beside it equal to {params_path}")
        for row in json.loads(runs.read_text()):
            cells[(row["task"], row["seed"], row["algorithm"])] = row
    if not cells:
        raise ParamError("out", "no rows to report")
    rows = list(cells.values())
    write_rows(workdir, rows)
    metrics, _ = write_report(workdir, rows, params, 0.0)
    return metrics


def main(argv: list[str] | None = None) -> int:
    """CLI: every rl.table parameter is a --flag, with the catalog's defaults and checks; prints the
    markdown table."""
    import argparse

    from ml.experiments import ParamError, get

    experiment = get("rl.table")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for param in experiment.params:
        parser.add_argument(f"--{param.name.replace('_', '-')}", default=param.default, help=param.help)
    parser.add_argument("--out", default="var/rl_table")
    parser.add_argument(
        "--merge",
        nargs="+",
        metavar="RUNS_JSON",
        help="train nothing: pool these runs.json files (grids run side by side with --out's parameters) "
        "into --out's runs.json, table.md, metrics.json and plot",
    )
    args = vars(parser.parse_args(argv))
    out = Path(args.pop("out"))
    merge = args.pop("merge")
    if merge:
        try:
            metrics = merge_report(out, [Path(m) for m in merge])
        except (OSError, ValueError, KeyError, ParamError) as error:
            parser.error(f"--merge: {error}")
        print(markdown(metrics["table"]))
        return 0
    try:
        params = experiment.validate(args)
    except ParamError as error:
        parser.error(str(error))

    def progress(fraction: float, message: str) -> None:
        print(f"[{fraction:6.1%}] {message}", flush=True)

    result = run_table_experiment(params, out, progress)
    print(markdown(result.metrics["table"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
