import pytest
import torch
from lm_testing import spiky_model

from ml.lm.generate import SamplingParams, _next_tokens, _row_gumbel, generate, sample

PROMPTS = ["The cat", "A", "Where is the red ball near the", "Ana and Ben go"]


@pytest.mark.parametrize("kind", ["gpt2", "llama"])
def test_batched_greedy_equals_unbatched_and_hf_generate(kind, char_tok):
    model = spiky_model(kind, char_tok)
    batched = generate(model, char_tok, PROMPTS, max_new_tokens=24, temperature=0)
    single = [generate(model, char_tok, [p], max_new_tokens=24, temperature=0)[0] for p in PROMPTS]
    assert batched == single
    assert len({c[0].text for c in batched}) == len(PROMPTS)  # the outputs really differ per prompt

    # An independent reference: transformers' own greedy search, one prompt at a time.
    for prompt, [completion] in zip(PROMPTS, batched, strict=True):
        ids = char_tok(prompt, return_tensors="pt")
        out = model.generate(**ids, max_new_tokens=24, do_sample=False, pad_token_id=char_tok.pad_token_id)
        expected = char_tok.decode(out[0, ids["input_ids"].shape[1] :], skip_special_tokens=True)
        assert completion.text == expected


@pytest.mark.parametrize("kind", ["gpt2", "llama"])
def test_batch_size_does_not_change_greedy_output(kind, char_tok):
    model = spiky_model(kind, char_tok, seed=3)
    prompts = PROMPTS * 3
    assert sample(model, char_tok, prompts, 20, temperature=0, batch_size=5) == sample(
        model, char_tok, prompts, 20, temperature=0, batch_size=64
    )


def test_stop_strings_truncate_only_their_own_sequence(char_tok):
    model = spiky_model("gpt2", char_tok, seed=1)
    free = generate(model, char_tok, PROMPTS, max_new_tokens=30, temperature=0)
    # Pick a stop string from the middle of the first continuation; rows without it must not change.
    text0 = free[0][0].text
    assert len(text0) >= 6, text0
    stop = text0[3:5]
    stopped = generate(model, char_tok, PROMPTS, max_new_tokens=30, temperature=0, stop=[stop, "\x00never"])
    for before, [after] in zip(free, stopped, strict=True):
        cut = before[0].text.find(stop)
        if cut >= 0:
            assert after.text == before[0].text[:cut]
            assert after.finish_reason == "stop"
            assert after.num_tokens < before[0].num_tokens or before[0].finish_reason != "length"
        else:
            assert after == before[0]
    assert stopped[0][0].text == text0[: text0.find(stop)]


def test_eos_ends_a_sequence(char_tok):
    model = spiky_model("llama", char_tok, seed=2)
    free = generate(model, char_tok, ["The"], max_new_tokens=20, temperature=0)[0][0]
    assert len(free.text) > 6, free
    # Declare the 6th generated character to be an end-of-sequence token.
    model.generation_config.eos_token_id = char_tok.convert_tokens_to_ids(free.text[5])
    ended = generate(model, char_tok, ["The"], max_new_tokens=20, temperature=0)[0][0]
    first = free.text.index(free.text[5])
    assert ended.finish_reason == "eos"
    assert ended.text == free.text[:first] and ended.num_tokens == first + 1


def test_length_limit_and_ignore_eos(char_tok):
    model = spiky_model("gpt2", char_tok)
    prompts = PROMPTS + ["hello", "x", "The dog"]
    free = generate(model, char_tok, prompts, max_new_tokens=30, temperature=0)
    assert {c.finish_reason for [c] in free} == {"eos", "length"}  # this model ends some rows early
    forced = generate(model, char_tok, prompts, max_new_tokens=30, temperature=0, ignore_eos=True)
    for [before], [after] in zip(free, forced, strict=True):
        assert after.num_tokens == 30 and after.finish_reason == "length"
        assert after.text.startswith(before.text)
        if before.finish_reason == "length":
            assert before.num_tokens == 30 and after == before
    assert sample(model, char_tok, ["x"], max_new_tokens=0) == [[""]]


