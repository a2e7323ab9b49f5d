"""A bug costs its points once: with one typical mistake in an otherwise solved student
package, exactly the exercise that owns the mistaken code fails — not the subclass
that inherits it (triangle attention, ending node), not the sibling that shares its
body (triangle multiplication, incoming), not the module that calls it (attention
weights inside ``Attention``, ``mask_bias`` inside every masked module, the blocks
inside the Evoformer block and stack)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from grader import check, exercises
from grader.cases import Edit
from grader.isolation import check_ownership
from grader.mistakes import edited_source
from grader.stubs import relative_imports, student_files

ROOT = Path(__file__).resolve().parents[1]
INIT = (ROOT / "grader" / "student_package.py").read_text()
FIRST_EDITS = [
    pytest.param(name, next(m for m in ex.mistakes if isinstance(m, Edit)), id=name)
    for name, ex in exercises.all_exercises().items()
    if any(isinstance(m, Edit) for m in ex.mistakes)
]


@pytest.fixture
def student_home(tmp_path, monkeypatch):
    """Writes a solved student package into ``tmp_path``; yields a function that
    replaces one module's source and imports the package afresh."""
    for name, text in student_files(ROOT / "reference", INIT, solved=True).items():
        (tmp_path / "student").mkdir(exist_ok=True)
        (tmp_path / "student" / name).write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("AF2_USE_REFERENCE", raising=False)

    def purge():
        for module in [m for m in sys.modules if m.split(".")[0] == "student"]:
            del sys.modules[module]

    def load(module: str, source: str):
        (tmp_path / "student" / f"{module}.py").write_text(relative_imports(source))
        purge()
        importlib.invalidate_caches()
        return importlib.import_module("student")

    yield load
    purge()


def test_every_solution_region_has_exactly_one_owner():
    assert check_ownership(exercises.all_exercises()) == []


@pytest.mark.parametrize("name, edit", FIRST_EDITS)
def test_a_mistake_fails_its_own_exercise_only(student_home, name, edit):
    ex = exercises.get(name)
    student_home(ex.module, edited_source(ex, edit))
    failed = {
        other: result.message
        for other in exercises.all_exercises()
        if not (result := check.run(other)).passed
    }
    assert list(failed) == [name], failed
    assert edit.diagnosis in failed[name] or "in place" in failed[name]
