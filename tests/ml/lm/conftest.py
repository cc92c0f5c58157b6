import pytest
import torch

from ml.lm.data.make_corpus import make_corpus
from ml.lm.tokenizers import char_tokenizer


@pytest.fixture(autouse=True)
def _one_torch_thread():
    # These models are tiny: one thread is as fast as two, and on a busy machine two threads
    # spin-wait on each other and run ~30x slower.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def corpus() -> list[str]:
    return make_corpus(300, seed=1)


@pytest.fixture(scope="session")
def char_tok(corpus):
    return char_tokenizer(corpus)
