"""``python -m grader course DIR``: an nbgrader course made from this repository.

For every lesson ``tutorials/NN_name.ipynb`` the course gets ``source/NN_name/`` with

- the lesson notebook carrying nbgrader metadata: every cell locked, and each check
  cell an autograder test cell worth the points of its ``points`` metadata, with a
  hidden-test section that calls the same check with ``hidden=True`` (other sizes and
  seeds, computed on the grading machine, never released);
- the student package ``student/``. The lesson's own modules are graded as submitted
  (``Autograde.exclude_overwriting``); every other file is the released one.

``nbgrader_config.py`` replaces the run of the notebook by ``GradeFromVerdicts``
(``preprocessors.py``): scores come from the student's ``.py`` files, checked by
``grading.py``. ``course.json`` records what autograde needs. The course is built in a
temporary folder beside ``DIR`` and moved into place only when nbgrader succeeded, so a
failure leaves ``DIR`` as it was.
"""

from __future__ import annotations

import ast
import json
import shutil
import tempfile
from pathlib import Path

from .gradebook import NbgraderError, api, check

ROOT = Path(__file__).resolve().parents[2]
COURSE_ID = "af2-course"
HIDDEN = "### BEGIN HIDDEN TESTS\n{call}\n### END HIDDEN TESTS"
BUILT = ("source", "release", "gradebook.db", "nbgrader_config.py", "course.json")

CONFIG = '''\
"""nbgrader configuration of the AlphaFold2 course (by `python -m grader course`)."""
import sys

TOOLS = {root!r}  # the repository whose grader.instructor wrote this file
sys.path.insert(0, TOOLS)
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.root = {course!r}
# Each lesson's own student modules are graded as submitted, not replaced by source/.
c.Autograde.exclude_overwriting = {exclude!r}
# The notebook is not run: every answer is in student/*.py, checked by
# `python -m grader autograde` (or on demand by GradeFromVerdicts), whose verdicts
# become the test cells' outputs; SaveAutoGrades scores them as usual.
c.Autograde.autograde_preprocessors = [
    "grader.instructor.preprocessors.GradeFromVerdicts",
    "grader.instructor.preprocessors.LimitOutputBySize",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
]
'''


class CourseError(RuntimeError):
    """The course cannot be built or read: one line."""


def lessons(root: Path = ROOT) -> list[Path]:
    """The generated lesson notebooks, in order."""
    return sorted((root / "tutorials").glob("[0-9][0-9]_*.ipynb"))


def grade_id(exercise: str) -> str:
    """nbgrader's id of the test cell of ``exercise`` (only ``[A-Za-z0-9_-]``)."""
    return "check-" + exercise.replace(".", "-")


def hidden_call(source: str) -> str:
    """The check call of a check cell with ``hidden=True`` added."""
    tree = ast.parse(source)
    calls = [
        n
        for n in tree.body
        if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)
    ]
    if not calls:
        raise ValueError(f"a check cell must end in a check call:\n{source}")
    call = calls[-1].value
    call.keywords = [k for k in call.keywords if k.arg != "hidden"]
    call.keywords.append(ast.keyword(arg="hidden", value=ast.Constant(True)))
    return ast.unparse(call)


def source_notebook(nb: dict) -> dict:
    """The lesson notebook with nbgrader metadata (a new dict)."""
    nb = json.loads(json.dumps(nb))
    for i, cell in enumerate(nb["cells"]):
        meta = cell.setdefault("metadata", {})
        text = (
            "".join(cell["source"])
            if isinstance(cell["source"], list)
            else cell["source"]
        )
        nbg = {
            "grade": False,
            "solution": False,
            "locked": True,
            "schema_version": 3,
            "grade_id": f"cell-{i:03d}",
        }
        if "check" in meta.get("tags", []):
            nbg.update(
                grade=True, points=meta["points"], grade_id=grade_id(meta["exercise"])
            )
            # ';' keeps the returned result from becoming an execute_result, which
            # nbgrader would read as a partial-credit score.
            text = text.rstrip() + "\n" + HIDDEN.format(call=hidden_call(text) + ";")
        cell["source"] = text
        meta["nbgrader"] = nbg
    return nb


