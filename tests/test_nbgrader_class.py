"""The instructor pipeline end to end on every lesson: a simulated class graded by the
real nbgrader.

``CLASS`` says what each simulated student hands in, for which lessons, and
``expected`` what each grade must then be. The lessons, their modules and exercises
come from ``grader.exercises`` and the course built from ``tutorials/``, so a new
lesson joins the class when it lands.
The course is built once (by the command line, with nbgrader's programs off PATH) and
the whole class — one LMS zip — is graded by one ``autograde`` call; all tests share
it (pytest-xdist workers too, through a lock file).
"""

from __future__ import annotations

import ast
import csv
import json
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import pytest

pytest.importorskip(
    "nbgrader", reason="instructor tools: pip install -e '.[instructor]'"
)

from grader import check, exercises  # noqa: E402
from grader.instructor.course import (  # noqa: E402
    CourseError,
    create_course,
    grade_id,
    hidden_call,
)
from grader.instructor.gradebook import feedback, first_error, scores  # noqa: E402
from grader.instructor.grading import flags  # noqa: E402
from grader.instructor.limits import Capture, clip  # noqa: E402
from grader.instructor.submissions import (  # noqa: E402
    lesson_of_notebook,
    own_name,
    repair,
    student_id,
)
from grader.stubs import relative_imports  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 3  # per exercise; every check takes well under 0.5 s
# The lessons with a notebook (a lesson's exercises are graded once its notebook exists).
LESSONS = sorted(int(p.name[:2]) for p in (ROOT / "solutions").glob("[0-9][0-9]_*.py"))

# Appended to a student module to change one exercise (``{name}``): ``{pre}`` runs
# first, ``_post`` maps every tensor of the output.
HELPERS = """
import torch as _torch


def _tree(x, f):
    if isinstance(x, _torch.Tensor):
        return f(x)
    if isinstance(x, dict):
        return {k: _tree(v, f) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        items = [_tree(v, f) for v in x]
        return x._make(items) if hasattr(x, "_make") else type(x)(items)
    return x
"""
FUNCTION = """
_case_original = {name}


def {name}(*args, **kwargs):
    {pre}
    return _tree(_case_original(*args, **kwargs), _post)
"""
SUBCLASS = """
class {name}({name}):
    def {method}(self, *args, **kwargs):
        {pre}
        return _tree(super().{method}(*args, **kwargs), _post)
"""
POSTS = {
    "same": "lambda t: t",
    "float32": "lambda t: t.float() if t.dtype == _torch.float64 else t",
    "nan": "lambda t: t * float('nan') if t.is_floating_point() else t",
    "cuda": "lambda t: t.to('cuda')",
}
PATCH_AT_IMPORT = """
import grader.check as _check

_check.run = lambda name, fn=None, hidden=False: _check.Result(name, True, "ok", 0, 1)
"""


@dataclass
class Lesson:
    name: str  # the assignment, e.g. 01_features
    exercises: dict[str, int]  # name: points
    modules: list[str]

    @property
    def first(self) -> str:
        return self.modules[0]

    def of(self, module: str) -> list[str]:
        return [n for n in self.exercises if n.split(".")[0] == module]

    @cached_property
    def target(self) -> str:
        """The first exercise whose object no other exercise of the lesson inherits."""
        objs = {n: exercises.get(n).reference() for n in self.exercises}
        for name, obj in objs.items():
            if not any(
                isinstance(o, type)
                and isinstance(obj, type)
                and o is not obj
                and issubclass(o, obj)
                for o in objs.values()
            ):
                return name
        raise AssertionError(f"no exercise to change in {self.name}")

    @cached_property
    def floating(self) -> str:
        """The first exercise whose output has float tensors (a float32 one fails)."""
        for name in self.exercises:
            wrapped = changed(name, "", "float32")
            if getattr(check.run(name, wrapped), "kind", "") == "dtype":
                return name
        raise AssertionError(f"no exercise with a float output in {self.name}")


def changed(name: str, pre: str, post: str):
    """The reference object of ``name`` changed as a student module would be."""
    ex = exercises.get(name)
    space = {ex.obj_name: ex.reference()}
    exec(HELPERS + f"_post = {POSTS[post]}\n" + _wrapper(name, pre), space)
    return space[ex.obj_name]


