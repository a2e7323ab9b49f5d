"""A lesson's first cells in a simulated Colab, end to end, in a real Jupyter kernel.

Colab is a folder of the test (``AF2_COLAB_CONTENT``), ``google.colab`` a module whose
``drive.mount`` links ``MyDrive`` to another folder, and ``git`` a script on ``PATH``
that "clones" by unpacking the course zip of ``python -m grader pack`` (or fails as
git does for a missing repository). Each session runs the lesson's own set-up cell
(made for that folder), its import cell and the check cell of ``a3m.split_insertions``.
"""

import json
import os
import sys
import zipfile
from pathlib import Path

import pytest

from grader import colab, pack

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[1]
LESSON = ROOT / "tutorials" / "01_features.ipynb"
EXERCISE = "a3m.split_insertions"

FAKE_COLAB = """\
import os, sys, types
from pathlib import Path

def mount(path):  # Google Drive: the test's folder, as MyDrive
    Path(path).mkdir(parents=True, exist_ok=True)
    if not (Path(path) / "MyDrive").exists():
        (Path(path) / "MyDrive").symlink_to(os.environ["FAKE_DRIVE"])

google, google_colab = types.ModuleType("google"), types.ModuleType("google.colab")
google_colab.drive, google.colab = types.SimpleNamespace(mount=mount), google_colab
sys.modules.update({"google": google, "google.colab": google_colab})"""

FAKE_GIT = """\
#!{python}
import os, sys, zipfile
from pathlib import Path
if os.environ.get("FAKE_GIT_FAIL"):
    sys.exit("fatal: could not read Username for 'https://github.com': "
             "terminal prompts disabled")
# git clone ... URL DEST: the course as a clone has it
zipfile.ZipFile(os.environ["FAKE_GIT_SOURCE"]).extractall(Path(sys.argv[-1]).parent)
"""

WHERE = """\
import grader, student.a3m
print(json.dumps({"grader": grader.__file__, "student": student.a3m.__file__}))"""


@pytest.fixture(scope="module")
def course_zip(tmp_path_factory):
    """The course as ``python -m grader pack`` ships it."""
    pytest.importorskip("py3Dmol")  # else the set-up would pip-install it
    pytest.importorskip("tqdm")
    path = tmp_path_factory.mktemp("pack") / "af2-course.zip"
    pack.pack(path)
    return path


def _cells(content: Path) -> list:
    lesson = nbformat.read(LESSON, as_version=4).cells
    imports = next(c for c in lesson if "import student." in c.source)
    check = next(c for c in lesson if c.metadata.get("exercise") == EXERCISE)
    setup = nbformat.v4.new_code_cell(colab.setup_cell_source(content))
    return [
        nbformat.v4.new_code_cell(FAKE_COLAB),
        setup,
        nbformat.v4.new_code_cell(imports.source),
        nbformat.v4.new_code_cell(check.source),
        nbformat.v4.new_code_cell("import json\n" + WHERE),
    ]


def _colab_session(tmp_path, monkeypatch, course_zip, clone_works: bool):
    """Run the cells in a fresh kernel in a simulated Colab; returns the cells run."""
    content, drive, bin_dir = tmp_path / "content", tmp_path / "drive", tmp_path / "bin"
    for folder in (content, drive, bin_dir):
        folder.mkdir(exist_ok=True)
    git = bin_dir / "git"
    git.write_text(FAKE_GIT.format(python=sys.executable))
    git.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("AF2_COLAB_CONTENT", str(content))
    monkeypatch.setenv("FAKE_DRIVE", str(drive))
    monkeypatch.setenv("FAKE_GIT_SOURCE", str(course_zip))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    for name in ("PYTHONPATH", "AF2_COURSE_ROOT", "AF2_USE_REFERENCE", "FAKE_GIT_FAIL"):
        monkeypatch.delenv(name, raising=False)
    if not clone_works:
        monkeypatch.setenv("FAKE_GIT_FAIL", "1")
    nb = nbformat.v4.new_notebook(cells=_cells(content))
    nbclient.NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(content)}},
    ).execute()
    return content, drive, nb.cells


