import pytest
from apel_testing import tiny_lm_dir

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
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from ml.apel.lm_candidates import sample_candidates

    model_dir = tiny_lm_dir(tmp_path / "lm", build_prompt(schema, "How many singers?"))
    pairs = sample_candidates(model_dir, schema, "How many singers?", n=6, max_new_tokens=12, seed=0)
    assert pairs and sum(w for _, w in pairs) <= 6
    assert all(sql.startswith("SELECT") and w >= 1 for sql, w in pairs)
    assert pairs == sample_candidates(model_dir, schema, "How many singers?", n=6, max_new_tokens=12, seed=0)
