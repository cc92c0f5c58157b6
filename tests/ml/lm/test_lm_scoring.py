import pytest
import torch
from lm_testing import spiky_model

from ml.lm.scoring import continuation_logprobs, continuation_token_logprobs, encode_pair
from ml.lm.tokenizers import train_bpe

PROMPTS = ["The cat", "Where is the", "", "Ana and Ben go to the park", "A"]
CONTS = [" sleeps.", " red ball?", "Hello", " every day.", " dog runs in the garden in the morning."]


def _reference(model, tokenizer, prompt, continuation):
    """One pair at a time, no padding: the per-token log-probs the batched code must reproduce."""
    context, cont = encode_pair(tokenizer, prompt, continuation)
    ids = torch.tensor([context + cont])
    with torch.no_grad():
        logprobs = model(input_ids=ids).logits[0].log_softmax(-1)
    return [logprobs[len(context) + i - 1, tok].item() for i, tok in enumerate(cont)]


@pytest.mark.parametrize("kind", ["gpt2", "llama"])
def test_batched_scores_equal_unbatched(kind, char_tok):
    model = spiky_model(kind, char_tok)
    per_token = continuation_token_logprobs(model, char_tok, PROMPTS, CONTS, batch_size=2)
    totals = continuation_logprobs(model, char_tok, PROMPTS, CONTS, batch_size=64)
    for prompt, cont, got, total in zip(PROMPTS, CONTS, per_token, totals, strict=True):
        expected = _reference(model, char_tok, prompt, cont)
        assert len(got) == len(cont)  # char tokenizer: one token per character
        assert got == pytest.approx(expected, abs=1e-4)
        assert total == pytest.approx(sum(expected), abs=1e-3)
        assert all(v < 0 for v in got)


def test_bpe_pairs_split_at_the_prompt_boundary(corpus):
    tok = train_bpe(corpus, vocab_size=300)
    context, cont = encode_pair(tok, "The cat", " sleeps in the barn.")
    assert context == tok("The cat")["input_ids"]
    assert tok.decode(cont) == " sleeps in the barn."
    assert encode_pair(tok, "", "x")[0] == [tok.bos_token_id]


def test_edge_cases(char_tok):
    model = spiky_model("gpt2", char_tok)
    assert continuation_logprobs(model, char_tok, ["The cat"], [""]) == [0.0]
    assert continuation_token_logprobs(model, char_tok, [], []) == []
    with pytest.raises(ValueError, match="continuations"):
        continuation_logprobs(model, char_tok, ["a", "b"], ["c"])
    with pytest.raises(ValueError, match="does not fit"):
        continuation_logprobs(model, char_tok, ["a"], ["x" * 200])
    # A prompt longer than the context is cut from the left, keeping the whole continuation.
    long = continuation_token_logprobs(model, char_tok, ["word " * 40], [" end"])
    assert len(long[0]) == 4
