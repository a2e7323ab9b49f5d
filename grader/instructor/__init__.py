"""Instructor tools around nbgrader (an instructor-only dependency).

``python -m grader course DIR``: create an nbgrader course from this repository.
``python -m grader autograde COURSE_DIR SUBMISSIONS [--csv grades.csv] [--feedback]``:
grade a class.
``python -m grader verify COURSE_DIR FOLDER [LESSON]``: check one student's files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("course", help="create an nbgrader course directory")
    c.add_argument("dir", type=Path)
    c.add_argument(
        "--timeout", type=float, default=30, help="seconds per exercise (default 30)"
    )
    a = sub.add_parser("autograde", help="grade a folder or zip of submissions")
    a.add_argument("course_dir", type=Path)
    a.add_argument("submissions", type=Path)
    a.add_argument("--csv", type=Path, default=None, help="write the grades here")
    a.add_argument("--feedback", action="store_true", help="write nbgrader feedback")
    a.add_argument("--lesson", help="grade this lesson only (one LMS assignment)")
    a.add_argument("--timeout", type=float, help="seconds per exercise")
    a.add_argument("--jobs", type=int, help="processes (default: all cores)")
    v = sub.add_parser("verify", help="check one student's files (FOLDER/student)")
    v.add_argument("course_dir", type=Path)
    v.add_argument("folder", type=Path)
    v.add_argument("lesson", nargs="?")
    args = parser.parse_args(argv)

    from .course import CourseError
    from .gradebook import NbgraderError
    from .grading import GradingError

    try:
        return _run(args)
    except (CourseError, NbgraderError, GradingError) as exc:
        print(f"python -m grader {args.command}: {exc}", file=sys.stderr)
        return 1


def _run(args) -> int:
    from .course import course_info, create_course

    if args.command == "course":
        names = create_course(args.dir, timeout=args.timeout)
        print(f"nbgrader course in {args.dir}: {', '.join(names)}")
        return 0
    if args.command == "autograde":
        from .autograde import autograde

        rows = autograde(
            args.course_dir,
            args.submissions,
            args.csv,
            timeout=args.timeout,
            processes=args.jobs,
            write_feedback=args.feedback,
            lesson=args.lesson,
        )
        for r in rows:
            print(
                f"{r['student']:>16} {r['lesson'] or '-':<16} "
                f"{r['score']}/{r['max_score']}  {r['flags']}"
            )
        if args.csv:
            print(f"grades: {args.csv} (the gradebook's: `nbgrader export`)")
        return 0
    return _verify(args.course_dir.resolve(), course_info(args.course_dir), args)


def _verify(course: Path, info: dict, args) -> int:
    """Grade one folder's ``student/*.py`` (or loose ``*.py``) outside the gradebook."""
    import shutil
    import tempfile

    from . import grading

    for lesson in [args.lesson] if args.lesson else list(info["lessons"]):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "submission"
            shutil.copytree(course / "source" / lesson / "student", folder / "student")
            missing = []
            for module in info["lessons"][lesson]["modules"]:
                mine = [
                    args.folder / "student" / f"{module}.py",
                    args.folder / f"{module}.py",
                ]
                found = [p for p in mine if p.exists()]
                if found:
                    shutil.copy(found[0], folder / "student" / f"{module}.py")
                else:
                    missing.append(module)
            job = grading.Job("verify", folder, missing, [])
            grading.grade(Path(tmp), info, lesson, [job], info.get("timeout", 30))
            record = grading.load(Path(tmp), lesson, "verify")
        for v in record["verdicts"].values():
            print(f"{'PASS' if v['passed'] else 'FAIL'} {v['message']}")
        for flag in grading.flags(record):
            print(f"flag: {flag}")
    return 0
