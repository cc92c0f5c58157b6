"""Benchmark: ml.lm batched KV-cache sampling against `model.generate` called one prompt at a time.

    python bench/sampling.py [--prompts 64] [--new-tokens 64] [--repeats 3]

Both sides sample (temperature 1, no top-k/top-p) exactly --new-tokens tokens per prompt from the
same seeded tiny GPT-2, so tokens/s compare like for like. The naive side runs on a subset of the
prompts (its cost is linear in their number) to keep the run short. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch
import transformers

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere without installing

from ml.lm.data.make_corpus import make_corpus  # noqa: E402
from ml.lm.device import pick_device  # noqa: E402
from ml.lm.generate import generate  # noqa: E402
from ml.lm.models import count_params, tiny_gpt2  # noqa: E402
from ml.lm.seeding import seed_everything  # noqa: E402
from ml.lm.tokenizers import char_tokenizer  # noqa: E402


def ours(model, tokenizer, prompts: list[str], new_tokens: int, batch_size: int) -> float:
    """Tokens per second of ml.lm.generate over all prompts."""
    started = time.perf_counter()
    results = generate(
        model,
        tokenizer,
        prompts,
        max_new_tokens=new_tokens,
        temperature=1.0,
        seed=0,
        batch_size=batch_size,
        ignore_eos=True,
    )
    seconds = time.perf_counter() - started
    produced = sum(c.num_tokens for per_prompt in results for c in per_prompt)
    assert produced == len(prompts) * new_tokens
    return produced / seconds


def naive(model, tokenizer, prompts: list[str], new_tokens: int) -> float:
    """Tokens per second of transformers' generate, one prompt per call (its KV cache on)."""
    torch.manual_seed(0)
    produced = 0
    started = time.perf_counter()
    with torch.inference_mode():
        for prompt in prompts:
            ids = tokenizer(prompt, return_tensors="pt").to(model.device)
            out = model.generate(
                **ids,
                max_new_tokens=new_tokens,
                min_new_tokens=new_tokens,  # suppresses eos, so every call makes the same number
                do_sample=True,
                temperature=1.0,
                top_k=0,
                top_p=1.0,
                pad_token_id=tokenizer.pad_token_id,
            )
            produced += out.shape[1] - ids["input_ids"].shape[1]
    return produced / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prompts", type=int, default=64)
    parser.add_argument("--naive-prompts", type=int, default=8)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--device", default=None, help="cpu, cuda, mps (default: ml.lm.device.pick_device)")
    args = parser.parse_args()
    transformers.logging.set_verbosity_error()  # generate() warns when a random model samples <pad>
    if args.threads:
        torch.set_num_threads(args.threads)

    seed_everything(0)
    corpus = make_corpus(400)
    tokenizer = char_tokenizer(corpus)
    model = (
        tiny_gpt2(
            len(tokenizer),
            n_layer=4,
            n_embd=192,
            n_head=6,
            block_size=256,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
        .to(pick_device(args.device))
        .eval()
    )
    # Prompts of different lengths (5 to 60 characters), so the batch really needs padding.
    prompts = [corpus[i][: 5 + (i * 7) % 56] for i in range(args.prompts)]

    # Greedy output must agree with transformers' before any speed is worth reporting.
    [[check]] = generate(model, tokenizer, [prompts[3]], max_new_tokens=16, temperature=0)
    ids = tokenizer(prompts[3], return_tensors="pt").to(model.device)
    ref = model.generate(**ids, max_new_tokens=16, do_sample=False, pad_token_id=tokenizer.pad_token_id)
    agrees = check.text == tokenizer.decode(ref[0, ids["input_ids"].shape[1] :], skip_special_tokens=True)

    ours(model, tokenizer, prompts[:8], 8, args.prompts)  # warm-up
    naive(model, tokenizer, prompts[:1], 8)
    ours_runs, naive_runs = [], []
    for r in range(args.repeats):
        ours_runs.append(ours(model, tokenizer, prompts, args.new_tokens, args.prompts))
        naive_runs.append(naive(model, tokenizer, prompts[: args.naive_prompts], args.new_tokens))
        print(
            f"repeat {r + 1}: ml.lm {ours_runs[-1]:,.0f} tok/s, naive {naive_runs[-1]:,.0f} tok/s", flush=True
        )

    ours_median, naive_median = statistics.median(ours_runs), statistics.median(naive_runs)
    summary = {
        "model": "gpt2",
        "params": count_params(model),
        "device": str(model.device),
        "torch_threads": torch.get_num_threads(),
        "batch": args.prompts,
        "naive_prompts": args.naive_prompts,
        "new_tokens": args.new_tokens,
        "repeats": args.repeats,
        "greedy_matches_transformers": agrees,
        "ours_tokens_per_s": round(ours_median, 1),
        "naive_tokens_per_s": round(naive_median, 1),
        "ratio": round(ours_median / naive_median, 2),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
