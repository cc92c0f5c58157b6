"""Benchmark: the APEL loop on the demo set at annotator error rates 0, 0.1 and 0.2.

    python bench/apel.py [--spider ml/apel/demo_data] [--limit N] [--prior-top1 0.6] [--candidates 8]

Runs `ml.apel.bench.run_benchmark` once per error rate, one after another (so latencies are not
inflated by the runs competing for cores), prints a table, and ends with one JSON line mapping
each error rate to its summary, plus the accuracy drop from eps=0 to eps=0.2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from anywhere without installing

from ml.apel.bench import Settings, run_benchmark  # noqa: E402

RATES = (0.0, 0.1, 0.2)
COLUMNS = (
    "n", "coverage", "prior_top1_acc", "posterior_top1_acc", "mean_rounds", "mean_rows_shown",
    "p90_rows_shown", "latency_ms_p50", "latency_ms_p95", "ece",
)  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--spider", default=str(ROOT / "ml" / "apel" / "demo_data"))
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--prior-top1", type=float, default=0.6)
    p.add_argument("--candidates", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    results = {}
    for eps in RATES:
        settings = Settings(eps=eps, prior_top1=args.prior_top1, candidates=args.candidates, seed=args.seed)
        results[str(eps)] = run_benchmark(args.spider, limit=args.limit, settings=settings)
    print("eps  " + " ".join(f"{c:>18}" for c in COLUMNS))
    for eps, summary in results.items():
        print(f"{eps:<4} " + " ".join(f"{summary[c]:>18}" for c in COLUMNS))
    drop = results["0.0"]["posterior_top1_acc"] - results["0.2"]["posterior_top1_acc"]
    print(json.dumps({"by_eps": results, "accuracy_drop_eps0_to_eps0.2": round(drop, 4)}))


if __name__ == "__main__":
    main()
