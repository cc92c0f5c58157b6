import pytest
import torch


@pytest.fixture(autouse=True)
def _one_torch_thread():
    # The models in these tests are tiny: one thread is as fast as two, and on a busy machine two
    # threads spin-wait on each other and run ~30x slower.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
