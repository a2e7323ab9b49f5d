"""The nbgrader preprocessors of the course (named in its ``nbgrader_config.py``).

Every answer lives in a ``student/*.py`` file, so nbgrader does not run the notebook:
``GradeFromVerdicts`` takes the place of nbgrader's ``Execute`` and writes into each
test cell the verdict of its exercise from the grading record (``grading.py``) — the
check's message as output, an error when it failed — from which nbgrader's own
``SaveAutoGrades`` takes the score as usual (an error scores 0, anything else full
points). So the gradebook, formgrader, ``nbgrader export`` and the feedback all hold
exactly the verdicts of the CSV. A first cell lists the flags and what the student's
code printed; flagged submissions are flagged in the gradebook too.

``LimitOutputBySize``: nbgrader's ``LimitOutput`` counts lines; this also cuts any
output longer than ``max_chars``, so a single huge line is cut like many lines are.
"""

from __future__ import annotations

from pathlib import Path

from nbformat.v4 import new_markdown_cell, new_output
from nbgrader.preprocessors import LimitOutput, NbGraderPreprocessor
from nbgrader.utils import is_grade
from traitlets import Integer

from . import grading
from .course import course_info, grade_id
from .gradebook import set_flagged
from .limits import clip

NOTE = (
    "**Autograder.** Your code in `student/*.py` was checked on the visible and the "
    "hidden cases; this notebook itself was not run. Each check cell below shows its "
    "verdict."
)


class GradeFromVerdicts(NbGraderPreprocessor):
    """Test cell outputs from the grading record of this submission."""

    def preprocess(self, nb, resources):
        lesson = resources["nbgrader"]["assignment"]
        student = resources["nbgrader"]["student"]
        course = Path.cwd()  # nbgrader works in the course directory
        info = course_info(course)
        folder = Path(resources["metadata"]["path"]).resolve()
        record = grading.verdicts_for(course, info, lesson, student, folder)
        by_id = {grade_id(n): n for n in info["lessons"][lesson]["exercises"]}
        for cell in nb.cells:
            if cell.cell_type == "code" and is_grade(cell):
                name = by_id.get(cell.metadata.nbgrader["grade_id"], "?")
                cell.outputs = _outputs(name, record["verdicts"].get(name))
        flags = grading.flags(record)
        nb.cells.insert(0, new_markdown_cell(_notes(flags, record["output"])))
        db_url = resources["nbgrader"]["db_url"]
        set_flagged(db_url, lesson, student, bool(flags))
        return nb, resources


def _outputs(name: str, verdict: dict | None) -> list:
    if verdict is None:
        verdict = {"passed": False, "message": f"✗ {name}: not graded"}
    message = clip(verdict["message"])
    if verdict["passed"]:
        return [new_output("stream", name="stdout", text=message + "\n")]
    lines = message.splitlines() or [""]
    return [new_output("error", ename="CheckFailed", evalue=lines[0], traceback=lines)]


def _notes(flags: list[str], printed: str) -> str:
    text = NOTE
    if flags:
        text += "\n\n**Flags** (read by your instructor):\n" + "".join(
            f"\n- {clip(f, 500, 0)}" for f in flags
        )
    lines = [line for line in printed.splitlines() if not line.startswith("--- ")]
    if any(line.strip() for line in lines):
        text += (
            "\n\nWhat your code printed while it was checked (cut to its beginning "
            f"and end):\n\n~~~~\n{clip(printed)}\n~~~~"
        )
    return text


class LimitOutputBySize(LimitOutput):
    """``LimitOutput`` that also cuts text outputs longer than ``max_chars``."""

    max_chars = Integer(10_000, help="most characters of one output").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        cell, resources = super().preprocess_cell(cell, resources, index)
        if cell.cell_type != "code":
            return cell, resources
        half = self.max_chars // 2
        for output in cell.outputs:
            if output.output_type == "stream":
                output.text = clip(output.text, half, half)
            elif output.output_type == "error":
                output.evalue = clip(output.evalue, half, half)
                output.traceback = [clip(t, half, half) for t in output.traceback]
            for key, value in output.get("data", {}).items():
                if isinstance(value, str):
                    output.data[key] = clip(value, half, half)
        return cell, resources
