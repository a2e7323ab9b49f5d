"""Chunking: run a layer on slices of its batch to bound peak memory.

SI §1.11.8 notes that the Evoformer's memory can be cut by computing attention
(and the other row-independent steps) for a few rows at a time; the released AF2
code calls this "subbatching". The result is the same as one big call, because
every row is computed independently.

``chunk_layer`` is the one place that does it. A module writes its layer for whole
tensors and wraps the call::

    o = chunk_layer(fn, {"m": m, "bias": bias}, chunk_size, batch_dims=m.dim() - 2)

The leading ``batch_dims`` dimensions of the inputs are the batch. An input may be
size 1 in some of them (e.g. a pair bias shared by all MSA rows): it broadcasts and
is never copied. Chunks are rectangular blocks of at most ``chunk_size`` batch
elements, and the results are written into one preallocated output, so the peak
memory is one full output plus one chunk's intermediates.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import torch


def chunk_layer(
    fn: Callable[..., torch.Tensor],
    inputs: dict[str, torch.Tensor],
    chunk_size: int | None,
    batch_dims: int,
) -> torch.Tensor:
    """Apply ``fn(**inputs)`` in chunks of the leading ``batch_dims`` dimensions.

    Args:
        fn: a function of the tensors in ``inputs`` (as keyword arguments) that acts
            independently on every batch element and returns one tensor
            ``[*batch, ...]``.
        inputs: the tensors; their first ``batch_dims`` dimensions must broadcast
            together.
        chunk_size: at most this many batch elements per call of ``fn``; ``None``
            calls ``fn`` once on everything.
        batch_dims: how many leading dimensions form the batch.

    Returns:
        ``fn(**inputs)``, computed chunk by chunk.
    """
    if chunk_size is None or batch_dims == 0:
        return fn(**inputs)
    if chunk_size < 1:
        raise ValueError(
            f"chunk_size must be a positive integer or None, got {chunk_size}"
        )
    batch_shape = torch.broadcast_shapes(
        *(x.shape[:batch_dims] for x in inputs.values())
    )
    out = None
    for index in _chunks(batch_shape, chunk_size):
        piece = fn(**{name: _select(x, index) for name, x in inputs.items()})
        if out is None:
            out = piece.new_empty(batch_shape + piece.shape[batch_dims:])
        out[index] = piece  # broadcasts where every input was shared along a dim
    return out


def _chunks(batch_shape: torch.Size, chunk_size: int) -> Iterator[tuple[slice, ...]]:
    """Rectangular blocks of at most ``chunk_size`` elements that tile ``batch_shape``.

    The trailing dimensions that fit in one chunk are taken whole; the next one is
    cut into runs of ``chunk_size // (their product)``; the ones before it are
    visited one index at a time.
    """
    pivot, inner = len(batch_shape) - 1, 1
    while pivot > 0 and inner * batch_shape[pivot] <= chunk_size:
        inner *= batch_shape[pivot]
        pivot -= 1
    step = max(1, chunk_size // inner)
    whole = (slice(None),) * (len(batch_shape) - pivot - 1)
    for outer in itertools.product(*(range(n) for n in batch_shape[:pivot])):
        for start in range(0, batch_shape[pivot], step):
            yield (
                tuple(slice(i, i + 1) for i in outer)
                + (slice(start, start + step),)
                + whole
            )


def _select(x: torch.Tensor, index: tuple[slice, ...]) -> torch.Tensor:
    """The chunk ``index`` of ``x``; dimensions where ``x`` has size 1 stay whole."""
    return x[tuple(slice(None) if n == 1 else s for n, s in zip(x.shape, index))]
