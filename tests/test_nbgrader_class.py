"""The instructor pipeline end to end: a simulated class graded by the real nbgrader.

The lesson is the small stand-in of ``tests/nbgrader_fixture`` (two exercises, 2 + 3
points, checked by ``minicheck``, which has ``grader.check``'s API), so the test
exercises nbgrader, the submission intake, the notebook repair, ``verify`` and the CSV
in well under a minute. Every student is graded correctly or flagged, never silently
zeroed.
"""

import csv
import json
import shutil
import zipfile
from pathlib import Path

import pytest

pytest.importorskip(
    "nbgrader", reason="instructor tools: pip install -e '.[instructor]'"
)

from grader.instructor.autograde import autograde
from grader.instructor.course import create_course, hidden_call
from grader.instructor.submissions import repair, student_id

FIXTURE = Path(__file__).parent / "nbgrader_fixture"
LESSON = "01_mini"

GOOD = "def add(a, b):\n    return a + b\n\n\ndef scale(s, v):\n    return [s * x for x in v]\n"
HALF = "def add(a, b):\n    return a + b\n\n\ndef scale(s, v):\n    return [x for x in v]\n"
HARDCODED = GOOD.replace("return a + b", "return 5")  # passes the visible case only
LOOP = GOOD.replace("return a + b", "while True:\n        pass")
WARNS = (
    "import sys, warnings\n\n\ndef add(a, b):\n    warnings.warn('a deprecation', DeprecationWarning)\n"
    "    warnings.warn('a user warning')\n    print('note', file=sys.stderr)\n    return a + b\n\n\n"
    "def scale(s, v):\n    return [s * x for x in v]\n"
)
PATCH_AT_IMPORT = (
    "import minicheck\nminicheck.run = lambda name, fn=None, hidden=False: "
    "minicheck.Result(name, True, 'ok', 0)\n\n\ndef add(a, b):\n    return 0\n\n\n"
    "def scale(s, v):\n    return v\n"
)
PATCH_CELL = "import minicheck\nminicheck.exercise = lambda *args, **kwargs: None"


def _release() -> dict:
    return json.loads((COURSE / "release" / LESSON / f"{LESSON}.ipynb").read_text())


def _with_cell(nb: dict, index: int, source: str) -> dict:
    nb["cells"].insert(
        index,
        {
            "cell_type": "code",
            "metadata": {},
            "source": source,
            "outputs": [],
            "execution_count": None,
            "id": "added",
        },
    )
    return nb


def _tampered_cells(nb: dict) -> dict:
    """Deletes the add check cell and replaces the scale check with `pass`."""
    cells = [
        c
        for c in nb["cells"]
        if c["metadata"]["nbgrader"]["grade_id"] != "check-mini-add"
    ]
    for c in cells:
        if c["metadata"]["nbgrader"]["grade_id"] == "check-mini-scale":
            c["source"] = "pass"
    nb["cells"] = cells
    return nb


def _colab_stripped(nb: dict) -> dict:
    """What Colab keeps: no nbgrader metadata, its own cell ids."""
    for i, c in enumerate(nb["cells"]):
        c["metadata"] = {"id": f"colab{i}"}
        c.pop("id", None)
    nb["metadata"] = {"colab": {"provenance": []}, "kernelspec": {"name": "python3"}}
    return nb


def _write(
    folder: Path, nb: dict | None, code: str | None, mode: str = "folder", name="x"
):
    if mode == "folder":  # Moodle-style: one folder per student
        d = folder / f"{name}_4711_assignsubmission_file_"
        (d / "student").mkdir(parents=True)
        if nb is not None:
            (d / f"{LESSON}.ipynb").write_text(json.dumps(nb))
        if code is not None:
            (d / "student" / "mini.py").write_text(code)
    else:  # Canvas-style flat files, resubmission suffix
        if nb is not None:
            (folder / f"{name}_123_456_Copy of {LESSON}.ipynb").write_text(
                json.dumps(nb)
            )
        if code is not None:
            (folder / f"{name}_123_457_mini-1.py").write_text(
                "def add(a, b):\n    return 0\n"
            )
            (folder / f"{name}_123_458_mini-2.py").write_text(code)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    global COURSE
    base = tmp_path_factory.mktemp("class")
    COURSE = base / "course"
    create_course(COURSE, root=FIXTURE, timeout=8, check_module="minicheck")
    stub = (FIXTURE / "tutorials" / "student" / "mini.py").read_text()
    subs = base / "subs"
    subs.mkdir()
    class_ = {
        "full": (_release(), GOOD, "folder"),
        "untouched": (_release(), stub, "folder"),
        "partial": (_release(), HALF, "folder"),
        "hardcoder": (_release(), HARDCODED, "folder"),
        "looper": (_release(), LOOP, "folder"),
        "warner": (_release(), WARNS, "flat"),
        "celltamper": (_tampered_cells(_release()), HALF, "folder"),
        "patchcell": (_with_cell(_release(), 3, PATCH_CELL), stub, "folder"),
        "patchimport": (_release(), PATCH_AT_IMPORT, "folder"),
        "colab": (_colab_stripped(_release()), GOOD, "flat"),
        "pyonly": (None, GOOD, "folder"),
    }
    for name, (nb, code, mode) in class_.items():
        _write(subs, nb, code, mode, name)
    archive = base / "lms.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in sorted(subs.rglob("*")):
            zf.write(p, p.relative_to(subs))
    shutil.rmtree(subs)
    rows = autograde(COURSE, archive, base / "grades.csv", verify_timeout=5)
    return {r["student"]: r for r in rows}, base / "grades.csv"


