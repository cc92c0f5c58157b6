import json

import numpy as np
import pytest

from ml.describe.pipeline import describe, describe_in_detail
from ml.describe.proposers import DiscriminativeProposer
from ml.experiments import ParamError, get


class FixedProposer:
    name = "fixed"

    def __init__(self, hypotheses):
        self.hypotheses = hypotheses
        self.seen = None

    def propose(self, positive, negative, n, seed):
        self.seen = (list(positive), list(negative))
        return self.hypotheses[:n]


class DigitVerifier:
    """An oracle for the toy pair: 'number' hypotheses hold for texts with a digit, others at random."""

    name = "digits"

    def __init__(self):
        self.calls = 0

    def scores(self, hypotheses, texts):
        self.calls += len(hypotheses) * len(texts)
        has_digit = np.array([any(ch.isdigit() for ch in t) for t in texts], dtype=float)
        rng = np.random.default_rng(len(texts))
        return np.array(
            [has_digit if "number" in h else rng.uniform(0.3, 0.5, len(texts)) for h in hypotheses]
        )


def test_describe_end_to_end_finds_the_number_difference(number_pair, embedding_verifier):
    positive, negative = number_pair
    rows = describe(positive, negative, DiscriminativeProposer(), embedding_verifier, n_hypotheses=10, seed=0)
    top = rows[:3]
    number = [r for r in top if "number" in r.hypothesis]
    assert number, [r.hypothesis for r in rows]
    assert number[0].validity > 0 and number[0].p_value < 0.05
    assert [r.rank for r in rows] == list(range(1, len(rows) + 1))
    assert [r.validity for r in rows] == sorted((r.validity for r in rows), reverse=True)
    assert sorted(r.proposal_rank for r in rows) == list(range(1, len(rows) + 1))
    row = number[0].to_dict()
    assert row["ci_low"] <= row["validity"] <= row["ci_high"] and row["p_holm"] >= row["p_value"]
    assert row["n_positive"] == row["n_negative"] == 40
    assert all(ex in positive for ex in row["examples"]) and len(row["examples"]) <= 3


def test_describe_splits_ranks_and_keeps_proposal_order_without_rerank(number_pair):
    positive, negative = number_pair
    proposer = FixedProposer(["is a question", "mentions a number", "mentions a number", "is long"])
    detail = describe_in_detail(positive, negative, proposer, DigitVerifier(), heldout_fraction=0.25, seed=1)
    assert detail.split == {
        "proposal_positive": 60,
        "proposal_negative": 60,
        "heldout_positive": 20,
        "heldout_negative": 20,
    }
    # the proposer saw only proposal samples, most representative first
    assert sorted(proposer.seen[0]) == sorted(detail.representative.positive)
    assert len(proposer.seen[0]) == 60
    rows = detail.rows
    assert [r.hypothesis for r in rows][0] == "mentions a number" and len(rows) == 3  # duplicate dropped
    best = rows[0]
    assert best.validity == 1.0 and best.examples and all(any(c.isdigit() for c in e) for e in best.examples)
    assert best.proposal_rank == 2 and best.p_holm < 1e-6
    same_order = describe(
        positive, negative, proposer, DigitVerifier(), heldout_fraction=0.25, seed=1, rerank=False
    )
    assert [r.hypothesis for r in same_order] == ["is a question", "mentions a number", "is long"]
    assert [r.proposal_rank for r in same_order] == [1, 2, 3]


def test_describe_with_blockwise_elimination_spends_fewer_calls(number_pair):
    positive, negative = number_pair
    hypotheses = ["mentions a number"] + [f"is odd in way {i}" for i in range(5)]
    verifier = DigitVerifier()
    detail = describe_in_detail(
        positive, negative, FixedProposer(hypotheses), verifier, top_k=1, blocks=4, seed=0
    )
    assert detail.verifier_calls == verifier.calls < detail.verifier_calls_without_elimination == 6 * 80
    assert detail.rows[0].hypothesis == "mentions a number" and not detail.rows[0].eliminated
    eliminated = [r for r in detail.rows if r.eliminated]
    assert eliminated and all(r.n_positive < 40 for r in eliminated)
    assert all(r.rank > 1 for r in eliminated)


def test_describe_with_no_hypotheses(number_pair):
    detail = describe_in_detail(*number_pair, FixedProposer([]), DigitVerifier())
    assert detail.rows == [] and detail.verifier_calls == 0


def test_describe_too_few_samples():
    with pytest.raises(ValueError, match="at least 4 samples"):
        describe(["a", "b", "c"], ["d", "e", "f", "g"], FixedProposer(["x y"]), DigitVerifier())


def write_jsonl(path, texts):
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts))
    return path


def test_describe_run_through_the_registry(tmp_path, number_pair, encoder_path):
    positive, negative = number_pair
    a = write_jsonl(tmp_path / "a.jsonl", positive)
    b = write_jsonl(tmp_path / "b.jsonl", negative)
    experiment = get("describe.run")
    assert experiment.queue == "gpu"
    params = experiment.validate(
        {"corpus_a": str(a), "corpus_b": str(b), "encoder": str(encoder_path), "n_hypotheses": 8, "top_k": 3}
    )
    progress = []
    workdir = tmp_path / "run"
    result = experiment.load_entry()(params, workdir, lambda f, m: progress.append(f))
    assert progress == sorted(progress) and progress[-1] == 1.0
    names = {p.path.name for p in result.artifacts}
    assert names == {"report.json", "report.md", "validity.png", "validity.svg"}
    assert all(p.path.is_file() for p in result.artifacts)
    report = json.loads((workdir / "report.json").read_text())
    assert report["params"]["n_hypotheses"] == 8 and report["corpora"]["positive"] == 80
    assert report["rows"][0]["rank"] == 1 and "number" in " ".join(
        r["hypothesis"] for r in report["rows"][:3]
    )
    assert "| rank |" in (workdir / "report.md").read_text()
    assert len(result.metrics["top"]) <= 3 and result.metrics["hypotheses"] == len(report["rows"])
    # the held-out samples are recorded: the only ones a hypothesis study may show people
    held = report["heldout"]
    assert len(held["positive"]) == report["split"]["heldout_positive"] == 40
    assert set(held["positive"]) <= set(positive) and set(held["negative"]) <= set(negative)
    assert {x for r in report["rows"] for x in r["examples"]} <= set(held["positive"])


