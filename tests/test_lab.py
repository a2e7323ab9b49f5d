"""The students' JupyterLab (``make course``, i.e. ``python -m grader lab``): it starts
as root and as a user, shows no nbgrader UI, and opening a lesson does not mark it
modified — proved in a real JupyterLab driven by a headless browser."""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from grader import lab, notebooks

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "tutorials").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("euid, root", [(0, True), (1000, False)])
def test_allow_root_only_as_root(monkeypatch, euid, root):
    monkeypatch.setattr(os, "geteuid", lambda: euid, raising=False)
    argv = lab.command()
    assert ("--allow-root" in argv) == root
    assert argv[:4] == [sys.executable, "-m", "jupyterlab", str(ROOT / "tutorials")]


def test_nbgrader_is_off_for_the_course_server_only():
    env = lab.environment({"JUPYTER_CONFIG_PATH": "/elsewhere"})
    assert env["JUPYTER_CONFIG_PATH"].split(os.pathsep) == [
        str(lab.CONFIG_DIR),
        "/elsewhere",
    ]
    server = json.loads((lab.CONFIG_DIR / "jupyter_server_config.json").read_text())
    switches = server["ServerApp"]["jpserver_extensions"]
    assert switches and all(
        k.startswith("nbgrader.") and not on for k, on in switches.items()
    )
    page = json.loads((lab.CONFIG_DIR / "labconfig" / "page_config.json").read_text())
    assert page["disabledExtensions"] == {"@jupyter/nbgrader": True}


def test_lesson_metadata_is_what_the_kernel_reports():
    """JupyterLab overwrites both with the kernel's as soon as it starts."""
    kernelspec = pytest.importorskip("ipykernel.kernelspec")
    from ipykernel.ipkernel import IPythonKernel

    spec = kernelspec.get_kernel_dict()
    for path in LESSONS:
        meta = json.loads(path.read_text())["metadata"]
        assert meta["kernelspec"] == {
            "display_name": spec["display_name"],
            "language": spec["language"],
            "name": kernelspec.KERNEL_NAME,
        }
        info = dict(IPythonKernel.language_info)
        assert info.pop("version")  # machine-dependent: served by grader.lab_contents
        assert meta["language_info"] == info == notebooks.LANGUAGE_INFO


def test_saving_an_unchanged_lesson_writes_the_same_bytes(tmp_path):
    """What Jupyter's contents manager writes on save (nbformat, version kept)."""
    for path in LESSONS:
        nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        nbformat.write(nb, tmp_path / path.name, version=nbformat.NO_CONVERT)
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The open notebook's state, read from JupyterLab's application object.
STATE = """(() => {
  const app = window.jupyterapp;
  const w = app && app.shell.currentWidget;
  if (!w || !w.context || !w.context.isReady) return null;
  const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
  return {path: w.context.path, dirty: w.context.model.dirty,
          kernel: kernel ? kernel.status : null,
          plugins: app.listPlugins().filter(p => p.includes("nbgrader"))};
})()"""


def _idle_for(seconds: float):
    """A wait condition: the kernel idle for ``seconds`` (it reports its language_info
    when it connects, and JupyterLab writes that into the notebook)."""
    since = []

    def done(state) -> bool:
        if not state or state["kernel"] != "idle":
            return False
        since.append(time.monotonic())
        return since[-1] - since[0] >= seconds

    return done


@pytest.mark.slow
def test_opening_a_lesson_in_jupyterlab_leaves_it_unmodified(tmp_path):
    import headless_browser

    pytest.importorskip("jupyterlab")
    pytest.importorskip("tornado")
    devtools = headless_browser.DevTools(tmp_path / "profile")
    # A copy of tutorials/ (JupyterLab may write checkpoints and workspaces).
    course = tmp_path / "course"
    shutil.copytree(ROOT / "tutorials", course / "tutorials")
    old = json.loads(LESSONS[0].read_text())  # the control: metadata as built before
    old["metadata"] = {
        "kernelspec": {
            "display_name": "Python 3",
            "language": "python",
            "name": "python3",
        },
        "language_info": {"name": "python"},
    }
    (course / "tutorials" / "control.ipynb").write_text(
        json.dumps(old, indent=1) + "\n"
    )
    port = _free_port()
    argv = lab.command(
        "--no-browser",
        f"--port={port}",
        "--ServerApp.ip=127.0.0.1",
        "--IdentityProvider.token=",
        "--ServerApp.password=",
        "--LabApp.expose_app_in_browser=True",
        f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}",
        folder=course / "tutorials",
    )
    env = lab.environment()  # and no user settings:
    env["JUPYTER_CONFIG_DIR"] = str(tmp_path / "config")
    env["JUPYTER_RUNTIME_DIR"] = str(tmp_path / "runtime")
    log = tmp_path / "server.log"
    server = subprocess.Popen(
        argv, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(base + "/api/status", timeout=2)
                break
            except OSError:
                assert server.poll() is None, log.read_text()[-3000:]
                time.sleep(0.25)
        # One tab at a time: a tab in the background is not laid out.
        states = {
            name: devtools.wait_for(
                devtools.open(f"{base}/lab/workspaces/{name}/tree/{name}.ipynb"),
                STATE,
                _idle_for(3.0),
            )
            for name in (LESSONS[0].stem, "control")
        }
    finally:
        devtools.close()
        server.terminate()
        server.wait(timeout=30)
    text = log.read_text()
    for name, state in states.items():
        assert state and state["kernel"] == "idle", f"{name}: {state}\n{text[-3000:]}"
    assert states[LESSONS[0].stem]["dirty"] is False, "opening the lesson modified it"
    assert states["control"]["dirty"] is True, "the control was not marked modified"
    assert states[LESSONS[0].stem]["plugins"] == []
    assert not re.search(r"nbgrader", text, flags=re.I), text[-3000:]
