"""``python -m grader course DIR``: an nbgrader course made from this repository.

For every lesson ``tutorials/NN_name.ipynb`` the course gets ``source/NN_name/`` with

- the lesson notebook carrying nbgrader metadata: every cell locked (autograding restores
  it from the gradebook, so edits and deletions do not count), and each check cell an
  autograder test cell worth the points of its ``points`` metadata, with a hidden-test
  section that calls the same check with ``hidden=True`` (other sizes and seeds,
  computed on the grading machine, never released);
- the student package ``student/`` (stubs). Student modules are graded as submitted
  (``Autograde.exclude_overwriting``); only the generated ``student/__init__.py`` is
  restored from the source.

``nbgrader_config.py`` sets a per-cell timeout (an infinite loop costs one cell), lets
the kernel import this repository, and turns stderr output in test cells that did not
fail into stdout (nbgrader gives 0 to a test cell with any stderr output, so a warning
printed by a correct answer would otherwise zero it).
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COURSE_ID = "af2-course"
HIDDEN = "### BEGIN HIDDEN TESTS\n{call}\n### END HIDDEN TESTS"

CONFIG = '''\
"""nbgrader configuration of the AlphaFold2 course (written by `python -m grader course`)."""
import sys

TOOLS = {root!r}  # the repository whose grader.instructor wrote this file
sys.path.insert(0, TOOLS)
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.root = {course!r}
# One cell may take {timeout} s; then the kernel is interrupted, the cell records a
# CellTimeoutError (0 points for that cell) and the other cells still run.
c.Execute.timeout = {timeout}
c.Execute.interrupt_on_timeout = True
c.Execute.raise_on_iopub_timeout = False
# Student modules are graded as submitted, not replaced by the stubs of source/.
c.Autograde.exclude_overwriting = {exclude!r}
# Warnings (stderr) from a passing test cell must not zero it.
c.Autograde.autograde_preprocessors = [
    "nbgrader.preprocessors.Execute",
    "grader.instructor.preprocessors.StderrAsStdout",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
'''


def lessons(root: Path = ROOT) -> list[Path]:
    """The generated lesson notebooks, in order."""
    return sorted((root / "tutorials").glob("[0-9][0-9]_*.ipynb"))


def grade_id(exercise: str) -> str:
    """nbgrader's id of the test cell of ``exercise`` (ids allow only ``[A-Za-z0-9_-]``)."""
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


def student_modules(root: Path = ROOT) -> list[str]:
    """``student/<module>.py`` paths graded as submitted: the stubs with exercises. The
    package ``__init__`` and the given infrastructure modules are restored from source."""
    stubs = root / "tutorials" / "student"
    return [
        f"student/{p.name}"
        for p in sorted(stubs.glob("*.py"))
        if p.name != "__init__.py" and "# YOUR CODE HERE" in p.read_text()
    ]


def create_course(
    course: Path,
    root: Path = ROOT,
    timeout: int = 60,
    check_module: str = "grader.check",
    generate: bool = True,
) -> list[str]:
    """Create (or refresh) the course in ``course`` from the lessons of ``root``;
    returns the assignment names. ``course.json`` records what autograde needs."""
    course, root = Path(course).resolve(), Path(root).resolve()
    names, exercises = [], {}
    for lesson in lessons(root):
        name = lesson.stem
        dest = course / "source" / name
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        original = json.loads(lesson.read_text())
        exercises[name] = {
            c["metadata"]["exercise"]: c["metadata"]["points"]
            for c in original["cells"]
            if "check" in c["metadata"].get("tags", [])
        }
        nb = source_notebook(original)
        (dest / lesson.name).write_text(
            json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
        )
        shutil.copytree(
            root / "tutorials" / "student",
            dest / "student",
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
        names.append(name)
    if not names:
        raise SystemExit(
            f"no lessons in {root / 'tutorials'}: run `python -m grader build`"
        )
    exclude = {name: student_modules(root) for name in names}
    (course / "nbgrader_config.py").write_text(
        CONFIG.format(
            root=str(ROOT),
            course_id=COURSE_ID,
            course=str(course),
            timeout=timeout,
            exclude=exclude,
        )
    )
    info = {
        "root": str(root),
        "course_id": COURSE_ID,
        "check_module": check_module,
        "lessons": exercises,
        "modules": student_modules(root),
    }
    (course / "course.json").write_text(json.dumps(info, indent=1) + "\n")
    if generate:
        for name in names:
            nbgrader(course, root, "generate_assignment", name, "--force")
    return names


def course_info(course: Path) -> dict:
    """What ``create_course`` recorded in ``course.json``."""
    path = Path(course) / "course.json"
    if not path.exists():
        raise SystemExit(f"{course} is not a course made by `python -m grader course`")
    return json.loads(path.read_text())


def kernel_env(root: Path) -> dict:
    """Environment for nbgrader and its kernels: the course (and these tools) importable."""
    import os

    env = dict(os.environ)
    env["AF2_COURSE_ROOT"] = str(root)
    paths = list(
        dict.fromkeys(
            [str(root), str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p]
        )
    )
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.pop("AF2_USE_REFERENCE", None)  # grade the student's code, never the reference
    return env


def nbgrader(course: Path, root: Path, *args: str) -> subprocess.CompletedProcess:
    """Run one nbgrader command in the course directory; raises with its log on failure."""
    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        env=kernel_env(root),
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"nbgrader {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
        )
    return proc
