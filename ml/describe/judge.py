"""The benchmark's judge: does a proposed hypothesis say the same as a human annotation?

D3's authors rated each proposed description against the human ones by hand (equivalent, similar,
related, wrong) and counted a task solved when one of the top 5 was equivalent or similar. Here a
sentence encoder stands in for the rater: a hypothesis matches when the cosine between the MiniLM
embeddings of "each sentence <hypothesis>" and "each sentence <annotation>" reaches THRESHOLD for
at least one of the task's annotations. (Both read as the D3 prompt's stem completed; on the
calibration pairs this beat embedding the bare predicates, 0.80 against 0.63 balanced accuracy.)

THRESHOLD is calibrated on Assay's own hand-written pairs, data/judge_calibration.jsonl: each line
{"hypothesis", "annotation", "match": 0 or 1}, matches being paraphrases or similar descriptions
and non-matches related-but-different descriptions (siblings such as baseball / basketball,
opposites such as approval / disapproval) or unrelated ones, on topics other than the benchmark's.
The threshold is the cut that maximises balanced accuracy on those pairs. To recompute it after
changing the pairs, the template or the encoder:

    python -m ml.describe.judge --calibrate

and copy the printed threshold and accuracy into THRESHOLD and CALIBRATION_BALANCED_ACCURACY
(tests/ml/describe/test_bench.py checks that they agree with the file).

A cosine judge is lenient with opposites ("expresses approval" / "expresses disapproval" score
about as high as true paraphrases), so read its figures as an upper estimate of a human rating.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ml.describe.encoder import DEFAULT_ENCODER, text_encoder

CALIBRATION_FILE = Path(__file__).parent / "data" / "judge_calibration.jsonl"
TEMPLATE = "each sentence {h}"
# From `python -m ml.describe.judge --calibrate` on CALIBRATION_FILE with all-MiniLM-L6-v2.
THRESHOLD = 0.7097
CALIBRATION_BALANCED_ACCURACY = 0.8003


@dataclass(frozen=True)
class Calibration:
    threshold: float
    balanced_accuracy: float
    true_positive_rate: float
    true_negative_rate: float
    n_pairs: int
    n_matches: int


class Judge:
    """Matches hypotheses against human annotations by embedding cosine."""

    def __init__(
        self,
        encoder_path: str | Path = DEFAULT_ENCODER,
        threshold: float = THRESHOLD,
        template: str = TEMPLATE,
        device: str | None = None,
    ):
        self.encoder = text_encoder(encoder_path, device)
        self.threshold = threshold
        self.template = template

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.encoder.embed([self.template.format(h=t.strip()) for t in texts])

    def pair_cosines(self, hypotheses: Sequence[str], annotations: Sequence[str]) -> np.ndarray:
        """cos(hypotheses[i], annotations[i]) for each i."""
        if len(hypotheses) != len(annotations):
            raise ValueError("need as many annotations as hypotheses")
        return np.sum(self._embed(hypotheses) * self._embed(annotations), axis=1)

    def similarities(self, hypotheses: Sequence[str], annotations: Sequence[str]) -> np.ndarray:
        """For each hypothesis, its largest cosine with any of the annotations."""
        if not annotations:
            raise ValueError("no annotations to judge against")
        if not hypotheses:
            return np.zeros(0)
        return (self._embed(hypotheses) @ self._embed(annotations).T).max(axis=1)

    def similarity(self, hypothesis: str, annotations: Sequence[str]) -> float:
        return float(self.similarities([hypothesis], annotations)[0])

    def matches(self, hypothesis: str, annotations: Sequence[str]) -> bool:
        return self.similarity(hypothesis, annotations) >= self.threshold


def load_pairs(path: str | Path = CALIBRATION_FILE) -> list[tuple[str, str, int]]:
    """(hypothesis, annotation, match) from a JSONL file of calibration pairs."""
    pairs = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        if row.get("match") not in (0, 1) or not row.get("hypothesis") or not row.get("annotation"):
            raise ValueError(f"{path}, line {number}: need hypothesis, annotation and match 0 or 1")
        pairs.append((row["hypothesis"], row["annotation"], int(row["match"])))
    if len({m for _, _, m in pairs}) < 2:
        raise ValueError(f"{path}: need both matching and non-matching pairs")
    return pairs


def best_threshold(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float, float, float]:
    """(threshold, balanced accuracy, TPR, TNR) of the cut `score >= threshold` with the highest
    balanced accuracy; cuts lie halfway between neighbouring distinct scores, and among equally good
    cuts the middle one is taken."""
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels).astype(bool)
    distinct = np.unique(scores)
    cuts = np.r_[distinct[0] - 1e-3, (distinct[:-1] + distinct[1:]) / 2, distinct[-1] + 1e-3]
    above = scores[None, :] >= cuts[:, None]
    tpr = above[:, labels].mean(axis=1)
    tnr = (~above[:, ~labels]).mean(axis=1)
    balanced = (tpr + tnr) / 2
    best = np.flatnonzero(np.isclose(balanced, balanced.max(), rtol=0, atol=1e-12))
    pick = best[len(best) // 2]
    return float(cuts[pick]), float(balanced[pick]), float(tpr[pick]), float(tnr[pick])


def calibration(
    path: str | Path = CALIBRATION_FILE,
    encoder_path: str | Path = DEFAULT_ENCODER,
    template: str = TEMPLATE,
    device: str | None = None,
) -> Calibration:
    """The threshold maximising balanced accuracy on the pairs in `path`, with its figures."""
    pairs = load_pairs(path)
    judge = Judge(encoder_path, template=template, device=device)
    cosines = judge.pair_cosines([h for h, _, _ in pairs], [a for _, a, _ in pairs])
    labels = np.array([m for _, _, m in pairs])
    threshold, balanced, tpr, tnr = best_threshold(cosines, labels)
    return Calibration(
        round(threshold, 4), round(balanced, 4), round(tpr, 4), round(tnr, 4), len(pairs), int(labels.sum())
    )


def calibrate(path: str | Path = CALIBRATION_FILE, **options) -> float:
    """The calibrated threshold alone."""
    return calibration(path, **options).threshold


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The D3 benchmark's judge (embedding cosine).")
    parser.add_argument("--calibrate", action="store_true", help="recompute the threshold from pairs")
    parser.add_argument("--pairs", type=Path, default=CALIBRATION_FILE)
    parser.add_argument("--encoder", default=DEFAULT_ENCODER)
    parser.add_argument("--hypothesis", help="with --annotation: print the cosine and the verdict")
    parser.add_argument("--annotation", action="append", default=[])
    args = parser.parse_args(argv)
    if args.calibrate:
        found = calibration(args.pairs, args.encoder)
        stored = {"threshold": THRESHOLD, "balanced_accuracy": CALIBRATION_BALANCED_ACCURACY}
        print(json.dumps({**asdict(found), "stored": stored}))
        return 0
    if args.hypothesis and args.annotation:
        judge = Judge(args.encoder)
        cosine = judge.similarity(args.hypothesis, args.annotation)
        print(json.dumps({"similarity": round(cosine, 4), "match": cosine >= judge.threshold}))
        return 0
    parser.error("give --calibrate, or --hypothesis with one or more --annotation")
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
