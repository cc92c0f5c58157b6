"""Assay's D3 benchmark (ml.describe.benchmark), its judge (ml.describe.judge) and the benchmark CLI
(ml.describe.bench)."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ml.describe import bench, benchmark, judge

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "ml" / "describe" / "data"


@pytest.fixture(scope="module")
def tasks():
    return benchmark.build_tasks(seed=0)


# --- the benchmark --------------------------------------------------------------------------------


def test_benchmark_is_deterministic_and_committed(tasks):
    assert benchmark.build_tasks(seed=0) == tasks
    assert benchmark.build_tasks(seed=1) != tasks
    committed = json.loads((DATA / "assay_d3.json").read_text())
    assert committed == tasks, (
        "regenerate: python -m ml.describe.benchmark --out ml/describe/data/assay_d3.json"
    )
    assert (DATA / "assay_d3.json").stat().st_size < 2_000_000


def test_benchmark_tasks_have_the_d3_keys_and_known_truth(tasks):
    assert len(tasks) >= 30
    assert len({t["name"] for t in tasks}) == len(tasks)
    assert {t["kind"] for t in tasks} >= {"topic", "form", "negation", "style", "frequency", "sentiment"}
    for t in tasks:
        for key in ("positive_samples", "negative_samples", "human_annotations"):
            assert isinstance(t[key], list) and t[key] and all(isinstance(s, str) and s for s in t[key])
        assert 1 <= len(t["human_annotations"]) <= 3
        samples = t["positive_samples"] + t["negative_samples"]
        assert len(set(samples)) == len(samples), t["name"]  # no sample twice
        for side in ("positive", "negative"):
            n = len(t[f"{side}_samples"])
            assert 60 <= n <= 80
            assert len(t[f"{side}_truth"]) == len(t[f"{side}_tags"]) == n
            # the truth is the task's property, read off each sample's tags
            assert t[f"{side}_truth"] == [t["property"] in tags for tags in t[f"{side}_tags"]]
        if t["kind"] != "frequency":
            assert all(t["positive_truth"]) and not any(t["negative_truth"]), t["name"]


def test_frequency_tasks_hold_the_stated_shares(tasks):
    frequency = [t for t in tasks if t["kind"] == "frequency"]
    assert len(frequency) >= 3
    for t in frequency:
        share1, share0 = t["frequency"]
        assert (share1, share0) == (0.6, 0.3)
        assert np.mean(t["positive_truth"]) == pytest.approx(share1, abs=0.01)
        assert np.mean(t["negative_truth"]) == pytest.approx(share0, abs=0.01)


def test_benchmark_sentences_are_varied(tasks):
    topic = next(t for t in tasks if t["name"] == "topic_sports_vs_cooking")
    openings = {" ".join(s.split()[:3]) for s in topic["positive_samples"]}
    assert len(openings) >= 15
    question = next(t for t in tasks if t["name"] == "form_question")
    assert all(s.endswith("?") for s in question["positive_samples"])
    assert not any("?" in s for s in question["negative_samples"])
    assert benchmark.third_person("study") == "studies" and benchmark.third_person("back up") == "backs up"


# --- the judge ------------------------------------------------------------------------------------


def test_calibration_pairs_are_assays_own(tasks):
    pairs = judge.load_pairs(DATA / "judge_calibration.jsonl")
    assert len(pairs) >= 80 and 0.3 < np.mean([m for _, _, m in pairs]) < 0.7
    annotations = {a.lower() for t in tasks for a in t["human_annotations"]}
    assert not annotations & {text.lower() for h, a, _ in pairs for text in (h, a)}


def test_best_threshold_maximises_balanced_accuracy():
    scores = np.array([0.1, 0.2, 0.3, 0.6, 0.7, 0.9, 0.35])
    labels = np.array([0, 0, 0, 1, 1, 1, 1])
    threshold, balanced, tpr, tnr = judge.best_threshold(scores, labels)
    assert 0.3 < threshold <= 0.35 and balanced == 1.0 and tpr == tnr == 1.0


def test_judge_matches_a_paraphrase_and_rejects_an_unrelated_description(encoder_path):
    j = judge.Judge(encoder_path, device="cpu")
    assert j.matches("is about football", ["is about sports", "mentions a sports team, player or game"])
    assert j.matches("is asking a question", ["is a question"])
    assert not j.matches("mentions a recipe", ["is a question", "asks something"])
    assert not j.matches("is about cooking", ["is about sports"])
    sims = j.similarities(["is about football", "mentions a recipe"], ["is about sports"])
    assert sims.shape == (2,) and sims[0] > j.threshold > sims[1]


def test_stored_threshold_is_what_calibration_computes(encoder_path):
    found = judge.calibration(DATA / "judge_calibration.jsonl", encoder_path, device="cpu")
    assert found.threshold == pytest.approx(judge.THRESHOLD, abs=1e-3), "update THRESHOLD: see judge.py"
    assert found.balanced_accuracy == pytest.approx(judge.CALIBRATION_BALANCED_ACCURACY, abs=1e-3)
    assert judge.calibrate(DATA / "judge_calibration.jsonl", encoder_path=encoder_path) == found.threshold


# --- cross-validated training of the trained verifier ---------------------------------------------


def test_folds_keep_each_property_together_and_training_sees_only_the_other_fold(tasks):
    folds = bench.assign_folds(tasks, seed=0)
    assert set(folds) == {0, 1} and abs(folds.count(0) - folds.count(1)) <= 3
    by_property = {}
    for t, f in zip(tasks, folds, strict=True):
        by_property.setdefault(t["property"], set()).add(f)
    assert all(len(f) == 1 for f in by_property.values())
    assert bench.assign_folds(tasks, seed=0) == folds
    for fold in (0, 1):
        train = [t for t, f in zip(tasks, folds, strict=True) if f != fold]
        held = [t for t, f in zip(tasks, folds, strict=True) if f == fold]
        judgments = bench.training_judgments(train, seed=0)
        seen = {a for a, _, _ in judgments}
        assert not seen & {a for t in held for a in t["human_annotations"]}
        assert {label for _, _, label in judgments} == {0, 1}
    # a label for another task's annotation comes from the sample's tags: some of the "rest" are sports
    sports = next(t for t in tasks if t["name"] == "topic_sports_vs_cooking")
    cooking = next(t for t in tasks if t["name"] == "topic_cooking_vs_rest")
    labelled = bench.training_judgments([sports, cooking], seed=0, negatives_per_sample=2)
    rest = dict(zip(cooking["negative_samples"], cooking["negative_tags"], strict=True))
    crossed = [(x, y) for a, x, y in labelled if a == "is about sports" and x in rest]
    assert crossed and any(y for _, y in crossed)
    assert all(y == ("topic:sports" in rest[x]) for x, y in crossed)


# --- the CLI --------------------------------------------------------------------------------------


def tiny_file(tmp_path, extra=()):
    small = benchmark.build_tasks(seed=0, samples_per_side=20)
    chosen = [t for t in small if t["name"] in ("topic_sports_vs_cooking", "form_number")]
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(chosen + list(extra)))
    return path


KEYS = {
    "n",
    "top1",
    "top5",
    "mean_validity_top1",
    "seconds_per_task",
    "failures",
    "tasks",
    "top5_proposal_order",
}


def run_cli(capsys, *argv):
    code = bench.main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out.strip().splitlines(), captured.err


def test_cli_on_a_tiny_file(tmp_path, capsys, encoder_path):
    path = tiny_file(tmp_path)
    common = ("--tasks", path, "--encoder", encoder_path, "--device", "cpu", "--n-hypotheses", 8)
    code, lines, _ = run_cli(capsys, *common, "--limit", 2, "--json")
    assert code == 0 and len(lines) == 1
    summary = json.loads(lines[-1])
    assert KEYS <= set(summary) and summary["n"] == 2 and summary["failures"] == []
    assert summary["config"]["proposer"] == "discriminative" and summary["config"]["verifier"] == "embedding"
    for task in summary["tasks"]:
        assert {"index", "hypotheses", "proposal_order", "top1", "top5", "top5_proposal_order"} <= set(task)
        assert 1 <= len(task["hypotheses"]) <= 5
        for h in task["hypotheses"]:
            assert {"hypothesis", "validity", "proposal_rank", "similarity", "match"} <= set(h)
        assert [h["proposal_rank"] for h in task["proposal_order"]] == sorted(
            h["proposal_rank"] for h in task["proposal_order"]
        )
    # a line per task without --json, the summary last; cross-validated trained verifier per fold
    code, lines, _ = run_cli(capsys, *common, "--verifier", "trained", "--no-rerank")
    assert code == 0 and len(lines) == 3 and "topic_sports_vs_cooking" in lines[0]
    summary = json.loads(lines[-1])
    assert KEYS <= set(summary) and summary["failures"] == []
    assert {t["fold"] for t in summary["tasks"]} == {0, 1} and set(summary["training"]["judgments"]) == {
        "0",
        "1",
    }
    assert summary["top5"] == summary["top5_proposal_order"]  # no re-ranking: the same five


def test_a_failing_task_is_recorded_and_the_run_goes_on(tmp_path, capsys, encoder_path):
    broken = {"name": "too_small", "positive_samples": ["a b", "c d", "e f"], "negative_samples": ["g h"] * 5}
    path = tiny_file(tmp_path, [{**broken, "human_annotations": ["is short"]}])
    code, lines, _ = run_cli(capsys, "--tasks", path, "--encoder", encoder_path, "--device", "cpu", "--json")
    assert code == 0
    summary = json.loads(lines[-1])
    assert summary["n"] == 3 and len(summary["tasks"]) == 2
    [failure] = summary["failures"]
    assert (
        failure["index"] == 2 and failure["name"] == "too_small" and "at least 4 samples" in failure["error"]
    )


@pytest.mark.parametrize(
    "content, argv, message",
    [
        (None, [], "no task file"),
        ("{not json", [], "not valid JSON"),
        ('{"a": 1}', [], "JSON list"),
        ('[{"positive_samples": ["x"], "negative_samples": ["y"]}]', [], "lacks human_annotations"),
        (
            '[{"positive_samples": [], "negative_samples": ["y"], "human_annotations": ["z"]}]',
            [],
            "non-empty",
        ),
        ("[]", ["--proposer", "oracle"], "invalid choice"),
        ("[]", ["--verifier", "oracle"], "invalid choice"),
        ("[]", ["--verifier", "trained", "--trained-verifier", "missing.npz"], "no trained verifier"),
        (
            '[{"positive_samples": ["x"], "negative_samples": ["y"], "human_annotations": ["z"]}]',
            ["--only", "7"],
            "no task",
        ),
    ],
)
def test_bad_arguments_exit_2_with_a_message(tmp_path, capsys, content, argv, message, encoder_path):
    path = tmp_path / "tasks.json"
    if content is not None:
        path.write_text(content)
    if "--encoder" not in argv:  # a real encoder, so each case fails for its own reason only
        argv = [*argv, "--encoder", encoder_path]
    code, lines, err = run_cli(capsys, "--tasks", path, *argv)
    assert code == 2 and message in err and not lines


def test_the_module_exits_2_on_a_missing_file(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "ml.describe.bench", "--tasks", str(tmp_path / "none.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "no task file" in result.stderr and result.stdout == ""


def test_select_tasks_and_the_proposals_cache(tmp_path, tasks):
    assert bench.select_tasks(tasks, "form_question, 0", 0) == [0, 11]
    assert bench.select_tasks(tasks, None, 3) == [0, 1, 2]
    with pytest.raises(bench.UsageError, match="no task 'nope'"):
        bench.select_tasks(tasks, "nope", 0)

    class Counting:
        name = "counting"
        calls = 0

        def propose(self, positive, negative, n, seed):
            Counting.calls += 1
            return [f"mentions {positive[0]}", f"seed {seed}"][:n]

    path = tmp_path / "cache.json"
    first = bench.CachedProposer(Counting(), path, "model")
    assert first.propose(["a", "b"], ["c"], 2, 0) == ["mentions a", "seed 0"]
    assert first.propose(["a", "b"], ["c"], 2, 0) == ["mentions a", "seed 0"] and first.hits == 1
    again = bench.CachedProposer(Counting(), path, "model")  # read back from the file
    assert again.propose(["a", "b"], ["c"], 2, 0) == ["mentions a", "seed 0"] and again.hits == 1
    assert again.propose(["a", "b"], ["c"], 2, 1) == ["mentions a", "seed 1"]
    other_model = bench.CachedProposer(Counting(), path, "another model")
    other_model.propose(["a", "b"], ["c"], 2, 0)
    assert Counting.calls == 3 and other_model.hits == 0
