"""How long each exercise check takes (the promise: under 0.5 s each).

    python benchmarks/bench_checks.py [--lesson N] [--repeat R]

For every exercise: the visible check of a correct answer (the reference), of a
wrong one (its first typical mistake: the failure path, with the mistake matching),
and the hidden check of a correct answer, first when its reference outputs are
computed on the spot (the first hidden check of a session) and then once they are.
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
from grader.mistakes import mutant  # noqa: E402

LIMIT_S = 0.5


def timed(name: str, fn, hidden: bool, repeat: int, fresh: bool = False) -> float:
    """Median seconds of ``check.run``; ``fresh``: hidden references not yet computed."""
    check.run(name, fn, hidden=hidden)  # warm-up: imports, first-call overheads
    runs = []
    for _ in range(repeat):
        if fresh:
            check._cache.clear()
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
        for n, ex in exercises.all_exercises().items()
        if args.lesson in (None, ex.lesson)
    ]
    width = max(map(len, names))
    columns = ("pass ms", "fail ms", "hidden 1st", "hidden ms")
    print(f"{'exercise':<{width}}  " + "  ".join(f"{c:>10}" for c in columns))
    slowest = 0.0
    for name in names:
        ex = exercises.get(name)
        ref = ex.reference()
        wrong = mutant(name, 0) if ex.mistakes else None
        times = [
            timed(name, ref, False, args.repeat),
            timed(name, wrong, False, args.repeat) if wrong else float("nan"),
            timed(name, ref, True, args.repeat, fresh=True),
            timed(name, ref, True, args.repeat),
        ]
        slowest = max(slowest, *(t for t in times if t == t))
        print(f"{name:<{width}}  " + "  ".join(f"{t * 1e3:10.1f}" for t in times))
    print(f"slowest: {slowest * 1e3:.1f} ms (limit {LIMIT_S * 1e3:.0f} ms)")
    return 0 if slowest < LIMIT_S else 1


if __name__ == "__main__":
    sys.exit(main())
