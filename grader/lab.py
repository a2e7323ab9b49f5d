"""``python -m grader lab`` (``make course``): the course in JupyterLab for students.

- As root (containers, cloud notebooks, Docker) it passes ``--allow-root``, and only
  then.
- nbgrader's instructor UI stays out even where nbgrader is installed (an instructor's
  or a developer's environment): its server extensions and its JupyterLab extension
  are turned off for this server only (``jupyter_config/``, put first on
  ``JUPYTER_CONFIG_PATH``), so students see neither its menus nor its "No
  nbgrader_config.py" warnings.
- Opening a lesson does not mark it modified. JupyterLab replaces a notebook's
  ``kernelspec`` and ``language_info`` with what the kernel reports as soon as the
  kernel starts, and a notebook whose metadata changed is modified. The build writes
  both as ipykernel reports them (``grader.notebooks``), except the Python version,
  which only the student's machine knows: ``grader.lab_contents`` fills it in
  when it serves a notebook that has none.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG_DIR = Path(__file__).with_name("jupyter_config")


def command(*extra: str, folder: Path = ROOT / "tutorials") -> list[str]:
    """The JupyterLab command line for the course (``extra``: more options)."""
    # jupyterlab itself, not `jupyter lab`: that runs the first jupyter-lab on PATH,
    # which may belong to another Python.
    argv = [
        sys.executable,
        "-m",
        "jupyterlab",
        str(folder),
        "--ServerApp.contents_manager_class=grader.lab_contents.LessonContentsManager",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")  # JupyterLab refuses root without it
    return argv + list(extra)


def environment(base: dict | None = None) -> dict[str, str]:
    """``base`` (default: this process's) with ``jupyter_config/`` first on
    ``JUPYTER_CONFIG_PATH``: nbgrader off for this server only."""
    env = dict(os.environ if base is None else base)
    paths = [str(CONFIG_DIR)] + [p for p in [env.get("JUPYTER_CONFIG_PATH")] if p]
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(paths)
    return env


def main(argv: list[str]) -> int:
    """Start JupyterLab on ``tutorials/``; ``argv`` goes to JupyterLab (e.g. --port)."""
    try:
        return subprocess.call(command(*argv), env=environment())
    except KeyboardInterrupt:
        return 0
