"""Success gap between two CALM agents that played the same held-out contexts, possibly in two runs.

    python bench/calm_gap.py bench/results/calm/calm_vs_plain.games.jsonl calm \\
        bench/results/calm/ablations.games.jsonl no_relabel

Each argument pair is a `games.jsonl` written by `calm.evaluate` and a variant in it. The games are
paired in order (seed by seed, context by context), as `calm.evaluate` writes them, and the gap is
resampled by context. Ends with one JSON line: `a`, `b`, `games`, `points`, `ci`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def games_of(path: Path, variant: str) -> list[dict]:
    from ml.lm.experiment import read_jsonl_records

    try:
        rows = read_jsonl_records(path, ("variant",))
    except (OSError, ValueError) as exc:
        raise SystemExit(str(exc)) from None
    games = [r for r in rows if r["variant"] == variant]
    if not games:
        found = sorted({r["variant"] for r in rows})
        raise SystemExit(f"{path} has no games of {variant!r}; it has {', '.join(found)}")
    return games


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("games_a", type=Path)
    parser.add_argument("variant_a")
    parser.add_argument("games_b", type=Path)
    parser.add_argument("variant_b")
    args = parser.parse_args()
    from ml.calm.experiments import success_gap

    a, b = games_of(args.games_a, args.variant_a), games_of(args.games_b, args.variant_b)
    try:
        gap = success_gap(a, b)
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    print(
        f"{args.variant_a} minus {args.variant_b} over {len(a)} games: {gap['points']} points, 95% CI {gap['ci']}"
    )
    print(json.dumps({"a": args.variant_a, "b": args.variant_b, "games": len(a), **gap}))


if __name__ == "__main__":
    main()