def test_describe_run_one_labelled_file(tmp_path, number_pair, encoder_path):
    positive, negative = number_pair
    rows = [{"sentence": t, "kind": "exact"} for t in positive] + [
        {"sentence": t, "kind": "vague"} for t in negative
    ]
    path = tmp_path / "one.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    experiment = get("describe.run")
    params = experiment.validate(
        {
            "corpus_a": str(path),
            "text_field": "sentence",
            "label_field": "kind",
            "encoder": str(encoder_path),
            "n_hypotheses": 4,
            "max_samples": 30,
        }
    )
    experiment.load_entry()(params, tmp_path / "run", lambda f, m: None)
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["corpora"]["positive_label"] == "exact" and report["corpora"]["used_positive"] == 30


@pytest.mark.parametrize(
    "change, field",
    [
        ({"corpus_a": ""}, "corpus_a"),
        ({"corpus_a": "MISSING"}, "corpus_a"),
        ({"corpus_b": "MISSING"}, "corpus_b"),
        ({"text_field": "body"}, "text_field"),
        ({"corpus_b": "", "label_field": "kind"}, "label_field"),
        ({"corpus_b": "", "label_field": "label"}, "corpus_a"),  # one class only
        ({"corpus_b": "TINY"}, "corpus_b"),
        ({"encoder": "MISSING"}, "encoder"),
        ({"verifier": "trained"}, "trained_verifier"),
        ({"proposer": "lm", "lm": "MISSING"}, "lm"),
    ],
)
def test_describe_run_bad_input_points_at_the_field(tmp_path, change, field, encoder_path):
    good = tmp_path / "a.jsonl"
    good.write_text("".join(json.dumps({"text": f"text {i}", "label": "x"}) + "\n" for i in range(6)))
    tiny = write_jsonl(tmp_path / "tiny.jsonl", ["one", "two"])
    raw = {"corpus_a": str(good), "corpus_b": str(good), "encoder": str(encoder_path)}
    for key, value in change.items():
        raw[key] = {"MISSING": str(tmp_path / "missing"), "TINY": str(tiny)}.get(value, value)
    experiment = get("describe.run")
    with pytest.raises(ParamError) as excinfo:
        experiment.load_entry()(experiment.validate(raw), tmp_path / "run", lambda f, m: None)
    assert excinfo.value.field == field, str(excinfo.value)


SPORTS = [
    f"The {team} {verb} the {other} in {place}."
    for team in ("striker", "goalkeeper", "home side", "captain", "relay team")
    for verb in ("beat", "outran", "tackled")
    for other, place in (("visitors", "the final"), ("champions", "extra time"), ("defenders", "the derby"))
]
COOKING = [
    f"She {verb} the {food} with {extra} for {meal}."
    for verb in ("simmered", "baked", "roasted", "whisked", "seasoned")
    for food in ("onions", "bread", "soup")
    for extra, meal in (("garlic", "dinner"), ("butter", "lunch"), ("thyme", "the guests"))
]


def test_train_verifier_fits_saves_and_is_usable_by_describe_run(tmp_path, encoder_path):
    from ml.describe.verifiers import TrainedVerifier

    rows = [{"hypothesis": "is about sports", "text": t, "label": 1} for t in SPORTS[:30]]
    rows += [{"hypothesis": "is about sports", "text": t, "label": 0} for t in COOKING[:30]]
    path = tmp_path / "judgments.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    experiment = get("describe.train_verifier")
    params = experiment.validate({"judgments": str(path), "encoder": str(encoder_path)})
    result = experiment.load_entry()(params, tmp_path / "run", lambda f, m: None)
    assert result.metrics["train"] == 48 and result.metrics["heldout"] == 12
    assert result.metrics["train_accuracy"] >= 0.9 and result.metrics["heldout_accuracy"] >= 0.8
    verifier = TrainedVerifier.load(result.metrics["verifier"])
    [[yes, no]] = verifier.scores(["is about sports"], [SPORTS[40], COOKING[40]])  # neither seen in training
    assert yes > 0.5 > no


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no judgements file"),
        ("{not json}\n", "line 1"),
        ('{"hypothesis": "h", "text": "t", "label": 2}\n' * 4, "label must be 0 or 1"),
        ('{"hypothesis": "h", "text": "t", "label": 1}\n', "at least 4"),
        ('{"hypothesis": "h", "text": "t", "label": 1}\n' * 8, "both yes (1) and no (0)"),
    ],
)
def test_train_verifier_bad_judgements_point_at_the_field(tmp_path, content, message, encoder_path):
    path = tmp_path / "judgments.jsonl"
    if content is not None:
        path.write_text(content)
    experiment = get("describe.train_verifier")
    params = experiment.validate({"judgments": str(path), "encoder": str(encoder_path)})
    with pytest.raises(ParamError) as error:
        experiment.load_entry()(params, tmp_path / "run", lambda f, m: None)
    assert error.value.field == "judgments" and message in error.value.message
