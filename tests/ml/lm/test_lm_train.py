import pytest
import torch

from ml.experiments import Cancelled
from ml.lm.loading import load_model
from ml.lm.models import tiny_gpt2
from ml.lm.train import TrainConfig, _lr_at, evaluate, save_checkpoint, token_streams, train_causal_lm

FAST = dict(steps=60, batch_size=8, block_size=32, lr=3e-3, warmup=5, eval_every=20)


def _model(tok, seed=0):
    torch.manual_seed(seed)
    return tiny_gpt2(len(tok), n_layer=1, n_embd=32, n_head=4, block_size=32)


def test_training_reduces_loss_and_reports_progress(corpus, char_tok):
    model = _model(char_tok)
    cfg = TrainConfig(**FAST)
    _, val_stream = token_streams(char_tok, corpus, cfg.val_fraction, cfg.seed)
    before = evaluate(model, val_stream, cfg)
    calls = []
    result = train_causal_lm(model, char_tok, corpus, cfg, lambda f, m: calls.append((f, m)))

    assert len(result.losses) == 60
    assert [step for step, _ in result.val_losses] == [20, 40, 60]
    assert result.final_val_loss < before - 0.5  # a random model scores ~ln(vocab); training must beat it
    assert result.final_train_loss() < result.losses[0] - 0.5
    assert result.tokens_per_s > 0 and result.train_tokens == 60 * 8 * 32
    fractions = [f for f, _ in calls]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert fractions == sorted(fractions) and len(calls) > 10
    assert "loss" in calls[-1][1]


def test_cancelled_from_report_stops_training(corpus, char_tok):
    model = _model(char_tok)
    seen = []

    def report(fraction, message):
        seen.append(fraction)
        if fraction >= 0.5:
            raise Cancelled()

    with pytest.raises(Cancelled):
        train_causal_lm(model, char_tok, corpus, TrainConfig(**FAST), report)
    assert seen[-1] == pytest.approx(0.5)  # stopped at the first report past half, not at the end


def test_same_seed_same_losses(corpus, char_tok):
    runs = [train_causal_lm(_model(char_tok), char_tok, corpus, TrainConfig(**FAST)).losses for _ in range(2)]
    assert runs[0] == runs[1]
    other = train_causal_lm(_model(char_tok), char_tok, corpus, TrainConfig(**{**FAST, "seed": 1})).losses
    assert other != runs[0]


def test_token_streams_hold_out_whole_texts(char_tok):
    texts = [f"text number {i}" for i in range(20)]
    train, val = token_streams(char_tok, texts, val_fraction=0.1, seed=0)
    eos, bos = char_tok.eos_token_id, char_tok.bos_token_id
    assert int((val == eos).sum()) == 2 and int((train == eos).sum()) == 18
    assert int((val == bos).sum()) == 2 and val[0] == bos and val[-1] == eos
    with pytest.raises(ValueError, match="no training texts"):
        token_streams(char_tok, [], 0.1, 0)


def test_learning_rate_warms_up_then_decays_to_the_floor():
    cfg = TrainConfig(steps=100, lr=1.0, warmup=10, min_lr_ratio=0.1)
    rates = [_lr_at(s, cfg) for s in range(100)]
    assert rates[0] == pytest.approx(0.1) and rates[9] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(rates[10:], rates[11:], strict=False))
    assert rates[-1] == pytest.approx(0.1, abs=1e-3)


def test_checkpoint_reload_gives_identical_logits(corpus, char_tok, tmp_path):
    model = _model(char_tok)
    train_causal_lm(model, char_tok, corpus, TrainConfig(**{**FAST, "steps": 10}))
    out = save_checkpoint(model, char_tok, tmp_path / "ckpt")
    assert (out / "model.safetensors").is_file() and (out / "tokenizer.json").is_file()

    loaded, tok = load_model(out, device="cpu")
    texts = [t[:30] for t in corpus[:4]] + ["Ana"]  # within the 32 positions, of different lengths
    ids = tok(texts, padding=True, return_tensors="pt")
    assert (
        ids["input_ids"].tolist() == char_tok(texts, padding=True, return_tensors="pt")["input_ids"].tolist()
    )
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(**ids).logits, loaded(**ids).logits)