def lesson_info(nb: dict) -> dict:
    """``{"exercises": {name: points}, "modules": [...]}`` of a lesson notebook."""
    exercises = {
        c["metadata"]["exercise"]: c["metadata"]["points"]
        for c in nb["cells"]
        if "check" in c["metadata"].get("tags", [])
    }
    modules = sorted({name.split(".")[0] for name in exercises})
    return {"exercises": exercises, "modules": modules}


def create_course(
    course: Path, root: Path = ROOT, timeout: float = 30, generate: bool = True
) -> list[str]:
    """Create (or refresh) the course in ``course`` from the lessons of ``root``;
    returns the assignment names. Raises ``CourseError`` and leaves ``course`` as it
    was when anything fails."""
    course, root = Path(course).resolve(), Path(root).resolve()
    if course.exists() and any(course.iterdir()):
        if not (course / "course.json").exists():
            raise CourseError(f"{course} is not empty and not a course: choose another")
    course.parent.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=f".{course.name}-", dir=course.parent))
    try:
        names = _build(build, course, root, timeout, generate)
        course.mkdir(exist_ok=True)
        for name in BUILT:
            if (build / name).exists():
                _replace(build / name, course / name)
    finally:
        shutil.rmtree(build, ignore_errors=True)
    _write_config(course, course, root, names)
    return names


def _build(build: Path, course: Path, root: Path, timeout, generate) -> list[str]:
    names, info = [], {}
    for lesson in lessons(root):
        name = lesson.stem
        dest = build / "source" / name
        dest.mkdir(parents=True)
        original = json.loads(lesson.read_text())
        info[name] = lesson_info(original)
        nb = source_notebook(original)
        text = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
        (dest / lesson.name).write_text(text)
        shutil.copytree(
            root / "tutorials" / "student",
            dest / "student",
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
        names.append(name)
    if not names:
        raise CourseError(
            f"no lessons in {root / 'tutorials'}: run `python -m grader build`"
        )
    course_json = {
        "root": str(root),
        "course_id": COURSE_ID,
        "timeout": timeout,
        "lessons": info,
    }
    (build / "course.json").write_text(json.dumps(course_json, indent=1) + "\n")
    if (course / "gradebook.db").exists():  # refreshed, grades kept
        shutil.copy(course / "gradebook.db", build / "gradebook.db")
    _write_config(build, build, root, names)
    if generate:
        nbgrader = api(build)
        for name in names:
            try:
                check(f"generate {name}", nbgrader.generate_assignment(name))
            except NbgraderError as exc:
                raise CourseError(str(exc)) from None
    return names


def _write_config(where: Path, course: Path, root: Path, names: list[str]) -> None:
    info = json.loads((where / "course.json").read_text())
    exclude = {
        name: [f"student/{m}.py" for m in info["lessons"][name]["modules"]]
        for name in names
    }
    text = CONFIG.format(
        root=str(ROOT), course_id=COURSE_ID, course=str(course), exclude=exclude
    )
    (where / "nbgrader_config.py").write_text(text)


def _replace(new: Path, old: Path) -> None:
    if old.is_dir():
        shutil.rmtree(old)
    elif old.exists():
        old.unlink()
    new.replace(old)


def course_info(course: Path) -> dict:
    """What ``create_course`` recorded in ``course.json``."""
    path = Path(course) / "course.json"
    if not path.exists():
        raise CourseError(f"{course} is not a course made by `python -m grader course`")
    info = json.loads(path.read_text())
    if not all("modules" in v for v in info["lessons"].values()):
        raise CourseError(
            f"{course} was made by an older version: refresh it with "
            f"`python -m grader course {course}`"
        )
    return info
