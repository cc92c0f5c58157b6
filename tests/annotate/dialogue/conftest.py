"""A tiny causal LM registered as a checkpoint: a model partner (agent or oracle) for dialogue games."""

import pytest

from evalhub.models import ModelCheckpoint


@pytest.fixture
def tiny_checkpoint(tmp_path):
    from ml.lm.models import tiny_gpt2
    from ml.lm.tokenizers import char_tokenizer
    from ml.lm.train import save_checkpoint

    tokenizer = char_tokenizer(["abcdefghijklmnopqrstuvwxyz ?.,:;0123456789\n"])
    model = tiny_gpt2(len(tokenizer), block_size=512, n_embd=32, n_head=2, n_layer=1)
    path = save_checkpoint(model, tokenizer, tmp_path / "agent")
    return ModelCheckpoint.objects.create(name="tiny-agent", kind="agent", path=str(path))
