from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True, scope="module")
def one_thread() -> Iterator[None]:
    # Attribution runs single-threaded, as the report worker does: OpenMP threads spin
    # on a shared machine and make a seconds-long test take minutes.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
