"""nbgrader, run in this process through its API: its programs found, its scores read,
its failures said in one line.

nbgrader starts programs by name (``alembic`` when it creates a gradebook); they sit
beside the Python that runs these tools, which need not be on PATH (a virtual
environment that is not activated), so that folder goes first on PATH. A failure is
reported by the first real error of nbgrader's log (the exception that ended its first
traceback), never by its warnings.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

from .limits import clip

ROOT = Path(__file__).resolve().parents[2]
_FEEDBACK = (
    "import json, sys; sys.path.insert(0, sys.argv[1]); "
    "from grader.instructor.gradebook import _feedback; "
    "errors = [[*k, e] for lesson, students in json.loads(sys.argv[3]).items() "
    "for k, e in _feedback(sys.argv[2], lesson, students).items()]; "
    "print(json.dumps(errors))"
)
_GENERIC = ("There was an error processing", "Please see the")
_FAILED = re.compile(
    r"There was an error processing assignment '([^']+)' for student '([^']+)'"
)


class NbgraderError(RuntimeError):
    """What nbgrader could not do, and why, in one line."""


def use_interpreter_programs() -> None:
    """Put the folder of this Python's programs first on PATH."""
    here = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if here not in path.split(os.pathsep):
        os.environ["PATH"] = here + os.pathsep + path


def api(course: Path):
    """nbgrader's API on ``course``, configured by its ``nbgrader_config.py``."""
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from sqlalchemy.exc import SAWarning
    from traitlets.config.loader import PyFileConfigLoader

    use_interpreter_programs()
    # nbgrader's own use of its database session; nothing the instructor can act on.
    warnings.filterwarnings("ignore", category=SAWarning)
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)


def first_error(log: str) -> str:
    """The first real error of a log: the exception line that ends its first
    traceback, else its first error line; warnings never."""
    lines = log.splitlines()
    for i, line in enumerate(lines):
        if "Traceback (most recent call last)" in line:
            found = _exception_line(lines[i + 1 :])
            if found:
                return clip(found, 300, 0)
    for line in lines:
        text = line.removeprefix("[ERROR]").strip()
        if line.startswith("[ERROR]") and text and not text.startswith(_GENERIC):
            return clip(text, 300, 0)
    rest = [line.strip() for line in lines if line.strip()]
    return clip(rest[-1], 300, 0) if rest else "no message"


def _exception_line(lines: list[str]) -> str | None:
    """The line after a traceback's frames, indented less than its ``File`` lines
    (a log may indent the whole traceback)."""
    frames = None
    for line in lines:
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        if line.lstrip().startswith("File "):
            frames = indent if frames is None else frames
        elif frames is not None and indent < frames:
            return line.strip()
    return None


def check(what: str, result: dict, log: Path | None = None) -> None:
    """Raise ``NbgraderError`` when an API result says the call failed; append its
    log (cut to size) to ``log``."""
    text = (result.get("log") or "") + "\n" + (result.get("error") or "")
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a") as f:
            f.write(f"== {what}\n{clip(text)}\n")
    if not result.get("success"):
        raise NbgraderError(f"nbgrader could not {what}: {first_error(text)}")


def scores(course: Path, course_id: str, keys: list[tuple[str, str]]) -> dict:
    """``{(lesson, student): {"score", "max_score", "cells": {grade id: score}}}`` for
    the submissions the gradebook has."""
    from nbgrader.api import Gradebook, MissingEntry

    found = {}
    with Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}", course_id) as gb:
        for lesson, student in keys:
            try:
                submission = gb.find_submission(lesson, student)
                notebook = gb.find_submission_notebook(lesson, lesson, student)
            except MissingEntry:
                continue
            found[lesson, student] = {
                "score": submission.score,
                "max_score": submission.max_score,
                "cells": {g.name: g.score for g in notebook.grades},
            }
    return found


def set_flagged(db_url: str, lesson: str, student: str, flagged: bool) -> None:
    """Mark the submitted notebook as flagged in the gradebook (formgrader shows it)."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        notebook = gb.find_submission_notebook(lesson, lesson, student)
        notebook.flagged = flagged
        gb.db.commit()


def feedback(course: Path, keys: list[tuple[str, str]], processes: int) -> dict:
    """nbgrader's feedback (HTML) for each ``(lesson, student)``, written by
    ``processes`` processes at once (feedback only reads the gradebook), each with one
    nbgrader converter per lesson. Returns ``{key: error}`` for those that failed."""
    shares = [{} for _ in range(processes)]
    for lesson in dict.fromkeys(lesson for lesson, _ in keys):
        students = sorted(s for lesson_, s in keys if lesson_ == lesson)
        for i, share in enumerate(shares):
            if students[i::processes]:
                share[lesson] = students[i::processes]
    running = []
    for share in filter(None, shares):
        command = [sys.executable, "-c", _FEEDBACK, str(ROOT), str(course)]
        err = tempfile.TemporaryFile()
        proc = subprocess.Popen(
            [*command, json.dumps(share)], stdout=subprocess.PIPE, stderr=err
        )
        running.append((proc, err, share))
    errors = {}
    for proc, err, share in running:
        out, _ = proc.communicate()
        err.seek(0)
        if proc.returncode == 0:
            errors.update({(lesson, s): e for lesson, s, e in json.loads(out)})
        else:
            why = f"feedback failed: {first_error(err.read().decode(errors='replace'))}"
            errors.update({(l, s): why for l, ss in share.items() for s in ss})
        err.close()
    for lesson, student in keys:
        html = Path(course) / "feedback" / student / lesson / f"{lesson}.html"
        if not html.exists() and (lesson, student) not in errors:
            errors[lesson, student] = "nbgrader wrote no feedback"
    return errors


def _feedback(course: str, lesson: str, students: list[str]) -> dict:
    """One converter for a lesson's ``students`` (its templates compiled once)."""
    from nbgrader.converters import GenerateFeedback
    from nbgrader.utils import capture_log
    from traitlets.config import Config

    nbgrader = api(Path(course))
    folder = Path(course) / nbgrader.coursedir.autograded_directory
    others = {p.parent.name for p in folder.glob(f"*/{lesson}")} - set(students)
    nbgrader.coursedir.assignment_id = lesson
    nbgrader.coursedir.student_id = "*"
    nbgrader.coursedir.student_id_exclude = ",".join(sorted(others))
    app = GenerateFeedback(coursedir=nbgrader.coursedir, parent=nbgrader)
    app.update_config(Config({"HTMLExporter": {"template_name": "feedback"}}))
    app.force = True
    result = capture_log(app)
    log = Path(course) / "grading" / f"nbgrader-{lesson}-feedback.log"
    try:
        check(f"write the feedback for {lesson}", result, log)
    except NbgraderError as exc:
        failed = set(_FAILED.findall(result.get("log") or "")) or {
            (lesson, s) for s in students
        }
        return {key: str(exc) for key in failed}
    return {}
