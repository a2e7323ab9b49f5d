"""``python -m grader autograde COURSE_DIR SUBMISSIONS [--csv CSV] [--feedback]``.

1. gather the submissions (folder or LMS zip) into ``submitted/<student>/<lesson>/``,
   repairing notebooks against the release (``submissions.py``);
2. score each lesson's submissions from their ``student/*.py`` files in one warm
   process per lesson with all cores busy (``grading.py``, ``worker.py``); while a
   lesson is scored, nbgrader records the one before;
3. ``nbgrader autograde`` each submission without running its notebook: the verdicts
   become its test cells' outputs and nbgrader's gradebook scores them
   (``preprocessors.py``); optionally ``nbgrader generate_feedback``;
4. one CSV row per student and lesson, its scores read back from the gradebook, so the
   CSV, formgrader and ``nbgrader export`` agree, with flags for every point lost for a
   reason other than a wrong answer, and for everything the intake had to repair.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

from . import grading, submissions
from .course import CourseError, course_info, grade_id
from .gradebook import NbgraderError, api, check, feedback, scores

HEAD = ["student", "lesson", "score", "max_score", "flags"]


def autograde(
    course: Path,
    submission_path: Path,
    csv_path: Path | None = None,
    timeout: float | None = None,
    processes: int | None = None,
    write_feedback: bool = False,
    lesson: str | None = None,
    say=print,
    timings: dict | None = None,
) -> list[dict]:
    """Grade a class; returns the rows written to ``csv_path``. ``timings`` (if given)
    receives the seconds of each stage."""
    course = Path(course).resolve()
    info = course_info(course)
    if lesson is not None and lesson not in info["lessons"]:
        known = ", ".join(info["lessons"])
        raise CourseError(f"no lesson {lesson!r} in {course} (lessons: {known})")
    timeout = info.get("timeout", 30) if timeout is None else timeout
    processes = processes or grading.cores()
    clock = _Clock(say, {} if timings is None else timings)
    placed = submissions.place(Path(submission_path), course, info, lesson)
    clock.lap("gather", f"{len(placed)} submissions gathered")
    by_lesson: dict[str, list] = {}
    for p in placed:
        if p.lesson:
            by_lesson.setdefault(p.lesson, []).append(p)
    failed: dict[tuple[str, str], str] = {}
    nbgrader = api(course)
    log = course / "grading" / "nbgrader.log"
    order = [name for name in info["lessons"] if name in by_lesson]
    running = order and _start(course, info, order[0], by_lesson, timeout, processes)
    for i, name in enumerate(order):
        warm = running.wait()
        if i + 1 < len(order):  # the next lesson is scored while nbgrader records this
            running = _start(course, info, order[i + 1], by_lesson, timeout, processes)
        clock.lap(
            f"score {name}",
            f"{name}: {len(by_lesson[name])} submissions scored (the reference's "
            f"warm-up {warm.get('warm_up_s', 0):.1f} s)",
        )
        for p in by_lesson[name]:
            result = nbgrader.autograde(name, p.student)
            try:
                check(f"autograde {p.student} for {name}", result, log)
            except NbgraderError as exc:
                failed[name, p.student] = str(exc)
                say(str(exc))
        clock.lap(f"gradebook {name}", f"{name}: in nbgrader's gradebook")
    keys = [(p.lesson, p.student) for p in placed if p.lesson]
    if write_feedback:
        todo = [k for k in keys if k not in failed]
        for key, error in feedback(course, todo, processes).items():
            failed[key] = error
            say(error)
        clock.lap("feedback", f"feedback in {course / 'feedback'}")
    book = scores(course, info["course_id"], keys)
    rows = [_row(course, info, p, book, failed) for p in placed]
    if csv_path is not None:
        names = [n for v in info["lessons"].values() for n in v["exercises"]]
        write_csv(rows, Path(csv_path), names)
    clock.total(f"{len(rows)} rows")
    return rows


class _Clock:
    """Seconds per stage, said as they end and kept in ``timings``."""

    def __init__(self, say, timings: dict):
        self.say, self.timings = say, timings
        self.start = self.last = time.perf_counter()

    def lap(self, stage: str, text: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = now - self.last
        self.say(f"{text} in {now - self.last:.1f} s")
        self.last = now

    def total(self, text: str) -> None:
        self.timings["total"] = time.perf_counter() - self.start
        self.say(f"{text} in {self.timings['total']:.1f} s")


def _start(course, info, lesson, by_lesson, timeout, processes) -> grading.Run:
    jobs = [
        grading.Job(
            p.student,
            course / "submitted" / p.student / lesson,
            p.missing,
            p.flags,
        )
        for p in by_lesson[lesson]
    ]
    return grading.Run(course, info, lesson, jobs, timeout, processes)


def _row(course, info, p, book, failed) -> dict:
    row = {"student": p.student, "lesson": p.lesson}
    if not p.lesson:
        return {**row, "score": "", "max_score": "", "flags": "; ".join(p.flags)}
    record = grading.load(course, p.lesson, p.student) or {}
    flags = grading.flags(record) if record else list(p.flags)
    if (p.lesson, p.student) in failed:
        flags.append(failed[p.lesson, p.student])
    exercises = info["lessons"][p.lesson]["exercises"]
    entry = book.get((p.lesson, p.student))
    if entry is None:
        flags.append("not in the gradebook")
        entry = {"score": "", "max_score": sum(exercises.values()), "cells": {}}
    row.update(score=entry["score"], max_score=entry["max_score"])
    row["flags"] = "; ".join(flags)
    for name in exercises:
        row[name] = entry["cells"].get(grade_id(name), "")
    return row


def write_csv(rows: list[dict], path: Path, exercises: list[str]) -> None:
    """The rows; one column per exercise, in the order of the course."""
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=HEAD + exercises)
        writer.writeheader()
        writer.writerows(rows)
