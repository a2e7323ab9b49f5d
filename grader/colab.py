"""The set-up cell that opens every lesson, and the "Open in Colab" badge.

``REPO_URL`` is the one place that names where the course is published: the badges
(lessons and README), the set-up cell and the docs follow it.

The cell is self-contained: in Google Colab it fetches the course before anything of it
can be imported — a shallow git clone of ``REPO_URL`` or, where that fails (no public
repository), ``af2-course.zip`` from the top folder of the user's Google Drive (made by
``python -m grader pack``) — and then calls :func:`setup`. When neither works it says
so in one line, with what to do, and no traceback. Elsewhere (JupyterLab on a laptop,
nbgrader on the grading machine, CI) it only finds the repository.

In Colab, :func:`setup`

- installs what Colab lacks (``COLAB_PACKAGES``: py3Dmol, tqdm) and nothing else —
  never torch or numpy (Colab's CUDA builds must stay), never nbgrader (it conflicts
  with Colab's notebook package);
- optionally mounts Google Drive and keeps the student's work there: on the first run
  the stubs of ``tutorials/student/`` are copied to ``MyDrive/af2-course/student/``;
  later runs add new lessons' stubs and refresh the given (non-exercise) files, and
  never overwrite a file the student writes in;
- puts the student package (Drive copy or clone) and the course on ``sys.path``.

Run from ``solutions/`` (a solved lesson, which has no ``student`` package), it makes
every ``student`` component the reference one.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

# Where the course is published. Set this (and nothing else) when publishing a fork,
# then run `python -m grader build`: the set-up cell clones it in Colab and the badges
# link to its notebooks.
REPO_URL = "https://github.com/af2-course/af2-course"
BRANCH = "main"

# Colab's working folder (AF2_COLAB_CONTENT moves it: the tests simulate Colab).
CONTENT = Path(os.environ.get("AF2_COLAB_CONTENT", "/content"))
COLAB_CLONE = CONTENT / "af2-course"
DRIVE_MOUNT = CONTENT / "drive"
DRIVE_WORK = DRIVE_MOUNT / "MyDrive" / "af2-course"
COURSE_ZIP = DRIVE_MOUNT / "MyDrive" / "af2-course.zip"  # python -m grader pack

# import name -> pip requirement. Only packages Colab lacks; see NEVER_INSTALL.
COLAB_PACKAGES = {"py3Dmol": "py3Dmol>=2.0,<3", "tqdm": "tqdm>=4.60"}
NEVER_INSTALL = frozenset({"torch", "numpy", "nbgrader", "notebook", "jupyter"})

BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"

SETUP_CELL = """\
# Set-up: run this cell first (in Colab it fetches the course; safe to re-run).
import os, subprocess, sys
_url = "{url}"
_course, _zip = "{clone}", "{zip}"
if "google.colab" in sys.modules and not os.path.isdir(_course):
    class SetupError(Exception):  # shown as one line, without a traceback
        def _render_traceback_(self):
            return [f"SetupError: {{self}}"]
    _git = subprocess.run(["git", "clone", "-q", "--depth", "1", "-b", "{branch}", _url,
                           _course], capture_output=True, text=True,
                          env=dict(os.environ, GIT_TERMINAL_PROMPT="0"))
    if _git.returncode:  # no public repository? Then the course zip in Google Drive.
        _why = (_git.stderr.strip().splitlines() or ["no message"])[-1]
        try:
            from google.colab import drive
            drive.mount("{drive}")
        except Exception as _e:
            _why += f"; Google Drive not mounted: {{_e}}"
        if not os.path.isfile(_zip):
            raise SetupError(
                f"could not fetch the course: git clone {{_url}} failed ({{_why}}) and "
                f"{{_zip}} does not exist. Check the address, or put the course zip "
                "there (`python -m grader pack` makes it), then run this cell again.")
        import zipfile
        zipfile.ZipFile(_zip).extractall(os.path.dirname(_course))
for _root in (os.environ.get("AF2_COURSE_ROOT", ""), _course, "..", "."):
    if _root and os.path.isfile(os.path.join(_root, "grader", "colab.py")):
        sys.path.insert(0, os.path.abspath(_root))
        break
from grader.colab import setup
setup(use_drive=True)  # use_drive=False: keep your work in this Colab session only"""


class SetupError(Exception):
    """A set-up step failed; shown in a notebook as its one-line message."""

    def _render_traceback_(self) -> list[str]:  # IPython shows this, not a traceback
        return [f"SetupError: {self}"]


def setup_cell_source(content: Path = CONTENT) -> str:
    """The source of the set-up cell, identical in every lesson (the build inserts it).

    content: Colab's working folder (the tests simulate Colab in a folder of theirs).
    """
    drive = content / DRIVE_MOUNT.name
    return SETUP_CELL.format(
        clone=content / COLAB_CLONE.name,
        branch=BRANCH,
        url=REPO_URL,
        drive=drive,
        zip=drive / COURSE_ZIP.relative_to(DRIVE_MOUNT),
    )