def _errors(cell):
    return [o for o in cell.outputs if o.output_type == "error"]


def _text(cell):
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


@pytest.mark.slow
def test_clone_then_check_runs_the_students_code_from_drive(
    tmp_path, monkeypatch, course_zip
):
    # The student's work from an earlier session: split_insertions done.
    work = tmp_path / "drive" / "af2-course" / "student"
    work.mkdir(parents=True)
    (work / "a3m.py").write_text((ROOT / "reference" / "a3m.py").read_text())
    content, drive, cells = _colab_session(tmp_path, monkeypatch, course_zip, True)
    assert [e.evalue for c in cells for e in _errors(c)] == []
    assert _text(cells[3]).startswith(f"✓ {EXERCISE}: passed")
    where = json.loads(_text(cells[4]))
    assert where["grader"].startswith(str(content / "af2-course"))
    student = drive / "af2-course" / "student" / "a3m.py"
    assert Path(where["student"]).resolve() == student.resolve()
    # The other stubs were copied to Drive; the student's file was kept.
    assert (drive / "af2-course" / "student" / "features.py").exists()
    assert (work / "a3m.py").read_text() == (ROOT / "reference" / "a3m.py").read_text()


@pytest.mark.slow
def test_without_a_repository_the_course_zip_in_drive_is_used(
    tmp_path, monkeypatch, course_zip
):
    (tmp_path / "drive").mkdir()
    (tmp_path / "drive" / "af2-course.zip").write_bytes(course_zip.read_bytes())
    content, _, cells = _colab_session(tmp_path, monkeypatch, course_zip, False)
    assert [e.evalue for c in cells[:3] for e in _errors(c)] == []
    (error,) = _errors(cells[3])  # the stub: not implemented yet, cleanly
    assert error.ename == "CheckFailed" and "not implemented yet" in error.evalue
    assert json.loads(_text(cells[4]))["grader"].startswith(str(content / "af2-course"))


@pytest.mark.slow
def test_no_repository_and_no_zip_is_one_line_saying_what_to_do(
    tmp_path, monkeypatch, course_zip
):
    content, _, cells = _colab_session(tmp_path, monkeypatch, course_zip, False)
    (error,) = _errors(cells[1])
    assert error.ename == "SetupError"
    (line,) = error.traceback  # no traceback: the message alone
    assert "\n" not in line and line.startswith(
        "SetupError: could not fetch the course"
    )
    assert colab.REPO_URL in line and "could not read Username" in line
    assert "MyDrive/af2-course.zip does not exist" in line and "grader pack" in line
    assert not (content / "af2-course").exists()


def test_course_zip_unpacks_to_the_clone_folder(course_zip):
    names = zipfile.ZipFile(course_zip).namelist()
    assert all(n.startswith(f"{colab.COLAB_CLONE.name}/") for n in names)
    for needed in (
        "grader/colab.py",
        "reference/a3m.py",
        "tutorials/01_features.ipynb",
    ):
        assert f"{colab.COLAB_CLONE.name}/{needed}" in names


def test_pack_outside_a_git_checkout_takes_every_file_but_caches(tmp_path):
    for name in ("a.py", "sub/b.txt", "__pycache__/a.cpython-311.pyc", ".git/HEAD"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    assert pack.course_files(tmp_path) == [Path("a.py"), Path("sub/b.txt")]
    files = pack.pack(tmp_path / "course.zip", root=tmp_path)
    assert zipfile.ZipFile(tmp_path / "course.zip").namelist() == [
        f"af2-course/{f}" for f in ("a.py", "sub/b.txt")
    ]
    assert files == [Path("a.py"), Path("sub/b.txt")]
