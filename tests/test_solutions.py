"""Solved lessons run on their own from ``solutions/``: the set-up cell finds the course
and makes every ``student`` component the reference one, and the status cell says that
it reports the reference (not the stubs in tutorials/student/, which all fail)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader import colab, exercises, status

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"


def _forget_student():
    for name in [m for m in sys.modules if m.split(".")[0] == "student"]:
        del sys.modules[name]


@pytest.fixture
def in_solutions(monkeypatch):
    monkeypatch.chdir(SOLUTIONS)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delenv("AF2_USE_REFERENCE", raising=False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    yield
    _forget_student()  # the next test imports its own


def test_setup_in_solutions_uses_the_reference(in_solutions, capsys):
    home = colab.setup()
    assert home == ROOT / "tutorials" and sys.path[0] == str(home)
    assert os.environ["AF2_USE_REFERENCE"] == "all"
    assert "reference implementation" in capsys.readouterr().out
    import student.attention

    import reference.attention

    assert student.attention is reference.attention


def test_setup_elsewhere_leaves_the_students_code(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delenv("AF2_USE_REFERENCE", raising=False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    assert colab.setup() == tmp_path and "AF2_USE_REFERENCE" not in os.environ
    assert not status.solved_lesson()


def test_status_cell_in_a_solved_lesson_reports_the_reference(in_solutions, capsys):
    assert status.solved_lesson()
    status.show(lessons=[2])
    out = capsys.readouterr().out
    assert out.startswith("The reference implementation (a solved lesson")
    names = [n for n in exercises.all_exercises() if exercises.lesson_of(n) == 2]
    assert [line.split()[1] for line in out.splitlines()[3:]] == names
    assert "✗" not in out and out.count("✓") == len(names)


@pytest.mark.slow
def test_a_solved_lesson_runs_as_a_script_from_solutions():
    env = {k: v for k, v in os.environ.items() if k != "AF2_USE_REFERENCE"}
    env.update(MPLBACKEND="Agg", PYTHONPATH="")  # the set-up cell finds the course
    run = subprocess.run(
        [sys.executable, "02_attention.py"],
        cwd=SOLUTIONS,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    checks = [line for line in run.stdout.splitlines() if line.startswith("✓ ")]
    assert checks and "✗" not in run.stdout
    assert "The reference implementation (a solved lesson" in run.stdout