def in_colab() -> bool:
    """True inside a Google Colab runtime."""
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


def repo_root() -> Path:
    """The course repository this module belongs to."""
    return Path(__file__).resolve().parents[1]


def _pip_install(requirements: list[str]) -> None:
    """Install with the kernel's own pip (replaced by a recorder in the tests)."""
    run = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", *requirements],
        capture_output=True,
        text=True,
    )
    if run.returncode:
        why = (run.stderr.strip().splitlines() or ["no message"])[-1]
        raise SetupError(
            f"pip install {' '.join(requirements)} failed ({why}); check the "
            "runtime's internet connection and re-run this cell"
        )


def missing_packages() -> list[str]:
    """Pip requirements of ``COLAB_PACKAGES`` that are not importable here."""
    return [
        req
        for name, req in COLAB_PACKAGES.items()
        if importlib.util.find_spec(name) is None
    ]


def install_missing() -> list[str]:
    """Install what Colab lacks; returns the requirements installed."""
    todo = missing_packages()
    for req in todo:
        name = req.split(">")[0].split("=")[0].split("<")[0].strip().lower()
        if name in NEVER_INSTALL:
            raise RuntimeError(f"refusing to install {req} in Colab")
    if todo:
        _pip_install(todo)
    return todo


def _is_exercise_file(path: Path) -> bool:
    """A file the student writes in (the others are given and kept up to date)."""
    return path.name != "__init__.py" and "# YOUR CODE HERE" in path.read_text()


def persist_in_drive(course_student: Path, drive_work: Path) -> Path:
    """Keep the student's work in Drive: copy the exercise files Drive lacks and never
    overwrite one; given files (package ``__init__``, helpers) follow the course.

    Returns the folder that holds the ``student`` package to import (``drive_work``).
    """
    target = drive_work / "student"
    target.mkdir(parents=True, exist_ok=True)
    for src in sorted(course_student.rglob("*.py")):
        dest = target / src.relative_to(course_student)
        if dest.exists() and (
            _is_exercise_file(src) or dest.read_bytes() == src.read_bytes()
        ):
            continue  # the student's work stays untouched
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest)
    return drive_work


def _mount_drive() -> bool:
    """Mount Google Drive (asks the user once); False when it cannot be mounted."""
    try:
        from google.colab import drive

        drive.mount(str(DRIVE_MOUNT))
        return True
    except Exception as exc:  # declined, or no Drive in this runtime
        print(
            f"Google Drive not mounted ({exc}); your work lives in this session only."
        )
        return False


def _prepend_path(path: Path) -> None:
    p = str(path)
    if p in sys.path:
        sys.path.remove(p)
    sys.path.insert(0, p)


def _forget_student() -> None:
    """Drop imported ``student`` modules, so the next import reads the folder chosen."""
    for name in [m for m in sys.modules if m == "student" or m.startswith("student.")]:
        del sys.modules[name]


def solved_lesson(root: Path) -> Path:
    """Set up a solved lesson, run from ``solutions/``: every ``student`` component is
    the reference one (``AF2_USE_REFERENCE=all``). Returns the folder of ``student``."""
    os.environ["AF2_USE_REFERENCE"] = "all"
    home = root / "tutorials"
    _prepend_path(home)
    _forget_student()
    print("A solved lesson: every `student` component is the reference implementation.")
    return home


def setup(use_drive: bool = True) -> Path:
    """Make the course importable; in Colab also install, fetch and persist.

    Returns the folder whose ``student`` package the lesson imports.
    """
    root = repo_root()
    _prepend_path(root)
    if not in_colab():
        if Path.cwd().resolve() == root / "solutions":
            return solved_lesson(root)
        return Path.cwd()
    install_missing()
    student_home = root / "tutorials"
    if use_drive and _mount_drive():
        student_home = persist_in_drive(root / "tutorials" / "student", DRIVE_WORK)
        print(f"Your code lives in {student_home / 'student'} (Google Drive).")
    _prepend_path(student_home)
    os.chdir(root / "tutorials")
    _forget_student()
    return student_home


def colab_url(notebook_path: str) -> str:
    """The Colab address of a notebook of the published repository."""
    slug = REPO_URL.removeprefix("https://github.com/").removesuffix(".git")
    return (
        f"https://colab.research.google.com/github/{slug}/blob/{BRANCH}/{notebook_path}"
    )


def colab_badge(notebook_path: str) -> str:
    """Markdown for an "Open in Colab" badge, e.g.
    ``colab_badge("tutorials/01_features.ipynb")``."""
    return f"[![Open in Colab]({BADGE_IMAGE})]({colab_url(notebook_path)})"
