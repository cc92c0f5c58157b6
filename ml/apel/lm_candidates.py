"""Candidates sampled from a local causal LM: the prior a seed parser gives APEL.

The prompt is the schema as CREATE TABLE statements, the question as an SQL comment, and an
opening `SELECT`; each completion is cut at the first `;` or blank line. Identical samples
(after whitespace clean-up) are merged and their count is the candidate's weight.

torch and transformers are imported only inside `sample_candidates`, so importing this module
stays cheap. Loading and sampling go through `ml.lm` when it is there, otherwise straight through
transformers with local files only.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from ml.apel.schema import Schema

PREFIX = "SELECT"
_LOADED: dict[str, tuple] = {}  # the last model loaded, by resolved path


def build_prompt(schema: Schema, question: str) -> str:
    ddl = schema.to_ddl(constraints=True, nocase=False)
    return f"{ddl}\n\n-- Answer with one SQLite query.\n-- Question: {question.strip()}\n{PREFIX}"


def extract_sql(completion: str) -> str:
    """The query a completion spells, starting from the prompt's SELECT."""
    text = PREFIX + completion
    text = re.split(r";|\n\s*\n|\n--", text, maxsplit=1)[0]
    return " ".join(text.split())


def count_samples(completions: list[str]) -> list[tuple[str, float]]:
    """(sql, number of samples) for each distinct sample, most frequent first."""
    counts = Counter(s for s in (extract_sql(c) for c in completions) if s != PREFIX)
    return [(sql, float(n)) for sql, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def sample_candidates(
    model_dir: str | Path,
    schema: Schema,
    question: str,
    *,
    n: int = 16,
    temperature: float = 0.8,
    top_p: float = 0.95,
    max_new_tokens: int = 128,
    seed: int = 0,
) -> list[tuple[str, float]]:
    """Sample `n` queries for `question` and return them as weighted candidates."""
    prompt = build_prompt(schema, question)
    try:
        from ml.lm.generate import sample
        from ml.lm.loading import load_model
    except ImportError:  # ml.lm not available: use transformers directly
        completions = _sample_with_transformers(
            model_dir, prompt, n, temperature, top_p, max_new_tokens, seed
        )
    else:
        key = str(Path(model_dir).resolve())
        if key not in _LOADED:  # a benchmark samples for many questions from one model
            _LOADED.clear()
            _LOADED[key] = load_model(model_dir)
        model, tokenizer = _LOADED[key]
        completions = sample(
            model, tokenizer, [prompt], max_new_tokens=max_new_tokens, temperature=temperature, top_p=top_p,
            stop=[";", "\n\n"], seed=seed, num_return_sequences=n,
        )[0]  # fmt: skip
    return count_samples(completions)


def _sample_with_transformers(
    model_dir: str | Path,
    prompt: str,
    n: int,
    temperature: float,
    top_p: float,
    max_new_tokens: int,
    seed: int,
) -> list[str]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(model_dir, local_files_only=True).eval()
    torch.manual_seed(seed)
    inputs = tokenizer(prompt, return_tensors="pt")
    with torch.no_grad():
        out = model.generate(
            **inputs, do_sample=temperature > 0, temperature=temperature or None, top_p=top_p,
            max_new_tokens=max_new_tokens, num_return_sequences=n,
            pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id,
        )  # fmt: skip
    start = inputs["input_ids"].shape[1]
    return [tokenizer.decode(seq[start:], skip_special_tokens=True) for seq in out]
