import pytest

from ml.apel.lm_candidates import build_prompt, count_samples, extract_sql


def test_prompt_holds_the_schema_and_question(schema):
    prompt = build_prompt(schema, "  How many singers?  ")
    assert 'CREATE TABLE "singer"' in prompt and "-- Question: How many singers?" in prompt
    assert prompt.endswith("SELECT")


def test_samples_are_cut_and_counted():
    completions = [
        " count(*) FROM singer;\nSELECT junk",
        " count(*)  FROM singer\n\nmore text",
        " name FROM singer\n-- a comment",
        "",
    ]
    assert extract_sql(completions[0]) == "SELECT count(*) FROM singer"
    assert count_samples(completions) == [
        ("SELECT count(*) FROM singer", 2.0),
        ("SELECT name FROM singer", 1.0),
    ]


def test_sampling_from_a_local_model_directory(schema, tmp_path):
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from ml.apel.lm_candidates import sample_candidates
    from ml.lm.models import tiny_gpt2
    from ml.lm.tokenizers import char_tokenizer

    text = build_prompt(schema, "How many singers?") + " count(*) FROM singer WHERE age > 30;"
    tokenizer = char_tokenizer([text])
    torch.manual_seed(0)
    model = tiny_gpt2(len(tokenizer), n_layer=1, n_embd=16, n_head=2, block_size=1024,
                      bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                      pad_token_id=tokenizer.pad_token_id)  # fmt: skip
    model.save_pretrained(tmp_path / "lm")
    tokenizer.save_pretrained(tmp_path / "lm")
    pairs = sample_candidates(tmp_path / "lm", schema, "How many singers?", n=6, max_new_tokens=12, seed=0)
    assert pairs and sum(w for _, w in pairs) <= 6
    assert all(sql.startswith("SELECT") and w >= 1 for sql, w in pairs)
    assert pairs == sample_candidates(
        tmp_path / "lm", schema, "How many singers?", n=6, max_new_tokens=12, seed=0
    )
