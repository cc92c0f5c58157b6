import pytest
from transformers import AutoTokenizer, PreTrainedTokenizerFast

from ml.lm.tokenizers import BOS, EOS, PAD, UNK, char_tokenizer, train_bpe

SAMPLES = ["The cat sat.", "  two  spaces\nand a newline", "Ana, Ben & Cleo!"]


def test_char_tokenizer_round_trip_and_specials(corpus):
    tok = char_tokenizer(corpus + SAMPLES)
    assert isinstance(tok, PreTrainedTokenizerFast)
    assert (tok.pad_token, tok.bos_token, tok.eos_token, tok.unk_token) == (PAD, BOS, EOS, UNK)
    assert len({tok.pad_token_id, tok.bos_token_id, tok.eos_token_id, tok.unk_token_id}) == 4
    for text in SAMPLES:
        ids = tok(text)["input_ids"]
        assert ids[0] == tok.bos_token_id
        assert len(ids) == len(text) + 1  # one token per character, after <bos>
        assert tok.decode(ids, skip_special_tokens=True) == text


def test_char_tokenizer_maps_unseen_characters_to_unk():
    tok = char_tokenizer(["abc"])
    ids = tok("abz", add_special_tokens=False)["input_ids"]
    assert ids[2] == tok.unk_token_id and ids[:2] != [tok.unk_token_id] * 2


def test_bpe_round_trip_merges_and_unseen_unicode(corpus):
    tok = train_bpe(corpus, vocab_size=400)
    assert isinstance(tok, PreTrainedTokenizerFast)
    assert 260 < len(tok) <= 400
    text = "The dog runs in the park. Ünïcödé ✓"
    ids = tok(text)["input_ids"]
    assert tok.decode(ids, skip_special_tokens=True) == text  # byte-level: nothing is unknown
    assert tok.unk_token_id not in ids
    common = tok(" the park", add_special_tokens=False)["input_ids"]
    assert len(common) < len(" the park")  # frequent words were merged


def test_bpe_rejects_a_vocab_smaller_than_the_byte_alphabet(corpus):
    with pytest.raises(ValueError, match="vocab_size"):
        train_bpe(corpus, vocab_size=100)


@pytest.mark.parametrize("kind", ["char", "bpe"])
def test_save_pretrained_round_trips_through_auto_tokenizer(kind, corpus, tmp_path):
    tok = char_tokenizer(corpus) if kind == "char" else train_bpe(corpus, vocab_size=300)
    tok.save_pretrained(tmp_path)
    loaded = AutoTokenizer.from_pretrained(tmp_path, local_files_only=True)
    for text in SAMPLES + corpus[:5]:
        assert loaded(text)["input_ids"] == tok(text)["input_ids"]
    assert (loaded.pad_token_id, loaded.bos_token_id, loaded.eos_token_id) == (
        tok.pad_token_id,
        tok.bos_token_id,
        tok.eos_token_id,
    )
    assert len(loaded) == len(tok)