def _wrapper(name: str, pre: str) -> str:
    ex = exercises.get(name)
    template = SUBCLASS if isinstance(ex.reference(), type) else FUNCTION
    # a method exercise (``Class.method``) changes that method of the class
    method = ex.method or "forward"
    return template.format(name=ex.obj_name, method=method, pre=pre or "pass")


def solved(module: str) -> str:
    return relative_imports((ROOT / "reference" / f"{module}.py").read_text())


def stub(module: str) -> str:
    return (ROOT / "tutorials" / "student" / f"{module}.py").read_text()


def with_change(name: str, pre: str = "", post: str = "same") -> str:
    module = name.split(".")[0]
    text = solved(module) + HELPERS + f"_post = {POSTS[post]}\n"
    return text + _wrapper(name, pre)


@cache
def importers(module: str, modules: tuple[str, ...]) -> set[str]:
    """``module`` and the lesson modules that import it, directly or not."""
    deps = {}
    for m in modules:
        tree = ast.parse((ROOT / "reference" / f"{m}.py").read_text())
        deps[m] = {
            (n.module or "").split(".")[0]
            for n in ast.walk(tree)
            if isinstance(n, ast.ImportFrom) and n.level == 1
        }
    found = {module}
    while True:
        more = {m for m in modules if deps[m] & found} - found
        if not more:
            return found
        found |= more


# --- the class: what each student hands in, per lesson ----------------------------
# A case maps a Lesson to (notebook or None, {module: source}) and says which
# exercises lose their points and which flags the row must carry ("" = no flag).


def release(lesson: Lesson) -> dict:
    return json.loads(_release_path(lesson).read_text())


def _release_path(lesson: Lesson) -> Path:
    return COURSE / "release" / lesson.name / f"{lesson.name}.ipynb"


def all_solved(lesson: Lesson) -> dict:
    return {m: solved(m) for m in lesson.modules}


def colab_stripped(nb: dict) -> dict:
    for i, c in enumerate(nb["cells"]):
        c["metadata"] = {"id": f"colab{i}"}
        c.pop("id", None)
    nb["metadata"] = {"colab": {"provenance": []}, "kernelspec": {"name": "python3"}}
    return nb


def tampered_cells(nb: dict) -> dict:
    """Deletes the first test cell and replaces the second with ``pass``."""
    tests = [c for c in nb["cells"] if c["metadata"]["nbgrader"].get("grade")]
    nb["cells"].remove(tests[0])
    if len(tests) > 1:
        tests[1]["source"] = "pass"
    return nb


def case_files(case: str, lesson: Lesson):
    """``(notebook or None, {module: source})`` of one student for one lesson."""
    nb, code = release(lesson), all_solved(lesson)
    t, f = lesson.target, lesson.floating
    if case == "untouched":
        code = {m: stub(m) for m in lesson.modules}
    elif case == "partial":
        code[lesson.first] = stub(lesson.first)
    elif case == "colab":
        nb = colab_stripped(nb)
    elif case == "celltamper":
        nb = tampered_cells(nb)
    elif case == "pyonly":
        nb = None
    elif case == "missing":
        del code[lesson.first]
    elif case == "looper":
        code[t.split(".")[0]] = with_change(t, "while True: pass")
    elif case == "exiter":
        code[t.split(".")[0]] = with_change(t, "import sys; sys.exit(3)")
    elif case == "killer":
        code[t.split(".")[0]] = with_change(t, "import os; os._exit(1)")
    elif case == "importkill":
        code[lesson.first] = solved(lesson.first) + "\nimport os\n\nos._exit(1)\n"
    elif case == "syntax":
        code[lesson.first] = solved(lesson.first) + "\ndef broken(:\n"
    elif case in ("float32", "nan", "cuda"):
        code[f.split(".")[0]] = with_change(f, post=case)
    elif case == "bigprint":
        code[t.split(".")[0]] = with_change(t, "print('x' * 50_000_000)")
    elif case == "warner":
        pre = (
            "import sys, warnings; warnings.warn('a deprecation', DeprecationWarning);"
            " warnings.warn('a user warning'); print('note', file=sys.stderr)"
        )
        code[t.split(".")[0]] = with_change(t, pre)
    elif case == "patchimport":
        code = {m: stub(m) for m in lesson.modules}
        code[lesson.first] += PATCH_AT_IMPORT
    elif case == "patchrun":
        pre = "import grader.check; grader.check.compare = lambda *a, **k: None; return"
        code[t.split(".")[0]] = with_change(t, pre)
    elif case == "borrower":
        code[lesson.first] += f"\nfrom reference.{lesson.first} import *  # noqa\n"
    return nb, code


