import json
import math

import pytest

from ml.experiments import Cancelled, ParamError, get
from ml.lm.data.make_corpus import make_corpus
from ml.lm.experiment import BUILTIN_CORPUS, read_jsonl_texts, train_tiny
from ml.lm.generate import sample
from ml.lm.loading import load_model
from ml.lm.scoring import continuation_logprobs

TINY = {"n_layer": 1, "n_embd": 32, "n_head": 4, "block_size": 32, "steps": 40, "batch_size": 8}


def _params(**overrides):
    return get("lm.train_tiny").validate({**TINY, **overrides})


def _run(params, workdir):
    calls = []
    result = train_tiny(params, workdir, lambda f, m: calls.append((f, m)))
    return result, calls


def test_the_catalog_entry_points_here():
    assert get("lm.train_tiny").load_entry() is train_tiny


def test_train_tiny_end_to_end(tmp_path):
    result, calls = _run(_params(), tmp_path)

    kinds = {a.name: a.kind for a in result.artifacts}
    assert kinds == {
        "checkpoint": "checkpoint",
        "loss_curve.png": "plot",
        "loss_curve.svg": "plot",
        "metrics.json": "metrics",
        "loss_history.json": "metrics",
    }
    for artifact in result.artifacts:
        assert artifact.path.exists() and artifact.path.is_relative_to(tmp_path)
    png = (tmp_path / "loss_curve.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 5000
    assert (tmp_path / "loss_curve.svg").read_text().lstrip().startswith("<?xml")

    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics == result.metrics
    assert metrics["steps"] == 40 and metrics["seed"] == 0 and metrics["params"] > 10_000
    assert metrics["val_loss"] < 3.0
    assert metrics["perplexity"] == pytest.approx(math.exp(metrics["val_loss"]), rel=1e-4)
    assert metrics["tokens_per_s"] > 0 and metrics["dataset"] == "builtin:tiny_corpus"
    history = json.loads((tmp_path / "loss_history.json").read_text())
    assert len(history["train"]) == 40 and history["val"][-1][0] == 40

    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0

    # The checkpoint is a working model: it prefers corpus-like text to noise, and it samples.
    model, tok = load_model(tmp_path / "checkpoint", device="cpu")
    good, bad = continuation_logprobs(
        model, tok, ["The cat"] * 2, [" sleeps in the garden.", " qzx vvk jjw tq."]
    )
    assert good > bad
    [[text]] = sample(model, tok, ["The "], max_new_tokens=10, seed=0)
    assert isinstance(text, str)


def test_same_params_same_losses(tmp_path):
    first, _ = _run(_params(), tmp_path / "a")
    second, _ = _run(_params(), tmp_path / "b")
    other, _ = _run(_params(seed=1), tmp_path / "c")
    for key in ("train_loss", "val_loss", "params"):
        assert first.metrics[key] == second.metrics[key]
    assert other.metrics["val_loss"] != first.metrics["val_loss"]


def test_custom_dataset_with_bpe(tmp_path):
    data = tmp_path / "data.jsonl"
    data.write_text(
        "\n".join(json.dumps({"text": t, "id": i}) for i, t in enumerate(make_corpus(80))) + "\n\n"
    )
    result, _ = _run(_params(dataset=str(data), tokenizer="bpe", steps=10), tmp_path / "run")
    assert result.metrics["tokenizer"] == "bpe" and result.metrics["num_texts"] == 80
    assert result.metrics["dataset"] == str(data)
    assert (tmp_path / "run" / "checkpoint" / "tokenizer.json").is_file()


def test_bad_datasets_are_reported_with_the_line(tmp_path):
    data = tmp_path / "bad.jsonl"
    data.write_text('{"text": "fine"}\n\n{"text": oops}\n')
    with pytest.raises(ValueError, match="line 3"):
        train_tiny(_params(dataset=str(data)), tmp_path / "run", lambda f, m: None)
    data.write_text('{"text": "fine"}\n{"body": "no text"}\n')
    with pytest.raises(ValueError, match="line 2"):
        read_jsonl_texts(data)
    with pytest.raises(FileNotFoundError):
        read_jsonl_texts(tmp_path / "missing.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n")
    with pytest.raises(ValueError, match="no records"):
        read_jsonl_texts(tmp_path / "empty.jsonl")


def test_cancel_and_invalid_heads(tmp_path):
    def cancel_midway(fraction, message):
        if fraction > 0.3:
            raise Cancelled()

    with pytest.raises(Cancelled):
        train_tiny(_params(), tmp_path / "cancelled", cancel_midway)
    assert not (tmp_path / "cancelled" / "checkpoint").exists()
    with pytest.raises(ParamError) as err:
        train_tiny(_params(n_embd=30, n_head=4), tmp_path / "bad", lambda f, m: None)
    assert err.value.field == "n_head"


def test_builtin_corpus_is_the_generated_one():
    texts = read_jsonl_texts(BUILTIN_CORPUS)
    assert texts == make_corpus()
    assert 300 <= len(texts) and BUILTIN_CORPUS.stat().st_size < 200_000
