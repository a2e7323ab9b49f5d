"""``python -m grader build``: stubs, notebooks, reference tensors; deterministic, and
``--check`` names stale files. Also the student package's switch to the reference."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader import build, exercises, notebooks
from grader.stubs import BuildError, relative_imports, strip_regions, student_files

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    """A copy of the sources, built once."""
    root = tmp_path_factory.mktemp("course")
    for folder in ("reference", "solutions"):
        shutil.copytree(
            ROOT / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    build.build(root=root)
    return root


def test_rebuild_is_byte_identical(copy):
    files = build.generate(copy)
    assert copy / "tutorials" / "01_features.ipynb" in files
    assert copy / "data" / "reference_tensors" / "features.npz" in files
    assert [p for p, content in files.items() if p.read_bytes() != content] == []


def test_check_names_stale_and_extra_files(copy, monkeypatch):
    import reference.features

    a3m = copy / "reference" / "a3m.py"
    text = a3m.read_text()
    extra = copy / "tutorials" / "student" / "leftover.py"
    try:
        a3m.write_text(text.replace("# Hint:", "# Hint (changed):", 1))  # no region
        extra.write_text("")
        # a changed region: deletion_value computes something else
        monkeypatch.setattr(reference.features, "deletion_value", lambda d: d / 3.0)
        assert build.build(check=True, root=copy) == [
            "data/reference_tensors/features.npz",
            "tutorials/student/a3m.py",
            "tutorials/student/leftover.py",
        ]
    finally:
        a3m.write_text(text)
        extra.unlink()
        monkeypatch.undo()
    assert build.build(check=True, root=copy) == []


def test_committed_files_are_fresh():
    proc = subprocess.run(
        [sys.executable, "-m", "grader", "build", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr


# --- stubs ------------------------------------------------------------------------------
def test_regions_become_not_implemented_at_their_indentation():
    text = (
        "def f(x):\n    # hint\n"
        "    ### BEGIN SOLUTION\n    y = x\n    ### END SOLUTION\n"
        "    return y\n"
    )
    assert strip_regions(text, "f.py") == (
        "def f(x):\n    # hint\n"
        "    # YOUR CODE HERE\n    raise NotImplementedError()\n"
        "    return y\n"
    )


@pytest.mark.parametrize(
    "text, error",
    [
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n", "f.py:2: nested"),
        ("x = 1\n### END SOLUTION\n", "f.py:2: ### END SOLUTION without"),
        ("### BEGIN SOLUTION\nx = 1\n", "f.py:1: ### BEGIN SOLUTION is never closed"),
    ],
)
def test_malformed_regions_are_errors_naming_the_line(text, error):
    with pytest.raises(BuildError, match=error):
        strip_regions(text, "f.py")


def test_imports_become_relative_and_needed_modules_are_reexported(tmp_path):
    (tmp_path / "a.py").write_text(
        "from reference.b import g\nimport reference.c as c\n\n"
        "def f():\n    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION\n"
    )
    (tmp_path / "b.py").write_text("def g(): pass\n")
    (tmp_path / "c.py").write_text("")
    (tmp_path / "unused.py").write_text("")
    files = student_files(tmp_path, "init")
    assert sorted(files) == ["__init__.py", "a.py", "b.py", "c.py"]
    assert files["a.py"].startswith("from .b import g\nfrom . import c as c\n")
    assert "sys.modules[__name__] = _reference" in files["b.py"]
    assert relative_imports("    from reference import x\n") == "    from . import x\n"


# --- notebooks --------------------------------------------------------------------------
def test_notebook_has_badge_setup_cleared_outputs_and_check_metadata(copy):
    nb = json.loads((copy / "tutorials" / "01_features.ipynb").read_text())
    cells = nb["cells"]
    assert "colab.research.google.com" in "".join(cells[0]["source"])
    assert "".join(cells[1]["source"]) == notebooks.setup_cell_source()
    assert all(c.get("outputs", []) == [] for c in cells)
    checks = [c["metadata"] for c in cells if "check" in c["metadata"].get("tags", [])]
    lesson1 = {
        n: e.points
        for n, e in exercises.all_exercises().items()
        if exercises.lesson_of(n) == 1
    }
    assert {m["exercise"]: m["points"] for m in checks} == lesson1


def test_points_must_agree_with_the_registry(tmp_path):
    source = (ROOT / "solutions" / "01_features.py").read_text()
    bad = tmp_path / "01_features.py"
    bad.write_text(
        source.replace(
            'points=2 exercise="a3m.split_insertions"',
            'points=5 exercise="a3m.split_insertions"',
        )
    )
    with pytest.raises(BuildError, match="a3m.split_insertions has points=5"):
        notebooks.notebook_text(bad, exercises.all_exercises(), exercises.lesson_of)
    bad.write_text(
        source.replace('exercise="features.pad_rows"', 'exercise="features.nothing"')
    )
    with pytest.raises(BuildError, match="unknown exercise 'features.nothing'"):
        notebooks.notebook_text(bad, exercises.all_exercises(), exercises.lesson_of)


# --- the student package ------------------------------------------------------------------
SWITCH = """
import student, student.features as f0
assert f0.__name__ == "student.features", f0.__name__
student.use_reference("a3m")
import student.a3m, student.features
assert student.a3m.__name__ == "reference.a3m"
# features was imported before the switch: re-imported, it now uses the reference a3m
assert student.features.A3M is student.a3m.A3M
student.use_student("a3m")
import student.a3m
assert student.a3m.__name__ == "student.a3m"
print("ok")
"""


def _python(code: str, **env) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if k != "AF2_USE_REFERENCE"}
    full.update(PYTHONPATH=os.pathsep.join([str(ROOT / "tutorials"), str(ROOT)]), **env)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT / "tutorials",
        env=full,
        capture_output=True,
        text=True,
    )


def test_use_reference_switches_a_component_before_and_after_import():
    proc = _python(SWITCH)
    assert proc.stdout.strip() == "ok", proc.stderr


def test_environment_switch():
    code = (
        "import student.features as f, student.a3m as a; print(f.__name__, a.__name__)"
    )
    assert _python(code, AF2_USE_REFERENCE="all").stdout.split() == [
        "reference.features",
        "reference.a3m",
    ]
    assert _python(code, AF2_USE_REFERENCE="features").stdout.split() == [
        "reference.features",
        "student.a3m",
    ]
    assert "no component 'nope'" in _python(code, AF2_USE_REFERENCE="nope").stderr
