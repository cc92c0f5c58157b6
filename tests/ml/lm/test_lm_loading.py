import pytest
from transformers import BertConfig, BertModel

from ml.lm.loading import load_encoder, load_model


def test_missing_path_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no model at"):
        load_model(tmp_path / "nope")
    with pytest.raises(FileNotFoundError):
        load_encoder(tmp_path / "nope")


def test_wrong_files_are_value_errors(tmp_path):
    text = tmp_path / "weights.bin"
    text.write_text("not a model")
    with pytest.raises(ValueError, match="not a .gguf"):
        load_model(text)
    with pytest.raises(ValueError, match="no config.json"):
        load_model(tmp_path)
    fake = tmp_path / "fake.gguf"
    fake.write_bytes(b"definitely not gguf")
    with pytest.raises(ValueError, match="GGUF"):
        load_model(fake)


def test_an_encoder_is_not_loaded_as_a_causal_lm(tmp_path):
    config = BertConfig(
        vocab_size=30, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32
    )
    BertModel(config).save_pretrained(tmp_path)
    with pytest.raises(ValueError, match="not a causal LM"):
        load_model(tmp_path)
