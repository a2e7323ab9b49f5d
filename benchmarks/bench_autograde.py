"""How long grading a class takes: seconds per submission per lesson, and a class of
100 students × every lesson projected from them.

    python benchmarks/bench_autograde.py [--students 100] [--cores 2] [--lessons 8]

Builds a course in a temporary folder and a simulated class: per lesson, ``--students``
Moodle-style folders holding the lesson notebook and the lesson's ``student/*.py``
(six in ten the solution, two in ten one module left as a stub, one untouched, one
with a module that does not import; ``--loopers`` more with an endless loop). Then it
runs ``autograde --feedback`` (gather, score, nbgrader's gradebook, feedback) on
each lesson's zip in turn, on ``--cores`` cores (this process and all it starts are
held to them), and prints the seconds per submission of each stage. The projection for
``--lessons`` lessons takes the slowest lesson measured for each lesson not written
yet: they have the same structure (one notebook, a few modules, checks under 0.5 s).
A benchmark, not a test: run it on a quiet machine; other load inflates every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.instructor.autograde import autograde  # noqa: E402
from grader.instructor.course import create_course  # noqa: E402
from grader.stubs import relative_imports  # noqa: E402

CLASS_SIZE = 100
BUDGET_S = 30 * 60


def solved(module: str) -> str:
    return relative_imports((ROOT / "reference" / f"{module}.py").read_text())


def stub(module: str) -> str:
    return (ROOT / "tutorials" / "student" / f"{module}.py").read_text()


def student_files(i: int, modules: list[str], looper: bool) -> dict[str, str]:
    """The ``i``-th student's modules: the mix of the module docstring."""
    code = {m: solved(m) for m in modules}
    kind = i % 10
    if kind in (6, 7):
        code[modules[0]] = stub(modules[0])
    elif kind == 8:
        code = {m: stub(m) for m in modules}
    elif kind == 9:
        code[modules[0]] += "\nimport no_such_module\n"
    if looper:  # every function of the first module loops
        code[modules[0]] = code[modules[0]].replace(
            '    """', '    while True:\n        pass\n    """', 1
        )
    return code


def write_zip(folder: Path, course: Path, lesson: str, modules, students, loopers):
    release = (course / "release" / lesson / f"{lesson}.ipynb").read_text()
    subs = folder / lesson
    for i in range(students + loopers):
        home = subs / f"s{i:03d}_{i}_assignsubmission_file_"
        (home / "student").mkdir(parents=True)
        (home / f"{lesson}.ipynb").write_text(release)
        for module, text in student_files(i, modules, i >= students).items():
            (home / "student" / f"{module}.py").write_text(text)
    archive = folder / f"{lesson}.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in sorted(subs.rglob("*")):
            zf.write(p, p.relative_to(subs))
    shutil.rmtree(subs)
    return archive


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=CLASS_SIZE)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--lessons", type=int, default=8, help="lessons to project to")
    parser.add_argument("--loopers", type=int, default=0, help="per lesson")
    parser.add_argument("--timeout", type=float, default=30, help="s per exercise")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    cpus = sorted(os.sched_getaffinity(0))[: args.cores]
    os.sched_setaffinity(0, cpus)  # inherited by every process autograde starts
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp) / "course"
        start = time.perf_counter()
        create_course(course, timeout=args.timeout)
        build_s = time.perf_counter() - start
        info = json.loads((course / "course.json").read_text())
        figures = {}
        for lesson, v in info["lessons"].items():
            archive = write_zip(
                Path(tmp), course, lesson, v["modules"], args.students, args.loopers
            )
            timings: dict = {}
            autograde(
                course,
                archive,
                processes=len(cpus),
                write_feedback=True,
                lesson=lesson,
                say=lambda text: None,
                timings=timings,
            )
            n = args.students + args.loopers
            figures[lesson] = {
                "submissions": n,
                "gather": timings["gather"] / n,
                "score": timings[f"score {lesson}"] / n,
                "gradebook": timings[f"gradebook {lesson}"] / n,
                "feedback": timings["feedback"] / n,
                "total": timings["total"] / n,
            }
    report(figures, build_s, args, len(cpus))
    if args.json:
        args.json.write_text(json.dumps({"build_s": build_s, "lessons": figures}))
    return 0


def report(figures: dict, build_s: float, args, cores: int) -> None:
    print(f"course built in {build_s:.1f} s; {cores} cores; s per submission:")
    stages = ("gather", "score", "gradebook", "feedback", "total")
    print(f"{'lesson':<16}{'n':>5}" + "".join(f"{s:>11}" for s in stages))
    for lesson, f in figures.items():
        cells = "".join(f"{f[s]:>11.3f}" for s in stages)
        print(f"{lesson:<16}{f['submissions']:>5}{cells}")
    measured = [f["total"] for f in figures.values()]
    later = max(args.lessons - len(measured), 0)
    projected = CLASS_SIZE * (sum(measured) + later * max(measured))
    print(
        f"\nprojected: {CLASS_SIZE} students x {args.lessons} lessons = "
        f"{projected / 60:.1f} min ({len(measured)} measured, {later} at the slowest "
        f"one's {max(measured):.2f} s); the budget: {BUDGET_S / 60:.0f} min"
    )
    if args.loopers:
        print(f"(with {args.loopers} endless loop(s) per lesson in the measurement)")


if __name__ == "__main__":
    sys.exit(main())
