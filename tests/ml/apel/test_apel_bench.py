import json
import subprocess
import sys
from pathlib import Path

import pytest

from ml.apel.bench import Settings, expected_calibration_error, run_benchmark

KEYS = {
    "n", "coverage", "prior_top1_acc", "posterior_top1_acc", "mean_rounds", "mean_rows_shown",
    "p90_rows_shown", "latency_ms_p50", "latency_ms_p95", "ece", "failures",
}  # fmt: skip
ROOT = Path(__file__).resolve().parents[3]


def test_cli_prints_the_summary_json_last(spider_dir):
    out = subprocess.run(
        [sys.executable, "-m", "ml.apel.bench", "--spider", str(spider_dir), "--limit", "2", "--eps", "0.1",
         "--candidates", "4", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(summary) == KEYS
    assert summary["n"] == 2 and summary["coverage"] == 1.0 and summary["failures"] == {}
    assert summary["mean_rounds"] >= 1 and summary["mean_rows_shown"] > 0


def test_perfect_annotator_labels_everything(spider_dir):
    summary = run_benchmark(spider_dir, settings=Settings(eps=0.0, candidates=4, prior_top1=0.0))
    assert summary["n"] == 3
    assert summary["prior_top1_acc"] < 1.0  # the simulated parser never ranks the gold first here
    assert summary["posterior_top1_acc"] == 1.0
    assert 0 < summary["latency_ms_p50"] <= summary["latency_ms_p95"]


def test_expected_calibration_error():
    assert expected_calibration_error([0.95, 0.95], [True, True]) == pytest.approx(0.05)
    assert expected_calibration_error([0.55, 0.55, 0.95, 0.95], [True, False, True, True]) == pytest.approx(
        0.05
    )
    assert expected_calibration_error([], []) == 0.0
