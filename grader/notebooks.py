"""Lesson notebooks ``tutorials/NN_name.ipynb`` from ``solutions/NN_name.py``.

The build adds a Colab badge cell on top, puts the course-wide set-up cell
(``grader.colab.setup_cell_source()``) into the cell tagged ``setup``, clears outputs,
numbers cell ids, and keeps only the cell metadata the course uses (``tags``,
``points``, ``exercise``, ``nbgrader``). It also checks the lesson against the
exercise registry: every check cell names a known exercise of this lesson with the
registry's points, and every exercise of the lesson has exactly one check cell.
The notebook's metadata is what JupyterLab writes once ipykernel's kernel starts
(``KERNELSPEC``, ``LANGUAGE_INFO``), so that opening a lesson changes nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

from .stubs import BuildError

KEEP_METADATA = ("tags", "points", "exercise", "nbgrader")
# What JupyterLab writes into a notebook once ipykernel's kernel starts; a notebook
# that already says so is not marked modified when opened. The Python version is left
# out (it depends on the machine); ``grader.lab_contents`` fills it in when serving.
KERNELSPEC = {
    "display_name": "Python 3 (ipykernel)",
    "language": "python",
    "name": "python3",
}
LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
}
PLACEHOLDER_SETUP = """\
# Set-up: makes `student` (your code), `reference` and `grader` importable.
import os, sys
for _path in (os.path.abspath(".."), os.path.abspath(".")):
    if _path not in sys.path:
        sys.path.insert(0, _path)"""


def setup_cell_source() -> str:
    """The shared set-up cell (``grader.colab``'s template once it exists)."""
    try:
        from .colab import setup_cell_source as source
    except ImportError:
        return PLACEHOLDER_SETUP
    return source()


def badge(notebook: str) -> str:
    try:
        from .colab import colab_badge
    except ImportError:
        return f"Open `{notebook}` in Colab."
    return colab_badge(notebook)


def lesson_number(path: Path) -> int:
    match = re.match(r"(\d+)_", path.name)
    if not match:
        raise BuildError(f"{path}: lesson files are named NN_name.py")
    return int(match.group(1))


def notebook_text(solution: Path, registry: dict, lesson_of) -> str:
    """The generated ``.ipynb`` text for one solution file."""
    import jupytext
    import nbformat

    nb = jupytext.reads(solution.read_text(), fmt="py:percent")
    setup = [c for c in nb.cells if "setup" in c.metadata.get("tags", [])]
    if len(setup) != 1 or nb.cells[0] is not setup[0]:
        raise BuildError(
            f"{solution}: the first cell must be the one cell tagged setup"
        )
    setup[0].source = setup_cell_source()
    _check_cells(solution, nb.cells, registry, lesson_of)
    top = nbformat.v4.new_markdown_cell(badge(f"tutorials/{solution.stem}.ipynb"))
    top.metadata = {"tags": ["badge"]}
    cells = [top] + nb.cells
    for i, cell in enumerate(cells):
        cell.id = f"cell-{i:03d}"
        cell.metadata = {
            k: cell.metadata[k] for k in KEEP_METADATA if k in cell.metadata
        }
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    out = nbformat.v4.new_notebook(cells=cells)
    out.metadata = {"kernelspec": KERNELSPEC, "language_info": LANGUAGE_INFO}
    nbformat.validate(out)
    return nbformat.writes(out) + "\n"


def _check_cells(solution: Path, cells, registry: dict, lesson_of) -> None:
    lesson = lesson_number(solution)
    seen = []
    for cell in cells:
        if "check" not in cell.metadata.get("tags", []):
            continue
        name = cell.metadata.get("exercise")
        if name not in registry:
            raise BuildError(f"{solution}: check cell names unknown exercise {name!r}")
        if cell.metadata.get("points") != registry[name].points:
            raise BuildError(
                f"{solution}: {name} has points={cell.metadata.get('points')} in its "
                f"check cell but {registry[name].points} in grader/exercises"
            )
        if f'"{name}"' not in cell.source:
            raise BuildError(
                f"{solution}: the check cell of {name} does not check {name!r}"
            )
        seen.append(name)
    expected = [n for n in registry if lesson_of(n) == lesson]
    missing = sorted(set(expected) - set(seen))
    doubled = sorted({n for n in seen if seen.count(n) > 1})
    if missing or doubled:
        raise BuildError(
            f"{solution}: exercises without a check cell {missing}, "
            f"checked twice {doubled}"
        )
