"""Score submissions from their ``student/*.py`` files, in one warm process per lesson.

``start`` launches ``worker.py`` (a fresh ``python -I`` that sees only this repository
and, per child, one submission) for a lesson's submissions; each verdict record is a
JSON file ``grading/<lesson>/<student>.json`` in the course, outside anything a
student hands in. A record carries a fingerprint of the files it judged, so the
nbgrader step (``preprocessors.GradeFromVerdicts``) never uses a stale one: it grades
the folder again when the fingerprint differs. ``flags`` turns a record into the
report's flags: every point lost for a reason other than a wrong answer.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .gradebook import first_error

# Kinds of failure that are a wrong answer: no flag. Every other kind (dtype, device,
# nan, timeout, crash, import, not_submitted, tampered, reference, checker, and any
# kind the checker adds later) is flagged.
ANSWER_KINDS = {"values", "shape", "type", "params", "not_implemented", "exception"}
LABELS = {
    "nan": "NaN",
    "import": "import error",
    "not_submitted": "not submitted",
    "tampered": "tampering",
    "reference": "reference code",
    "checker": "checker failed (a bug of the course)",
}
THREADS = {
    v: "1" for v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
}
_BOOT = (
    "import sys; sys.path[0] = sys.argv[1]; "
    "from grader.instructor import worker; worker.main()"
)


class GradingError(RuntimeError):
    """The grading process itself failed (not a submission): one line."""


def cores() -> int:
    """The cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1


def record_path(course: Path, lesson: str, student: str) -> Path:
    return Path(course) / "grading" / lesson / f"{student}.json"


def fingerprint(folder: Path) -> str:
    """A hash of the submission's ``student/*.py`` files (names and contents)."""
    digest = hashlib.sha256()
    for path in sorted((Path(folder) / "student").glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@dataclass
class Job:
    """One submission to grade: its folder, its record, what it did not hand in."""

    student: str
    folder: Path
    missing: list[str]
    placement: list[str]  # flags from gathering it

    def spec(self, course: Path, lesson: str) -> dict:
        extra = {
            "student": self.student,
            "lesson": lesson,
            "fingerprint": fingerprint(self.folder),
            "placement": self.placement,
            "missing": self.missing,
        }
        return {
            "key": self.student,
            "dir": str(self.folder),
            "out": str(record_path(course, lesson, self.student)),
            "missing": self.missing,
            "extra": extra,
        }


class Run:
    """A worker grading one lesson's submissions; ``wait()`` for its end."""

    def __init__(self, course, info, lesson, jobs: list[Job], timeout, processes):
        names = list(info["lessons"][lesson]["exercises"])
        job = {
            "names": names,
            "timeout": timeout,
            "jobs": processes or cores(),
            "token": secrets.token_hex(16),
            "submissions": [j.spec(course, lesson) for j in jobs],
        }
        env = {k: v for k, v in os.environ.items() if k != "AF2_USE_REFERENCE"}
        self.lesson = lesson
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-c", _BOOT, info["root"]],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            env={**env, **THREADS},
        )
        self.proc.stdin.write(json.dumps(job).encode() + b"\n")
        self.proc.stdin.close()

    def wait(self) -> dict:
        """The worker's warm-up report; raises ``GradingError`` if the worker failed."""
        lines = [json.loads(line) for line in self.proc.stdout if line.strip()]
        self.proc.wait()
        self.stderr.seek(0)
        log = self.stderr.read().decode(errors="replace")
        self.stderr.close()
        if self.proc.returncode != 0:
            raise GradingError(f"grading {self.lesson} failed: {first_error(log)}")
        return next((line for line in lines if "warm_up_s" in line), {})


def grade(course, info, lesson, jobs: list[Job], timeout, processes=None) -> dict:
    """Grade ``jobs`` of ``lesson`` now; returns the worker's warm-up report."""
    return Run(course, info, lesson, jobs, timeout, processes).wait()


def load(course: Path, lesson: str, student: str) -> dict | None:
    path = record_path(course, lesson, student)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def verdicts_for(course: Path, info: dict, lesson: str, student: str, folder: Path):
    """The record for the files in ``folder``: the stored one when it judged exactly
    these files, else a new one (nbgrader run on its own, say from formgrader)."""
    record = load(course, lesson, student)
    if record is not None and record.get("fingerprint") == fingerprint(folder):
        return record
    missing = []
    for module in info["lessons"][lesson]["modules"]:
        mine = Path(folder) / "student" / f"{module}.py"
        if not mine.exists():  # the released stub stands in
            stub = Path(course) / "source" / lesson / "student" / f"{module}.py"
            shutil.copy(stub, mine)
            missing.append(module)
    timeout = info.get("timeout", 30)
    grade(course, info, lesson, [Job(student, Path(folder), missing, [])], timeout)
    return load(course, lesson, student)


def flags(record: dict) -> list[str]:
    """The report's flags for one record, grouped by reason."""
    found: dict[str, list[str]] = {}
    for module, verdict in (record.get("imports") or {}).items():
        if verdict:
            found.setdefault(_label(verdict), []).append(f"student/{module}.py")
    failed_imports = {m for m, v in (record.get("imports") or {}).items() if v}
    for name, verdict in record.get("verdicts", {}).items():
        if verdict["passed"] or name.split(".")[0] in failed_imports:
            continue
        label = _label(verdict)
        if verdict["kind"] == "not_submitted":
            item = f"student/{name.split('.')[0]}.py"
        else:
            item = name
        if label and item not in found.get(label, []):
            found.setdefault(label, []).append(item)
    out = list(record.get("placement", []))
    out += [f"{label}: {', '.join(items)}" for label, items in found.items()]
    changed = record.get("tampered_at_import") or []
    if changed:
        out.append(f"changed the checker at import (undone): {', '.join(changed[:5])}")
    files = record.get("files_changed") or []
    if files:  # by this submission or one graded beside it
        out.append(f"course files changed on disk (restored): {', '.join(files[:5])}")
    for name in record.get("lesson_problems") or {}:
        out.append(f"checker: the reference fails {name} on this machine")
    return out


def _label(verdict: dict) -> str | None:
    """The flag of a failed verdict, or None for a plain wrong answer."""
    kind = verdict["kind"]
    if kind == "exception" and "cuda" in verdict["message"].lower():
        return "device"  # asked for a GPU the grading machine does not have
    if kind in ANSWER_KINDS or kind == "passed":
        return None
    return LABELS.get(kind, kind)
