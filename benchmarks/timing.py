"""What the side-by-side benchmarks share: best-of-N timing and thread settings."""

from __future__ import annotations

import os
import time

import torch


def timed(fn, repeats: int) -> float:
    """Best wall time of ``fn()`` over ``repeats`` calls, after one warm-up call (the
    minimum is the figure least disturbed by other processes on the machine)."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def set_threads(n: int) -> None:
    """The same number of CPU threads for torch and for XLA; call before jax is imported."""
    torch.set_num_threads(n)
    os.environ["XLA_FLAGS"] = (
        os.environ.get("XLA_FLAGS", "")
        + f" --xla_cpu_multi_thread_eigen={'true' if n > 1 else 'false'}"
        + f" intra_op_parallelism_threads={n}"
    )