def expected(case: str, lesson: Lesson) -> tuple[set[str], list[str]]:
    """``(exercises that score 0, flags the row must carry)``; no flag means none."""
    first = set(lesson.of(lesson.first))
    broken = {
        n for m in importers(lesson.first, tuple(lesson.modules)) for n in lesson.of(m)
    }
    t, f = lesson.target, lesson.floating
    return {
        "full": (set(), []),
        "canvas": (set(), []),
        "renamed": (set(), []),
        "bigprint": (set(), []),
        "warner": (set(), []),
        "untouched": (set(lesson.exercises), []),
        "partial": (first, []),
        "colab": (set(), ["metadata restored"]),
        "celltamper": (set(), ["put back", "locked cells edited"]),
        "pyonly": (set(), ["notebook not found"]),
        "missing": (first, [f"not submitted: student/{lesson.first}.py"]),
        "looper": ({t}, [f"timeout: {t}"]),
        "exiter": ({t}, [f"crash: {t}"]),
        "killer": ({t}, [f"crash: {t}"]),
        "importkill": (broken, [f"crash: student/{lesson.first}.py"]),
        "syntax": (broken, [f"import error: student/{lesson.first}.py"]),
        "float32": ({f}, [f"dtype: {f}"]),
        "nan": ({f}, [f"NaN: {f}"]),
        "cuda": ({f}, [f"device: {f}"]),
        "patchimport": (set(lesson.exercises), ["changed the checker at import"]),
        "patchrun": ({t}, [f"tampering: {t}"]),
        "borrower": (first, [f"reference code: {lesson.of(lesson.first)[0]}"]),
    }[case]


# What depends on a lesson's modules and checks is tried on every lesson; the rest
# (the intake, tampering, the other kinds of failure) on one lesson each, in turn.
EVERY_LESSON = [
    "full", "canvas", "partial", "missing", "looper", "killer", "importkill",
    "float32",
]  # fmt: skip
ONE_LESSON = [
    "untouched", "renamed", "bigprint", "warner", "colab", "celltamper", "pyonly",
    "exiter", "syntax", "nan", "cuda", "patchimport", "patchrun", "borrower",
]  # fmt: skip
CLASS = [(case, number) for case in EVERY_LESSON for number in LESSONS] + [
    (case, LESSONS[i % len(LESSONS)]) for i, case in enumerate(ONE_LESSON)
]


def write_class(folder: Path, lessons: dict[int, Lesson]) -> None:
    """Every case as an LMS would hand it in: Moodle folders, Canvas flat files."""
    for case, number in CLASS:
        lesson = lessons[number]
        nb, code = case_files(case, lesson)
        if case == "canvas":  # flat, prefixed, resubmitted: the last copy counts
            for n, (module, text) in enumerate(code.items()):
                (folder / f"canvas_12_{n}_{module}-1.py").write_text(stub(module))
                (folder / f"canvas_12_{n}_{module}-2.py").write_text(text)
            name = f"canvas_12_99_Copy of {lesson.name} (1).ipynb"
            (folder / name).write_text(json.dumps(nb))
            continue
        home = folder / f"{case}_4711_assignsubmission_file_"
        (home / "student").mkdir(parents=True, exist_ok=True)
        for module, text in code.items():
            (home / "student" / f"{module}.py").write_text(text)
        if nb is not None:
            name = f"homework {number}" if case == "renamed" else lesson.name
            (home / f"{name}.ipynb").write_text(json.dumps(nb))
    (folder / "nobody_1_assignsubmission_file_").mkdir()
    (folder / "nobody_1_assignsubmission_file_" / "notes.txt").write_text("hello")


