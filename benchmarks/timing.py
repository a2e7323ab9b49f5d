"""What the side-by-side benchmarks share: thread settings that both sides obey,
alternated timing, medians, and the CPU time each side really used.

On a shared machine the speed drifts from minute to minute, so two programs are
compared run by run, A B A B ..., and the median of the pairs is quoted.
"""

from __future__ import annotations

import os
import resource
import statistics
import time
from collections.abc import Callable

import torch


def set_threads(n: int) -> None:
    """Give torch and XLA the same ``n`` CPU threads; call before jax is imported.

    XLA has no flag for its thread count (``--intra_op_parallelism_threads`` is
    rejected as unknown, and without the ``--`` it is silently ignored), and
    ``--xla_cpu_multi_thread_eigen=false`` alone still lets it run two threads. What
    both sides obey is the CPU affinity: the process is pinned to ``n`` of its CPUs,
    and torch gets ``n`` threads on them. ``cpu_per_wall`` in ``alternate`` shows
    what each side really used.
    """
    cpus = sorted(os.sched_getaffinity(0))
    if n < len(cpus):
        os.sched_setaffinity(0, cpus[:n])
    torch.set_num_threads(n)
    os.environ["XLA_FLAGS"] = (
        os.environ.get("XLA_FLAGS", "")
        + " --xla_cpu_multi_thread_eigen="
        + str(n > 1).lower()
    ).strip()


def _cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def alternate(fns: dict[str, Callable[[], object]], pairs: int) -> dict[str, dict]:
    """Time every function ``pairs`` times, in turn (A B A B ...), after one warm-up
    call each.

    Returns:
        per name: ``times`` (wall seconds per call), ``median`` and ``cpu_per_wall``
        (process CPU seconds over wall seconds during its calls: about the number
        of busy threads).
    """
    for fn in fns.values():
        fn()
    walls = {name: [] for name in fns}
    cpus = {name: 0.0 for name in fns}
    for _ in range(pairs):
        for name, fn in fns.items():
            c0, t0 = _cpu_seconds(), time.perf_counter()
            fn()
            walls[name].append(time.perf_counter() - t0)
            cpus[name] += _cpu_seconds() - c0
    return {
        name: {
            "times": t,
            "median": statistics.median(t),
            "cpu_per_wall": cpus[name] / sum(t),
        }
        for name, t in walls.items()
    }


def median_ratio(a: list[float], b: list[float]) -> float:
    """The median of the pairwise ratios a_i / b_i (robust to drift between pairs)."""
    return statistics.median(x / y for x, y in zip(a, b))


def load() -> str:
    """The machine's 1-minute load average, to print beside the figures."""
    return f"{os.getloadavg()[0]:.2f}"