def test_seeded_sampling_is_reproducible(char_tok):
    model = spiky_model("llama", char_tok)
    args = dict(max_new_tokens=16, temperature=1.0, top_p=0.95, top_k=20, num_return_sequences=4)
    first = sample(model, char_tok, PROMPTS, seed=7, **args)
    assert sample(model, char_tok, PROMPTS, seed=7, **args) == first
    assert sample(model, char_tok, PROMPTS, seed=8, **args) != first
    assert [len(per_prompt) for per_prompt in first] == [4] * len(PROMPTS)
    assert len({t for per_prompt in first for t in per_prompt}) > len(PROMPTS)  # samples differ


def test_top_k_1_and_tiny_top_p_are_greedy(char_tok):
    model = spiky_model("gpt2", char_tok)
    greedy = sample(model, char_tok, PROMPTS, 12, temperature=0)
    assert sample(model, char_tok, PROMPTS, 12, temperature=1.5, top_k=1, seed=3) == greedy
    assert sample(model, char_tok, PROMPTS, 12, temperature=1.5, top_p=1e-6, seed=3) == greedy


def test_top_p_keeps_the_smallest_set_covering_p():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]])).repeat(2000, 1)
    gen = torch.Generator().manual_seed(0)
    picked = _next_tokens(logits, SamplingParams(temperature=1.0, top_p=0.7), gen)
    assert set(picked.tolist()) == {0, 1}
    share = (picked == 0).float().mean().item()
    assert abs(share - 0.5 / 0.8) < 0.05  # renormalised over the kept tokens
    picked = _next_tokens(logits, SamplingParams(temperature=1.0, top_k=3), gen)
    assert set(picked.tolist()) == {0, 1, 2}


def test_invalid_arguments(char_tok):
    model = spiky_model("gpt2", char_tok)
    for bad in (dict(temperature=-1), dict(top_p=0), dict(top_k=-1), dict(stop=[""]), dict(batch_size=0)):
        with pytest.raises(ValueError):
            generate(model, char_tok, ["a"], max_new_tokens=2, **bad)
    with pytest.raises(ValueError, match="no room"):
        generate(model, char_tok, ["a"], max_new_tokens=96)


def test_long_prompts_are_cut_from_the_left(char_tok):
    model = spiky_model("gpt2", char_tok, block_size=40)
    long = "The cat sleeps in the garden. " * 5
    [[got]] = generate(model, char_tok, [long], max_new_tokens=10, temperature=0)
    # Only the last 30 prompt tokens fit next to 10 new ones in 40 positions.
    kept = torch.tensor([char_tok(long)["input_ids"][-30:]])
    out = model.generate(
        input_ids=kept, max_new_tokens=10, do_sample=False, pad_token_id=char_tok.pad_token_id
    )
    assert got.text == char_tok.decode(out[0, 30:], skip_special_tokens=True)


