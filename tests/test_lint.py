"""The code style is checked, not hoped for: ruff's linter and formatter (configured
in pyproject.toml) pass on every file of the project (tutorials/ is generated)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "command", [["check"], ["format", "--check"]], ids=["lint", "format"]
)
def test_ruff_passes(command):
    pytest.importorskip(
        "ruff", reason="ruff is not installed: pip install -e '.[test]'"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", *command, "--no-cache", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
