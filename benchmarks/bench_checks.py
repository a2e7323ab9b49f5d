"""How long each exercise check takes (the promise: under 0.5 s each).

    python benchmarks/bench_checks.py [--lesson N] [--repeat R]

For every exercise: the visible check of a correct answer (the reference), of a
wrong one (its first mutant: the failure path, with the typical-mistake matching),
and the hidden check of a correct answer (the reference computed on the spot).
Median of R runs after one warm-up, in milliseconds, on this machine's CPU.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grader import check, exercises  # noqa: E402

LIMIT_S = 0.5


def timed(name: str, fn, hidden: bool, repeat: int) -> float:
    check.run(name, fn, hidden=hidden)  # warm-up: imports, first-call overheads
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        check.run(name, fn, hidden=hidden)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lesson", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    names = [
        n
        for n in exercises.all_exercises()
        if args.lesson in (None, exercises.lesson_of(n))
    ]
    width = max(map(len, names))
    print(f"{'exercise':<{width}}  {'pass ms':>8}  {'fail ms':>8}  {'hidden ms':>9}")
    slowest = 0.0
    for name in names:
        ex = exercises.get(name)
        ref = ex.reference()
        times = [
            timed(name, ref, False, args.repeat),
            timed(name, ex.mutants[0].fn, False, args.repeat)
            if ex.mutants
            else float("nan"),
            timed(name, ref, True, args.repeat),
        ]
        slowest = max(slowest, *(t for t in times if t == t))
        print(
            f"{name:<{width}}  {times[0] * 1e3:8.1f}  {times[1] * 1e3:8.1f}  {times[2] * 1e3:9.1f}"
        )
    print(f"slowest: {slowest * 1e3:.1f} ms (limit {LIMIT_S * 1e3:.0f} ms)")
    return 0 if slowest < LIMIT_S else 1


if __name__ == "__main__":
    sys.exit(main())
