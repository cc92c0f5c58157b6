import pytest

from ml.lm.data.make_corpus import make_corpus
from ml.lm.tokenizers import char_tokenizer


@pytest.fixture(scope="session")
def corpus() -> list[str]:
    return make_corpus(300, seed=1)


@pytest.fixture(scope="session")
def char_tok(corpus):
    return char_tokenizer(corpus)
