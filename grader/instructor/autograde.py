"""``python -m grader autograde COURSE_DIR SUBMISSIONS [--csv grades.csv]``.

1. gather the submissions (folder or LMS zip) into ``submitted/<student>/<lesson>/``,
   repairing notebooks against the release (``submissions.py``);
2. ``nbgrader autograde`` each lesson (test cells restored from the gradebook, hidden
   tests run, per-cell timeout), scores into nbgrader's gradebook;
3. ``verify`` each submission's student modules in a fresh process (``verify.py``);
4. one CSV row per student and lesson: the score, per exercise the notebook and the
   verified points, and flags. The score of an exercise is the verified one (the
   notebook's when verification could not run); any disagreement is flagged, so a
   submission is never silently zeroed and a tampered notebook never silently passes.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from . import submissions
from .course import course_info, grade_id, nbgrader
from .verify import verify


def notebook_scores(
    course: Path, info: dict, student: str, lesson: str
) -> dict[str, float] | None:
    """``{exercise: nbgrader score}`` or None when nbgrader has no grades for it."""
    from nbgrader.api import Gradebook, MissingEntry

    names = {grade_id(n): n for n in info["lessons"][lesson]}
    db = f"sqlite:///{course / 'gradebook.db'}"
    try:
        with Gradebook(db, info["course_id"]) as gb:
            nb = gb.find_submission_notebook(lesson, lesson, student)
            scores = {names[g.name]: g.score for g in nb.grades if g.name in names}
    except MissingEntry:
        return None
    if not (course / "autograded" / student / lesson / f"{lesson}.ipynb").exists():
        return None
    return scores


def timeouts(course: Path, info: dict, student: str, lesson: str) -> list[str]:
    """Exercises whose test cell hit the per-cell timeout in nbgrader."""
    names = {grade_id(n): n for n in info["lessons"][lesson]}
    path = course / "autograded" / student / lesson / f"{lesson}.ipynb"
    if not path.exists():
        return []
    found = []
    for cell in json.loads(path.read_text())["cells"]:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        if gid in names and any(
            o.get("ename") == "CellTimeoutError" for o in cell.get("outputs", [])
        ):
            found.append(names[gid])
    return found


def grade_one(
    course: Path,
    info: dict,
    student: str,
    lesson: str,
    flags: list[str],
    verify_timeout: float,
) -> dict:
    points = info["lessons"][lesson]
    nb = notebook_scores(course, info, student, lesson)
    if nb is None:
        flags.append("nbgrader could not grade the notebook; verified scores used")
    slow = timeouts(course, info, student, lesson)
    if slow:
        flags.append(f"timeout in notebook: {', '.join(slow)}")
    verdicts = verify(
        course / "submitted" / student / lesson,
        Path(info["root"]),
        list(points),
        info["check_module"],
        verify_timeout,
    )
    row = {"student": student, "lesson": lesson}
    total = nb_total = ver_total = 0.0
    tampered_import = sorted(
        {k for v in verdicts.values() for k in v.tampered_at_import}
    )
    if tampered_import:
        flags.append(
            f"student code changed the checker at import (undone): {', '.join(tampered_import[:5])}"
        )
    for name, maximum in points.items():
        v = verdicts[name]
        ver = float(maximum) if v.passed else 0.0
        got = None if nb is None else nb.get(name)
        if v.tampered:
            flags.append(
                f"tampering suspected in {name}: changed {', '.join(v.tampered[:5])}"
            )
        if v.timed_out:
            flags.append(f"verify timed out in {name}")
        if got is not None and got > ver:
            flags.append(
                f"tampering suspected: {name} notebook {got:g} > verified {ver:g}"
            )
        elif got is not None and got < ver:
            flags.append(f"{name}: notebook {got:g} < verified {ver:g}")
        row[f"{name} notebook"] = "" if got is None else got
        row[f"{name} verified"] = ver
        row[name] = ver
        total += ver
        nb_total += got or 0.0
        ver_total += ver
    row.update(
        score=total,
        max_score=float(sum(points.values())),
        notebook_score="" if nb is None else nb_total,
        verified_score=ver_total,
        flags="; ".join(flags),
    )
    return row


def autograde(
    course: Path,
    submission_path: Path,
    csv_path: Path | None = None,
    verify_timeout: float = 60,
) -> list[dict]:
    """Grade a class; returns the rows written to ``csv_path``."""
    course = Path(course).resolve()
    info = course_info(course)
    root = Path(info["root"])
    placed = submissions.place(
        Path(submission_path), course, info["lessons"], info["modules"]
    )
    for lesson in sorted({lesson for _, lesson in placed}):
        try:
            nbgrader(course, root, "autograde", lesson, "--force")
        except RuntimeError as exc:  # reported per student below (no gradebook entry)
            print(str(exc)[-2000:])
    rows = [
        grade_one(course, info, student, lesson, list(flags), verify_timeout)
        for (student, lesson), flags in sorted(placed.items())
    ]
    if csv_path is not None:
        write_csv(rows, Path(csv_path))
    return rows


def write_csv(rows: list[dict], path: Path) -> None:
    head = [
        "student",
        "lesson",
        "score",
        "max_score",
        "notebook_score",
        "verified_score",
        "flags",
    ]
    rest = sorted({k for r in rows for k in r} - set(head))
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=head + rest)
        writer.writeheader()
        writer.writerows(rows)