@pytest.mark.parametrize("kind", ["gpt2", "llama"])
def test_row_seeds_make_a_row_independent_of_its_batch(kind, char_tok):
    model = spiky_model(kind, char_tok)
    args = dict(max_new_tokens=16, temperature=1.0, top_p=0.95, top_k=20)
    seeds = [11, -12, 2**64 - 1, 14]  # any int: wrapped into 64 bits
    together = sample(model, char_tok, PROMPTS, row_seeds=seeds, **args)
    alone = [
        sample(model, char_tok, [p], row_seeds=[s], **args)[0] for p, s in zip(PROMPTS, seeds, strict=True)
    ]
    assert together == alone
    assert sample(model, char_tok, PROMPTS, row_seeds=seeds, batch_size=3, seed=5, **args) == together
    # other company, another order: the same rows give the same samples
    mixed = sample(model, char_tok, ["Ben", *PROMPTS[::-1], "zz"], row_seeds=[1, *seeds[::-1], 2], **args)
    assert mixed[1:5] == together[::-1]
    # num_return_sequences: one seed per output row, prompt-major
    pairs = sample(model, char_tok, PROMPTS[:2], num_return_sequences=2, row_seeds=[11, 7, -12, 11], **args)
    assert pairs[0][0] == together[0][0] and pairs[1][0] == together[1][0]
    assert pairs[1][1] == sample(model, char_tok, [PROMPTS[1]], row_seeds=[11], **args)[0][0]
    # different seeds, different samples; temperature 0 ignores them
    many = sample(model, char_tok, [PROMPTS[0]] * 8, row_seeds=range(8), **args)
    assert len({t for [t] in many}) > 4
    greedy = sample(model, char_tok, PROMPTS, max_new_tokens=12, temperature=0)
    assert sample(model, char_tok, PROMPTS, max_new_tokens=12, temperature=0, row_seeds=seeds) == greedy


def test_row_seeds_need_one_seed_per_output_row(char_tok):
    model = spiky_model("gpt2", char_tok)
    with pytest.raises(ValueError, match="row_seeds"):
        generate(model, char_tok, PROMPTS, max_new_tokens=2, row_seeds=[1, 2, 3])
    with pytest.raises(ValueError, match="row_seeds"):
        generate(model, char_tok, PROMPTS[:2], max_new_tokens=2, num_return_sequences=2, row_seeds=[1, 2])


def test_row_seed_noise_samples_the_softmax_after_filtering():
    probs = torch.tensor([0.5, 0.3, 0.15, 0.05])
    logits = torch.log(probs).repeat(4000, 1)
    gumbel = _row_gumbel(torch.arange(4000), 0, 4)
    picked = _next_tokens(logits, SamplingParams(temperature=1.0), None, gumbel)
    shares = torch.bincount(picked, minlength=4).float() / 4000
    assert torch.allclose(shares, probs, atol=0.03)
    picked = _next_tokens(logits, SamplingParams(temperature=1.0, top_p=0.7), None, gumbel)
    assert set(picked.tolist()) == {0, 1} and abs((picked == 0).float().mean().item() - 0.5 / 0.8) < 0.03
    # a pure function of (seed, position, token): the same for a row wherever it sits
    assert torch.equal(_row_gumbel(torch.tensor([7, 3]), 5, 4)[1], _row_gumbel(torch.tensor([3]), 5, 4)[0])
    assert not torch.equal(_row_gumbel(torch.tensor([3]), 5, 4), _row_gumbel(torch.tensor([3]), 6, 4))


@pytest.mark.parametrize("kind", ["gpt2", "llama"])
def test_a_prompt_shared_by_many_rows_is_read_once_with_the_same_samples(kind, char_tok, monkeypatch):
    import ml.lm.generate as generation

    model = spiky_model(kind, char_tok)
    prompts = [PROMPTS[0], PROMPTS[2], PROMPTS[0]]  # a repeated prompt, as a beam's siblings are
    args = dict(max_new_tokens=12, temperature=1.0, num_return_sequences=3, row_seeds=range(9))
    first_batches = []

    def count_first_forward(module, args_, kwargs):
        if kwargs.get("cache") is None:
            first_batches.append(kwargs["input_ids"].shape[0])

    hook = model.register_forward_pre_hook(count_first_forward, with_kwargs=True)
    shared = sample(model, char_tok, prompts, **args)
    monkeypatch.setattr(generation, "SHARED_PREFILL", False)
    separate = sample(model, char_tok, prompts, **args)
    hook.remove()
    assert first_batches == [2, 9]  # two distinct prompts, against all nine rows
    assert shared == separate
    assert len({t for per in shared for t in per}) > 3  # the rows really are sampled apart
