import json
import subprocess
import sys
from pathlib import Path

import pytest
from apel_testing import tiny_lm_dir

from ml.apel.bench import Settings, expected_calibration_error, rank_weights, run_benchmark
from ml.apel.lm_candidates import build_prompt
from ml.apel.schema import schema_from_sqlite

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


def test_parser_mode_samples_candidates_and_reports_failures(spider_dir, tmp_path):
    pytest.importorskip("torch")
    schema = schema_from_sqlite(spider_dir / "database" / "concerts" / "concerts.sqlite")
    model_dir = tiny_lm_dir(tmp_path / "lm", build_prompt(schema, "x"))
    summary = run_benchmark(spider_dir, limit=2, settings=Settings(parser=str(model_dir), candidates=3))
    assert set(summary) == KEYS
    # An untrained model writes no valid SQL: every item is counted as a failure, not a crash.
    assert summary["n"] + sum(summary["failures"].values()) == 2


def test_simulated_prior_is_calibrated_at_the_top():
    w = rank_weights(4, 0.6)
    assert w[0] == pytest.approx(0.6) and sum(w) == pytest.approx(1.0)
    assert w[1] == pytest.approx(2 * w[2]) == pytest.approx(4 * w[3])
    assert rank_weights(4, 0.0)[0] == pytest.approx(0.25) and rank_weights(1, 0.6) == [1.0]