# --- the shared graded class ------------------------------------------------------
COURSE: Path


def _grade_class(base: Path) -> None:
    """Build the course (PATH without nbgrader's programs), grade the class zip."""
    shutil.rmtree(base, ignore_errors=True)
    (base / "subs").mkdir(parents=True)
    course = base / "course"
    env = {**os.environ, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    made = subprocess.run(
        [sys.executable, "-m", "grader", "course", str(course),
         "--timeout", str(TIMEOUT_S)],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    _use(course)
    write_class(base / "subs", lessons_by_number())
    archive = base / "lms.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in sorted((base / "subs").rglob("*")):
            zf.write(p, p.relative_to(base / "subs"))
    graded = subprocess.run(
        [sys.executable, "-m", "grader", "autograde", str(course), str(archive),
         "--csv", str(base / "grades.csv"), "--jobs", "2"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert graded.returncode == 0, graded.stdout + graded.stderr
    meta = {"course": str(course), "made": made.stdout, "log": graded.stdout}
    (base / "graded.json").write_text(json.dumps(meta))


def _load(base: Path) -> dict:
    meta = json.loads((base / "graded.json").read_text())
    _use(Path(meta["course"]))
    with (base / "grades.csv").open() as f:
        rows = {(r["student"], r["lesson"]): r for r in csv.DictReader(f)}
    return {**meta, "rows": rows}


def _use(course: Path) -> None:
    global COURSE
    COURSE = course
    lessons_by_number.cache_clear()


@pytest.fixture(scope="session")
def graded(tmp_path_factory) -> dict:
    """The graded class, made once per test session (shared by xdist workers)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        base = tmp_path_factory.mktemp("class")
        _grade_class(base)
        return _load(base)
    from filelock import FileLock

    shared = tmp_path_factory.getbasetemp().parent  # this session's, every worker's
    base = shared / "graded-class"
    with FileLock(str(shared / "graded-class.lock")):
        if not (base / "graded.json").exists():
            _grade_class(base)
    return _load(base)


@cache
def lessons_by_number() -> dict[int, Lesson]:
    info = json.loads((COURSE / "course.json").read_text())
    return {
        int(n[:2]): Lesson(n, v["exercises"], v["modules"])
        for n, v in info["lessons"].items()
    }


# --- the tests --------------------------------------------------------------------
@pytest.mark.slow
def test_the_course_is_every_registered_exercise(graded):
    by_lesson: dict[int, dict] = {}
    for name, ex in exercises.all_exercises().items():
        by_lesson.setdefault(exercises.lesson_of(name), {})[name] = ex.points
    assert {n: l.exercises for n, l in lessons_by_number().items()} == by_lesson
    assert "nbgrader course in" in graded["made"]  # alembic found without PATH


@pytest.mark.slow
@pytest.mark.parametrize("case, number", CLASS)
def test_the_class_is_graded_as_expected(graded, case, number):
    lesson = lessons_by_number()[number]
    row = graded["rows"][case, lesson.name]
    zero, wanted = expected(case, lesson)
    got = {n for n in lesson.exercises if float(row[n]) == 0}
    assert got == zero, row["flags"]
    assert float(row["score"]) == sum(
        p for n, p in lesson.exercises.items() if n not in zero
    )
    assert float(row["max_score"]) == sum(lesson.exercises.values())
    for flag in wanted:
        assert flag in row["flags"], (flag, row["flags"])
    if not wanted:
        assert row["flags"] == ""


@pytest.mark.slow
def test_one_row_per_submission_and_lesson(graded):
    lessons = lessons_by_number()
    wanted = {(case, lessons[number].name) for case, number in CLASS}
    assert set(graded["rows"]) == wanted | {("nobody", "")}


@pytest.mark.slow
def test_a_student_with_nothing_to_grade_still_has_a_row(graded):
    row = graded["rows"]["nobody", ""]
    assert row["score"] == "" and "nothing to grade found (notes.txt)" in row["flags"]


@pytest.mark.slow
def test_the_csv_is_the_gradebook(graded):
    """``nbgrader export`` (what formgrader shows) has the CSV's scores."""
    out = subprocess.run(
        [sys.executable, "-m", "nbgrader", "export", "--to", "export.csv"],
        cwd=graded["course"], capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    with (Path(graded["course"]) / "export.csv").open() as f:
        book = {
            (r["student_id"], r["assignment"]): r["score"] for r in csv.DictReader(f)
        }
    for key, row in graded["rows"].items():
        if key[1]:
            assert float(book[key]) == float(row["score"]), key


@pytest.mark.slow
def test_nbgrader_on_its_own_grades_from_the_files(graded, tmp_path):
    """``nbgrader autograde`` (or formgrader's button) without a grading record
    grades the student's files itself, to the same score."""
    course = tmp_path / "course"
    shutil.copytree(graded["course"], course, ignore=shutil.ignore_patterns("feedback"))
    lesson = lessons_by_number()[LESSONS[0]].name
    (course / "grading" / lesson / "partial.json").unlink()
    out = subprocess.run(
        [sys.executable, "-m", "nbgrader", "autograde", lesson, "--student", "partial",
         "--force", f"--CourseDirectory.root={course}"],
        cwd=course, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    assert (course / "grading" / lesson / "partial.json").exists()
    book = scores(course, "af2-course", [(lesson, "partial")])[lesson, "partial"]
    assert book["score"] == float(graded["rows"]["partial", lesson]["score"])


@pytest.mark.slow
def test_feedback_has_every_verdict_also_after_a_crash(graded):
    """nbgrader's feedback (``autograde --feedback``) for a crashed and a full
    submission of every lesson."""
    course = Path(graded["course"])
    keys = [
        (lesson.name, s)
        for lesson in lessons_by_number().values()
        for s in ("killer", "full")
    ]
    assert feedback(course, keys, 2) == {}
    for lesson, student in keys:
        html = (course / "feedback" / student / lesson / f"{lesson}.html").read_text()
        exercises_ = lessons_by_number()[int(lesson[:2])].exercises
        assert all(name in html for name in exercises_)
        assert "✓" in html
        if student == "killer":
            assert "ended the Python process" in html
    missing = feedback(course, [(keys[0][0], "nobody")], 2)
    assert missing == {(keys[0][0], "nobody"): "nbgrader wrote no feedback"}


@pytest.mark.slow
def test_output_is_cut_by_size(graded):
    """50 MB printed on one line: the record and the notebook keep a few kB."""
    for number in [n for case, n in CLASS if case == "bigprint"]:
        lesson = lessons_by_number()[number].name
        course = Path(graded["course"])
        record = course / "grading" / lesson / "bigprint.json"
        assert record.stat().st_size < 50_000
        assert "bytes cut" in json.loads(record.read_text())["output"]
        notebook = course / "autograded" / "bigprint" / lesson / f"{lesson}.ipynb"
        assert notebook.stat().st_size < 2 * release_size(lesson)


def release_size(lesson: str) -> int:
    return (COURSE / "release" / lesson / f"{lesson}.ipynb").stat().st_size + 50_000


@pytest.mark.slow
def test_an_endless_loop_costs_its_time_limit_once(graded):
    for number in LESSONS:
        lesson = lessons_by_number()[number]
        record = json.loads(
            (
                Path(graded["course"]) / "grading" / lesson.name / "looper.json"
            ).read_text()
        )
        verdict = record["verdicts"][lesson.target]
        assert verdict["kind"] == "timeout"
        assert TIMEOUT_S <= verdict["seconds"] < 2 * TIMEOUT_S
        assert record["seconds"] < 2 * TIMEOUT_S + 5


@pytest.mark.slow
def test_verify_checks_one_folder(graded, tmp_path):
    lesson = lessons_by_number()[LESSONS[0]]
    (tmp_path / "student").mkdir()
    for module, text in case_files("partial", lesson)[1].items():
        (tmp_path / "student" / f"{module}.py").write_text(text)
    out = subprocess.run(
        [sys.executable, "-m", "grader", "verify", graded["course"], str(tmp_path),
         lesson.name],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    for name in lesson.exercises:
        state = "FAIL" if name.split(".")[0] == lesson.first else "PASS"
        assert f"{state} {'✗' if state == 'FAIL' else '✓'} {name}" in out


@pytest.mark.slow
def test_a_failing_course_build_says_why_in_one_line(tmp_path):
    """nbgrader refuses two test cells with one id: one line, nothing half-built."""
    root = tmp_path / "repo"
    shutil.copytree(ROOT / "tutorials" / "student", root / "tutorials" / "student")
    nb = json.loads(next((ROOT / "tutorials").glob("01_*.ipynb")).read_text())
    checks = [c for c in nb["cells"] if "check" in c["metadata"].get("tags", [])]
    name = checks[1]["metadata"]["exercise"] = checks[0]["metadata"]["exercise"]
    (root / "tutorials" / "01_broken.ipynb").write_text(json.dumps(nb))
    with pytest.raises(CourseError) as failed:
        create_course(tmp_path / "c", root=root)
    message = str(failed.value)
    assert message == (
        "nbgrader could not generate 01_broken: "
        f"jsonschema.exceptions.ValidationError: Duplicate grade id: {grade_id(name)}"
    )
    assert "\n" not in message and "checksum" not in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["repo"]  # nothing left


# --- the parts, on their own ------------------------------------------------------
def test_own_names_lose_lms_prefixes_and_copy_marks_only():
    assert own_name("smithalice_123_456_msa_attention-2.py", "smithalice") == (
        "msa_attention.py",
        2,
    )
    assert own_name("smithalice_LATE_1_2_attention.py", "smithalice") == (
        "attention.py",
        0,
    )
    assert own_name(
        "Alice Smith_9_assignsubmission_file_features (3).py", "Alice Smith"
    ) == (
        "features.py",
        3,
    )
    assert own_name("Copy of 01_features (1).ipynb", "") == ("01_features.ipynb", 1)
    assert own_name("msa_attention.py", "")[0] != "attention.py"


def test_a_notebook_is_known_by_its_checks_else_its_name():
    lessons = {
        "01_features": {"exercises": {"features.encode": 1}},
        "02_attention": {"exercises": {"attention.Attention": 3}},
    }
    cell = {"cell_type": "code", "source": 'check.exercise("attention.Attention", f)'}
    assert lesson_of_notebook({"cells": [cell]}, "01_features.ipynb", lessons) == (
        "02_attention"
    )
    assert lesson_of_notebook(None, "Lesson 2.ipynb", lessons) == "02_attention"
    assert lesson_of_notebook({"cells": []}, "features (1).ipynb", lessons) == (
        "01_features"
    )
    assert lesson_of_notebook({"cells": []}, "homework.ipynb", lessons) is None


def test_text_is_cut_by_size_not_lines():
    line = "x" * 1_000_000
    cut = clip(line, 100, 50)
    assert len(cut) < 200 and "999,850 characters cut" in cut
    capture = Capture(head=10, tail=5)
    for _ in range(1000):
        capture.write(b"0123456789")
    text = capture.text()
    assert text.startswith("0123456789\n") and text.endswith("56789")
    assert "9,985 bytes cut" in text


def test_the_first_real_error_of_an_nbgrader_log():
    log = (  # as nbgrader logs it: the traceback indented, the real error first
        "[WARNING] Attribute 'checksum' for cell check-a has changed! (should be: x)\n"
        "[ERROR] Traceback (most recent call last):\n"
        '      File "v3.py", line 110, in validate_nb\n'
        "        raise ValidationError(f'Duplicate grade id: {grade_id}')\n"
        "    jsonschema.exceptions.ValidationError: Duplicate grade id: check-a\n"
        "    \n"
        "[ERROR] Notebook failed to validate; the nbgrader metadata may be corrupted.\n"
        "[ERROR] There was an error processing assignment: /c/source/./01\n"
        "[ERROR] Traceback (most recent call last):\n"
        '      File "base.py", line 390, in convert_notebooks\n'
        "    jsonschema.exceptions.ValidationError: Notebook failed to validate\n"
    )
    assert first_error(log) == (
        "jsonschema.exceptions.ValidationError: Duplicate grade id: check-a"
    )
    plain = 'Traceback (most recent call last):\n  File "x", line 1\nKeyError: 3\n'
    assert first_error(plain) == "KeyError: 3"
    assert first_error("[WARNING] w\n[ERROR] No notebooks found\n") == (
        "No notebooks found"
    )


def test_the_course_files_are_restored_after_a_submission(tmp_path):
    """What a submission writes into the checker, the reference or data/ is undone
    (and reported) before the next submission is graded."""
    from grader.instructor.sandbox import Files

    for name in ("grader/check.py", "reference/a.py", "data/t/x.npz"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(name.encode())
    files = Files(tmp_path)
    assert files.restored() == []
    (tmp_path / "grader" / "check.py").write_text("run = None")
    (tmp_path / "data" / "t" / "x.npz").unlink()
    (tmp_path / "grader" / "evil.py").write_text("")
    (tmp_path / "grader" / "notes.txt").write_text("")  # not code: left alone
    assert files.restored() == ["data/t/x.npz", "grader/check.py", "grader/evil.py"]
    assert (tmp_path / "grader" / "check.py").read_bytes() == b"grader/check.py"
    assert (tmp_path / "data" / "t" / "x.npz").read_bytes() == b"data/t/x.npz"
    assert not (tmp_path / "grader" / "evil.py").exists()
    assert files.restored() == []


def test_flags_name_every_loss_that_is_not_a_wrong_answer():
    def v(kind, message="✗"):
        return {"passed": kind == "passed", "kind": kind, "message": message}

    record = {
        "placement": ["notebook not found; the released one stands in"],
        "imports": {"a": None, "b": v("timeout")},
        "verdicts": {
            "a.ok": v("passed"),
            "a.wrong": v("values"),
            "a.raised": v("exception", "✗ a.raised: RuntimeError: CUDA not available"),
            "a.half": v("dtype"),
            "a.inputs": v("modified_input"),  # a kind added later: flagged as is
            "b.x": v("timeout"),
            "c.y": v("not_submitted"),
        },
        "tampered_at_import": ["grader.check.run"],
        "files_changed": ["data/x.npz"],
    }
    assert flags(record) == [
        "notebook not found; the released one stands in",
        "timeout: student/b.py",
        "device: a.raised",
        "dtype: a.half",
        "modified_input: a.inputs",
        "not submitted: student/c.py",
        "changed the checker at import (undone): grader.check.run",
        "course files changed on disk (restored): data/x.npz",
    ]


def test_hidden_call_adds_hidden_true():
    assert (
        hidden_call('check.exercise("a.b", student.a.b)')
        == "check.exercise('a.b', student.a.b, hidden=True)"
    )
    assert hidden_call("x = 1\ncheck.exercise('a.b', hidden=False)").endswith(
        "hidden=True)"
    )


def test_student_ids_from_lms_names():
    assert student_id("Alice Smith_4711_assignsubmission_file_") == "alice_smith"
    assert student_id("smithalice_123_456_01_features.ipynb") == "smithalice"
    assert grade_id("msa_attention.MSAColumnAttention") == (
        "check-msa_attention-MSAColumnAttention"
    )


def test_repair_restores_metadata_by_source_and_puts_back_deleted_cells():
    def cell(kind, source, gid):
        return {
            "cell_type": kind,
            "source": source,
            "metadata": {"nbgrader": {"grade_id": gid}},
        }

    release = {
        "cells": [
            cell("markdown", "intro", "m"),
            cell("code", "check(1)", "t1"),
            cell("code", "check(2)", "t2"),
        ]
    }
    nb = {
        "cells": [
            {"cell_type": "markdown", "source": ["intro"], "metadata": {}},
            {"cell_type": "code", "source": "mine = 1", "metadata": {}},
            {"cell_type": "code", "source": "check(2)", "metadata": {}},
        ]
    }
    out, found = repair(nb, release)
    ids = [c["metadata"].get("nbgrader", {}).get("grade_id") for c in out["cells"]]
    assert ids == ["m", "t1", None, "t2"]
    assert found == [
        "nbgrader metadata restored on 2 cells",
        "1 deleted/unrecognised released cells put back",
    ]
