"""Benchmark: (hypothesis, sample) pairs per second through the embedding verifier, batched.

    python bench/describe_verifier.py [--hypotheses 20] [--texts 1000] [--repeats 5] [--threads 2]

Scores a grid of --hypotheses x --texts from Assay's D3 benchmark (ml/describe/data/assay_d3.json)
with ml.describe.verifiers.EmbeddingVerifier and MiniLM (var/models/all-minilm-l6-v2, from `make
models`). "cold" starts with an empty embedding cache each repeat, so it counts encoding every text
and hypothesis; "warm" rescores with every embedding cached, as the pipeline does when the same
held-out samples meet new hypotheses. Prints the median of --repeats for each; the last line is JSON.
The issue's target is 2,000 pairs per second.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere without installing

from ml.describe.encoder import TextEncoder  # noqa: E402
from ml.describe.verifiers import EmbeddingVerifier  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def grid(n_hypotheses: int, n_texts: int) -> tuple[list[str], list[str]]:
    tasks = json.loads((ROOT / "ml/describe/data/assay_d3.json").read_text())
    hypotheses = list(dict.fromkeys(a for t in tasks for a in t["human_annotations"]))[:n_hypotheses]
    texts = list(dict.fromkeys(x for t in tasks for x in t["positive_samples"] + t["negative_samples"]))
    if len(hypotheses) < n_hypotheses or len(texts) < n_texts:
        raise SystemExit(f"the benchmark holds {len(hypotheses)} annotations and {len(texts)} distinct texts")
    return hypotheses, texts[:n_texts]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hypotheses", type=int, default=20)
    parser.add_argument("--texts", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--encoder", default=str(ROOT / "var/models/all-minilm-l6-v2"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    hypotheses, texts = grid(args.hypotheses, args.texts)
    pairs = len(hypotheses) * len(texts)
    verifier = EmbeddingVerifier(args.encoder)
    cold, warm = [], []
    for _ in range(args.repeats):
        verifier.encoder = TextEncoder(args.encoder)  # an empty cache: every embedding is computed
        started = time.perf_counter()
        scores = verifier.scores(hypotheses, texts)
        cold.append(time.perf_counter() - started)
        started = time.perf_counter()
        again = verifier.scores(hypotheses, texts)
        warm.append(time.perf_counter() - started)
        assert scores.shape == (len(hypotheses), len(texts)) and (scores == again).all()
    result = {
        "pairs": pairs,
        "threads": args.threads,
        "cold_seconds_median": round(statistics.median(cold), 4),
        "cold_pairs_per_s": round(pairs / statistics.median(cold)),
        "warm_seconds_median": round(statistics.median(warm), 6),
        "warm_pairs_per_s": round(pairs / statistics.median(warm)),
    }
    print(
        f"{pairs} pairs: cold {result['cold_pairs_per_s']:,}/s, warm (cached) {result['warm_pairs_per_s']:,}/s"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
