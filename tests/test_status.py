"""``python -m grader status``: a report per lesson of the student's own code, where one
crashing or endless exercise does not stop the others."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader import status
from grader.stubs import relative_imports

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def home(tmp_path) -> Path:
    """A student's folder: the stubs, with a3m.py solved (the reference) and two
    features.py functions that crash Python and loop forever."""
    shutil.copytree(ROOT / "tutorials" / "student", tmp_path / "student")
    solved = relative_imports((ROOT / "reference" / "a3m.py").read_text())
    (tmp_path / "student" / "a3m.py").write_text(solved)
    features = tmp_path / "student" / "features.py"
    text = features.read_text()
    for name, body in (
        ("deletion_value", "import os; os._exit(3)"),
        ("pad_rows", "while True: pass"),
    ):
        start = text.index(f"def {name}(")
        region = text.index("raise NotImplementedError()", start)
        text = (
            text[:region] + body + text[region + len("raise NotImplementedError()") :]
        )
    features.write_text(text)
    return tmp_path


def test_report_per_lesson_survives_crashes_and_endless_loops(home, monkeypatch):
    monkeypatch.setenv(
        "AF2_USE_REFERENCE", "all"
    )  # ignored: status checks the student's code
    text = status.report(home, lessons=[1], timeout=2)
    lines = {
        line.split()[1]: line
        for line in text.splitlines()
        if line.strip()[:1] in ("✓", "✗")
    }
    assert "Lesson 1: 2/" in text
    assert (
        lines["a3m.split_insertions"].lstrip().startswith("✓")
        and "2/2" in lines["a3m.split_insertions"]
    )
    assert "crashed Python (exit code 3)" in lines["features.deletion_value"]
    assert "no answer within 2 s" in lines["features.pad_rows"]
    assert (
        "not implemented yet" in lines["features.make_msa_feat"]
    )  # checked after the crash
    assert "not implemented yet" in lines["msa_clustering.summarize_clusters"]


def test_command_line_finds_the_student_folder(home):
    env = {k: v for k, v in os.environ.items() if k != "AF2_USE_REFERENCE"}
    env["PYTHONPATH"] = str(ROOT)
    shutil.copy(
        ROOT / "tutorials" / "student" / "features.py", home / "student" / "features.py"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "grader", "status", "--lesson", "1"],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"Your code in {home / 'student'}" in proc.stdout
    assert "✓ a3m.split_insertions" in proc.stdout
