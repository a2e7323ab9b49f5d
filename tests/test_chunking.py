"""chunk_layer: chunked = unchunked, chunks never exceed chunk_size, shared inputs broadcast."""

import pytest
import torch

from reference.chunking import chunk_layer


def _fn(x, y):
    return torch.tanh(x @ y.transpose(-1, -2)).sum(-1, keepdim=True) * x


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 15, 16, 100])
def test_chunked_equals_unchunked_with_broadcast_input(chunk_size):
    x = torch.randn(3, 5, 7, 4, dtype=torch.float64)
    y = torch.randn(
        3, 1, 6, 4, dtype=torch.float64
    )  # shared along the second batch dim
    sizes = []

    def fn(x, y):
        sizes.append(x.shape[:2].numel())
        return _fn(x, y)

    out = chunk_layer(fn, {"x": x, "y": y}, chunk_size, batch_dims=2)
    assert torch.equal(out, _fn(x, y))
    assert max(sizes) <= chunk_size
    assert sum(sizes) == 15


def test_none_is_one_call_and_all_shared_dims_broadcast():
    x = torch.randn(1, 5, 4)
    y = torch.randn(3, 1, 4)
    calls = []

    def fn(x, y):
        calls.append(1)
        return x + y

    assert torch.equal(chunk_layer(fn, {"x": x, "y": y}, None, 2), x + y)
    assert len(calls) == 1
    assert torch.equal(chunk_layer(fn, {"x": x, "y": y}, 2, 2), x + y)


def test_bad_chunk_size():
    with pytest.raises(ValueError, match="chunk_size"):
        chunk_layer(_fn, {"x": torch.ones(2, 3), "y": torch.ones(2, 3)}, 0, 1)
