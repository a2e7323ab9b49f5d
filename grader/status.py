"""``python -m grader status [DIR]``: which exercises pass for *your* code, lesson by lesson.

Checks run in a worker process (your saved files, never the reference: the
``AF2_USE_REFERENCE`` switch is ignored here), one lesson per worker. If your code
crashes the worker or runs too long, that exercise is reported and a fresh worker
goes on with the rest, so one bad exercise never hides the others. In a notebook:
``from grader import status; status.show()``.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

from . import exercises

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 30.0  # per exercise
STARTUP_S = 30.0  # a fresh worker imports torch first


def student_dir(path: str | Path | None = None) -> Path:
    """The folder that holds the ``student`` package: ``path``, ``.``, or ``tutorials/``."""
    for candidate in ([Path(path)] if path else []) + [Path.cwd(), ROOT / "tutorials"]:
        if (candidate / "student" / "__init__.py").exists():
            return candidate.resolve()
    raise FileNotFoundError("no student/ package found; pass the folder that holds it")


def _worker(names: list[str]) -> None:
    """Runs in the worker: one JSON line per exercise, flushed at once."""
    from . import check

    for name in names:
        result = check.run(name)
        line = dict(
            name=name,
            passed=result.passed,
            kind=result.kind,
            message=result.message,
            seconds=result.seconds,
        )
        print(json.dumps(line), flush=True)


def _run_lesson(names: list[str], home: Path, timeout: float) -> dict[str, dict]:
    env = {k: v for k, v in os.environ.items() if k != "AF2_USE_REFERENCE"}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(home), str(ROOT), env.get("PYTHONPATH", "")]
    )
    results: dict[str, dict] = {}
    todo = list(names)
    while todo:
        proc = subprocess.Popen(
            [sys.executable, "-m", "grader.status", "--worker", *todo],
            cwd=home,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=_pump, args=(proc.stdout, lines), daemon=True).start()
        started = False
        while todo:
            try:
                line = lines.get(timeout=timeout + (0 if started else STARTUP_S))
            except queue.Empty:
                proc.kill()
                results[todo.pop(0)] = dict(
                    passed=False,
                    kind="timeout",
                    message=f"✗ no answer within {timeout:.0f} s (an endless loop?)",
                )
                break
            if line is None:  # the worker died
                proc.wait()
                results[todo.pop(0)] = dict(
                    passed=False,
                    kind="crash",
                    message=f"✗ your code crashed Python (exit code {proc.returncode})",
                )
                break
            try:
                item = json.loads(line)
            except json.JSONDecodeError:
                continue  # something your code printed
            if item.get("name") == todo[0]:
                results[todo.pop(0)] = item
                started = True
        proc.stdout.close()
        proc.kill()
        proc.wait()
    return results


def _pump(stream, lines: queue.Queue) -> None:
    """Every line of ``stream`` into ``lines``, then ``None`` at its end."""
    for line in stream:
        lines.put(line)
    lines.put(None)


def report(
    path: str | Path | None = None,
    lessons: list[int] | None = None,
    timeout: float = TIMEOUT_S,
) -> str:
    """The status table as text."""
    home = student_dir(path)
    by_lesson: dict[int, list] = {}
    for ex in exercises.all_exercises().values():
        by_lesson.setdefault(ex.lesson, []).append(ex)
    out = [f"Your code in {home / 'student'}:"]
    for lesson in sorted(by_lesson):
        if lessons and lesson not in lessons:
            continue
        exs = by_lesson[lesson]
        results = _run_lesson([e.name for e in exs], home, timeout)
        kinds = {e.name: results[e.name]["kind"] for e in exs}
        mine = sum(e.points for e in exs if kinds[e.name] == "passed")
        theirs = sum(e.points for e in exs if kinds[e.name] == "reference")
        total = sum(e.points for e in exs)
        given = f" (+{theirs} with the reference in use)" if theirs else ""
        out.append(f"\nLesson {lesson}: {mine}/{total} points{given}")
        width = max(len(e.name) for e in exs)
        for e in exs:
            out.append(f"  {_line(e, results[e.name], kinds[e.name], width)}")
    return "\n".join(out)


def _line(ex, result: dict, kind: str, width: int) -> str:
    """``✓ name  2/2``; ``✗ name  0/2  why``; ``R name  0/2  reference in use``."""
    if kind == "passed":
        return f"✓ {ex.name:<{width}}  {ex.points}/{ex.points}"
    if kind == "reference":
        return f"R {ex.name:<{width}}  0/{ex.points}  reference in use, not your code"
    return f"✗ {ex.name:<{width}}  0/{ex.points}  {_first_reason(result['message'])}"


def _first_reason(message: str) -> str:
    lines = [l.strip() for l in message.splitlines()]
    reason = lines[-1] if len(lines) > 1 else lines[0].split(": ", 1)[-1]
    if reason.startswith("not implemented yet"):
        return "not implemented yet"
    return reason if len(reason) <= 90 else reason[:87] + "..."


def show(path: str | Path | None = None, lessons: list[int] | None = None) -> None:
    """Print the status table (for a notebook cell); in a solved lesson, the
    reference's (``reference_report``)."""
    if solved_lesson():
        print(reference_report(lessons))
        return
    print(report(path, lessons))


# --- solved lessons (solutions/*.py run from solutions/) ------------------------------
def solved_lesson() -> bool:
    """True when running from ``solutions/``: a solved lesson, whose ``student``
    components are all the reference ones (``grader.colab.solved_lesson``)."""
    return Path.cwd().resolve() == ROOT / "solutions"


def reference_report(lessons: list[int] | None = None) -> str:
    """The status table of the reference implementation: every exercise's check run,
    in this process, on the reference function."""
    from . import check

    out = ["The reference implementation (a solved lesson; no student code is graded):"]
    by_lesson: dict[int, list] = {}
    for name, ex in exercises.all_exercises().items():
        by_lesson.setdefault(exercises.lesson_of(name), []).append(ex)
    for lesson in sorted(set(lessons or by_lesson) & set(by_lesson)):
        exs = by_lesson[lesson]
        results = [check.run(e.name, e.reference()) for e in exs]
        got = sum(r.points for r in results if r.passed)
        out.append(f"\nLesson {lesson}: {got}/{sum(e.points for e in exs)} points")
        width = max(len(e.name) for e in exs)
        for e, r in zip(exs, results):
            why = "" if r.passed else "  " + _first_reason(r.message)
            out.append(f"  {'✓' if r.passed else '✗'} {e.name:<{width}}{why}".rstrip())
    return "\n".join(out)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--worker"]:
        _worker(argv[1:])
        return 0
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m grader status", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "dir",
        nargs="?",
        help="the folder that holds student/ (default: . or tutorials/)",
    )
    parser.add_argument(
        "--lesson", type=int, action="append", help="only this lesson (repeatable)"
    )
    args = parser.parse_args(argv)
    print(report(args.dir, args.lesson))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
