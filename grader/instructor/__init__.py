"""Instructor tools around nbgrader (an instructor-only dependency).

``python -m grader course DIR``: create an nbgrader course from this repository.
``python -m grader autograde COURSE_DIR SUBMISSIONS [--csv grades.csv]``: grade a class.
``python -m grader verify COURSE_DIR SUBMISSION_DIR [LESSON]``: re-check one submission.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("course", help="create an nbgrader course directory")
    c.add_argument("dir", type=Path)
    c.add_argument("--timeout", type=int, default=60, help="seconds per notebook cell")
    a = sub.add_parser("autograde", help="grade a folder or zip of submissions")
    a.add_argument("course_dir", type=Path)
    a.add_argument("submissions", type=Path)
    a.add_argument("--csv", type=Path, default=None, help="write the grades here")
    a.add_argument(
        "--verify-timeout", type=float, default=60, help="seconds per exercise"
    )
    v = sub.add_parser(
        "verify", help="re-check one submission folder (holding student/)"
    )
    v.add_argument("course_dir", type=Path)
    v.add_argument("submission", type=Path)
    v.add_argument("lesson", nargs="?")
    args = parser.parse_args(argv)

    from .course import course_info, create_course

    if args.command == "course":
        names = create_course(args.dir, timeout=args.timeout)
        print(
            f"nbgrader course in {args.dir}: {', '.join(names)} (cd there; nbgrader works as usual)"
        )
        return 0
    if args.command == "autograde":
        from .autograde import autograde

        rows = autograde(
            args.course_dir, args.submissions, args.csv, args.verify_timeout
        )
        for r in rows:
            print(
                f"{r['student']:>16} {r['lesson']:<16} {r['score']:g}/{r['max_score']:g}"
                f"  {r['flags']}"
            )
        if args.csv:
            print(
                f"grades: {args.csv} (nbgrader's own: `nbgrader export` in {args.course_dir})"
            )
        return 0
    import shutil
    import tempfile

    from .verify import verify

    course = args.course_dir.resolve()
    info = course_info(course)
    lessons = [args.lesson] if args.lesson else list(info["lessons"])
    for lesson in lessons:
        names = list(info["lessons"][lesson])
        with tempfile.TemporaryDirectory() as tmp:
            # The given package from source/, with the student's exercise files on top.
            shutil.copytree(
                course / "source" / lesson / "student", Path(tmp) / "student"
            )
            for module in info["modules"]:
                mine = args.submission / module
                if mine.exists():
                    shutil.copy(mine, Path(tmp) / module)
            verdicts = verify(
                Path(tmp), Path(info["root"]), names, info["check_module"]
            )
        for name, v in verdicts.items():
            print(
                f"{'PASS' if v.passed else 'FAIL'} {name}: {v.message}"
                + (f" [tampered: {v.tampered}]" if v.tampered else "")
            )
    return 0
