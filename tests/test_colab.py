"""The Colab set-up: what it installs, how it keeps work in Drive, and that it does
nothing outside Colab. Colab is simulated with a fake ``google.colab`` module."""

import re
import subprocess
import sys
import types

import pytest

from grader import colab


@pytest.fixture
def fake_colab(monkeypatch, tmp_path):
    """A simulated Colab runtime: fake google.colab (Drive mounts into tmp_path),
    a recording pip, and a fresh course checkout under tmp_path."""
    mounted = []
    drive = types.SimpleNamespace(mount=lambda path: mounted.append(path))
    google = types.ModuleType("google")
    google_colab = types.ModuleType("google.colab")
    google_colab.drive = drive
    google.colab = google_colab
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", google_colab)

    installed = []
    monkeypatch.setattr(colab, "_pip_install", lambda reqs: installed.extend(reqs))
    monkeypatch.setattr(colab.importlib.util, "find_spec", lambda name: None)

    root = tmp_path / "clone"
    stubs = root / "tutorials" / "student"
    stubs.mkdir(parents=True)
    (stubs / "__init__.py").write_text("")
    (stubs / "features.py").write_text(
        "def parse_a3m(text):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n"
    )
    monkeypatch.setattr(colab, "repo_root", lambda: root)
    monkeypatch.setattr(
        colab, "DRIVE_WORK", tmp_path / "drive" / "MyDrive" / "af2-course"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    return types.SimpleNamespace(
        root=root,
        stubs=stubs,
        installed=installed,
        mounted=mounted,
        work=colab.DRIVE_WORK / "student",
    )


def test_colab_installs_only_what_is_missing_and_never_torch_numpy_nbgrader(fake_colab):
    colab.setup(use_drive=False)
    names = {r.split(">")[0].split("=")[0].lower() for r in fake_colab.installed}
    assert names == {"py3dmol", "tqdm"}
    assert not names & {"torch", "numpy", "nbgrader"}
    assert sys.path[0] == str(fake_colab.root / "tutorials")
    assert str(fake_colab.root) in sys.path
    assert fake_colab.mounted == []


def test_colab_refuses_forbidden_packages(fake_colab, monkeypatch):
    monkeypatch.setitem(colab.COLAB_PACKAGES, "torch", "torch==2.0")
    with pytest.raises(RuntimeError, match="refusing"):
        colab.install_missing()
    assert fake_colab.installed == []


def test_drive_copies_stubs_once_and_keeps_existing_work(fake_colab):
    home = colab.setup(use_drive=True)
    assert fake_colab.mounted and home == colab.DRIVE_WORK
    assert sys.path[0] == str(colab.DRIVE_WORK)
    work = fake_colab.work / "features.py"
    assert work.read_text() == (fake_colab.stubs / "features.py").read_text()

    work.write_text("def parse_a3m(text):\n    return 'mine'\n")  # the student's work
    (fake_colab.stubs / "attention.py").write_text(
        "# a new lesson's stub\n# YOUR CODE HERE\n"
    )
    (fake_colab.stubs / "__init__.py").write_text("# a newer package file\n")
    colab.setup(use_drive=True)
    assert work.read_text() == "def parse_a3m(text):\n    return 'mine'\n"
    assert (
        (fake_colab.work / "attention.py")
        .read_text()
        .startswith("# a new lesson's stub")
    )
    assert (fake_colab.work / "__init__.py").read_text() == "# a newer package file\n"


def test_drive_declined_falls_back_to_the_session(fake_colab, monkeypatch, capsys):
    def refuse(path):
        raise RuntimeError("user declined")

    monkeypatch.setattr(sys.modules["google.colab"].drive, "mount", refuse)
    home = colab.setup(use_drive=True)
    assert home == fake_colab.root / "tutorials"
    assert "not mounted" in capsys.readouterr().out


def test_outside_colab_only_puts_the_repo_on_sys_path(monkeypatch, tmp_path):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    monkeypatch.setattr(
        sys, "path", [p for p in sys.path if p != str(colab.repo_root())]
    )
    calls = []
    monkeypatch.setattr(colab, "_pip_install", calls.append)
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append(a))
    monkeypatch.chdir(tmp_path)
    assert not colab.in_colab()
    colab.setup()
    assert calls == [] and sys.path[0] == str(colab.repo_root())
    assert list(tmp_path.iterdir()) == []


def test_colab_env_variable_is_detected(monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab_20260101")
    assert colab.in_colab()


def test_setup_cell_runs_locally_and_names_the_published_repo(tmp_path, monkeypatch):
    src = colab.setup_cell_source()
    assert colab.REPO_URL in src and "torch" not in src and "nbgrader" not in src
    compile(src, "<setup cell>", "exec")
    # Run as a notebook would, from tutorials/ (the repository is one level up).
    code = (
        f"import os; os.chdir({str(colab.repo_root() / 'grader')!r})\n"
        + src
        + ("\nimport grader.colab as c; print(c.repo_root())")
    )
    env = {
        k: v
        for k, v in __import__("os").environ.items()
        if k not in ("PYTHONPATH", "AF2_COURSE_ROOT")
    }
    out = subprocess.run(
        [sys.executable, "-I", "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    )
    assert out.stdout.strip() == str(colab.repo_root())


def test_badge_points_at_the_published_notebook():
    badge = colab.colab_badge("tutorials/01_features.ipynb")
    slug = colab.REPO_URL.removeprefix("https://github.com/")
    assert badge == (
        "[![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        f"(https://colab.research.google.com/github/{slug}/blob/{colab.BRANCH}/"
        "tutorials/01_features.ipynb)"
    )


def test_the_repository_address_is_written_in_one_place():
    """README, docs and lessons name the repository only as REPO_URL makes it."""
    root = colab.repo_root()
    readme = (root / "README.md").read_text()
    assert colab.colab_badge("tutorials/01_features.ipynb") in readme, (
        "set the README's badge to: " + colab.colab_badge("tutorials/01_features.ipynb")
    )
    slug = colab.REPO_URL.removeprefix("https://github.com/")
    texts = [readme] + [p.read_text() for p in (root / "docs").glob("*.md")]
    texts += [p.read_text() for p in (root / "tutorials").glob("*.ipynb")]
    for text in texts:  # any address of this course's repository is REPO_URL's
        for found in re.findall(r"github(?:\.com)?/([\w.-]+/af2[\w.-]*)", text):
            assert found.removesuffix(".git") == slug, found
    assert "REPO_URL" in (root / "docs" / "instructors.md").read_text()


def test_failed_pip_install_is_one_line(monkeypatch):
    failed = subprocess.CompletedProcess(
        [], 1, "", "ERROR: No matching distribution found for py3Dmol>=2.0,<3\n"
    )
    monkeypatch.setattr(colab.subprocess, "run", lambda *a, **k: failed)
    with pytest.raises(colab.SetupError) as info:
        colab._pip_install(["py3Dmol>=2.0,<3"])
    (line,) = info.value._render_traceback_()  # what IPython shows: no traceback
    assert line.startswith("SetupError: pip install py3Dmol>=2.0,<3 failed (ERROR: No")
    assert "internet" in line and "\n" not in line