def _expect(row, score, nb=None, flag=None):
    assert row["score"] == score, row
    if nb is not None:
        assert row["notebook_score"] == nb, row
    if flag is None:
        assert row["flags"] == "", row
    else:
        assert flag in row["flags"], row


@pytest.mark.slow
def test_a_class_is_graded_correctly_or_flagged(graded):
    rows, csv_path = graded
    assert set(rows) == {
        "full",
        "untouched",
        "partial",
        "hardcoder",
        "looper",
        "warner",
        "celltamper",
        "patchcell",
        "patchimport",
        "colab",
        "pyonly",
    }
    _expect(rows["full"], 5, nb=5)
    _expect(rows["untouched"], 0, nb=0)
    _expect(rows["partial"], 2, nb=2)
    _expect(rows["hardcoder"], 3, nb=3)  # the hidden cases catch it
    _expect(rows["looper"], 3, nb=3, flag="timeout in notebook: mini.add")
    assert (
        "verify timed out" not in rows["looper"]["flags"]
    )  # the alarm stopped it in time
    _expect(rows["warner"], 5, nb=5)  # stderr in a passing test cell costs nothing
    _expect(rows["celltamper"], 2, nb=2, flag="put back")  # test cells restored
    _expect(
        rows["patchcell"],
        0,
        nb=5,
        flag="tampering suspected: mini.add notebook 2 > verified 0",
    )
    _expect(rows["patchimport"], 0, nb=5, flag="changed the checker at import")
    assert "tampering suspected: mini.scale" in rows["patchimport"]["flags"]
    _expect(rows["colab"], 5, nb=5, flag="metadata restored")
    _expect(rows["pyonly"], 5, nb=5, flag="no notebook submitted")
    with csv_path.open() as f:
        table = {r["student"]: r for r in csv.DictReader(f)}
    assert (
        table["partial"]["mini.add"] == "2.0"
        and table["partial"]["mini.scale"] == "0.0"
    )
    assert table["patchcell"]["mini.add notebook"] == "2.0"
    assert table["patchcell"]["mini.add verified"] == "0.0"


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


def test_repair_restores_metadata_by_source_and_puts_back_deleted_cells():
    release = {
        "cells": [
            {
                "cell_type": "markdown",
                "source": "intro",
                "metadata": {"nbgrader": {"grade_id": "m"}},
            },
            {
                "cell_type": "code",
                "source": "check(1)",
                "metadata": {"nbgrader": {"grade_id": "t1"}},
            },
            {
                "cell_type": "code",
                "source": "check(2)",
                "metadata": {"nbgrader": {"grade_id": "t2"}},
            },
        ]
    }
    nb = {
        "cells": [
            {"cell_type": "markdown", "source": ["intro"], "metadata": {}},
            {"cell_type": "code", "source": "mine = 1", "metadata": {}},
            {"cell_type": "code", "source": "check(2)", "metadata": {}},
        ]
    }
    out, flags = repair(nb, release)
    ids = [c["metadata"].get("nbgrader", {}).get("grade_id") for c in out["cells"]]
    assert ids == ["m", "t1", None, "t2"]
    assert flags == [
        "nbgrader metadata restored on 2 cells",
        "1 deleted/unrecognised released cells put back",
    ]


ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.skipif(
    not (ROOT / "tutorials" / "01_features.ipynb").exists(),
    reason="lesson 1 not built: python -m grader build",
)
def test_lesson_1_class(tmp_path):
    """The real Lesson 1: reference code as the student's gets full marks (also from a
    Colab-stripped notebook), one module left as a stub loses exactly its exercises."""
    course = tmp_path / "course"
    create_course(course, root=ROOT)
    info = json.loads((course / "course.json").read_text())
    points = info["lessons"]["01_features"]
    modules = sorted({n.split(".")[0] for n in points})
    release = json.loads(
        (course / "release" / "01_features" / "01_features.ipynb").read_text()
    )
    subs = tmp_path / "subs"
    for name, nb, stub in [
        ("full", release, None),
        ("colab", _colab_stripped(json.loads(json.dumps(release))), None),
        ("partial", release, "msa_clustering"),
    ]:
        (subs / name / "student").mkdir(parents=True)
        (subs / name / "01_features.ipynb").write_text(json.dumps(nb))
        for m in modules:
            src = ROOT / ("tutorials/student" if m == stub else "reference") / f"{m}.py"
            shutil.copy(src, subs / name / "student" / f"{m}.py")
    rows = {r["student"]: r for r in autograde(course, subs, tmp_path / "grades.csv")}
    total = sum(points.values())
    lost = sum(p for n, p in points.items() if n.startswith("msa_clustering."))
    _expect(rows["full"], total, nb=total)
    _expect(rows["colab"], total, nb=total, flag="metadata restored")
    _expect(rows["partial"], total - lost, nb=total - lost)


@pytest.mark.slow
def test_verify_command_rechecks_one_submission(graded, tmp_path):
    import subprocess
    import sys

    (tmp_path / "student").mkdir()
    (tmp_path / "student" / "mini.py").write_text(HALF)
    out = subprocess.run(
        [sys.executable, "-m", "grader", "verify", str(COURSE), str(tmp_path), LESSON],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "PASS mini.add" in out and "FAIL mini.scale" in out
