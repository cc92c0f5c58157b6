"""Run the distill.imitation study and print its table; the last line is one JSON object.

python bench/imitation.py                          # defaults: seeds 0,1,2 (about 5-6 min, 1 CPU thread)
python bench/imitation.py --out /tmp/imit --set seeds=0 --set amounts=16,256
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", default="", help="work directory (default: a temporary one)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a parameter")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest for tiny models)")
    args = parser.parse_args()

    import torch

    from ml.experiments import get

    torch.set_num_threads(args.threads)
    experiment = get("distill.imitation")
    params = experiment.validate(dict(kv.split("=", 1) for kv in args.set))
    out = Path(args.out or tempfile.mkdtemp(prefix="imitation-"))
    started = time.perf_counter()
    last = [-1.0]

    def report(fraction: float, message: str) -> None:
        if fraction - last[0] >= 0.05 or fraction >= 1.0:
            last[0] = fraction
            print(f"[{time.perf_counter() - started:6.0f}s {fraction:4.0%}] {message}", file=sys.stderr)

    result = experiment.load_entry()(params, out, report)
    print(
        f"{'base':7} {'kind':6} {'amount':>6}  {'held-out acc':>20}  {'task acc':>20}  {'rated >= ref':>20}"
    )
    for row in result.metrics["aggregate"]:
        cells = [
            f"{row[k]['mean']:.3f} [{row[k]['lo'] if row[k]['lo'] is not None else float('nan'):.2f},"
            f"{row[k]['hi'] if row[k]['hi'] is not None else float('nan'):.2f}]"
            for k in ("heldout_acc", "task_acc", "preference")
        ]
        print(f"{row['base']:7} {row['kind']:6} {row['amount']:>6}  " + "  ".join(f"{c:>20}" for c in cells))
    ref = result.metrics["reference"]
    print(
        f"reference: held-out {ref['heldout_acc']['mean']:.3f}, task {ref['task_acc']['mean']:.3f}, "
        f"rater parity (reference vs itself) {ref['parity']:.3f}"
    )
    print(f"outputs in {out}", file=sys.stderr)
    print(
        json.dumps(
            {
                "out": str(out),
                "seconds": result.metrics["seconds"],
                "reference": ref,
                "aggregate": result.metrics["aggregate"],
            }
        )
    )


if __name__ == "__main__":
    main()
