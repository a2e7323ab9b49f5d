"""Independent re-check of a submission's student modules, outside the notebook.

nbgrader restores the test cells, but code that runs in the notebook (an added cell,
or a student module at import) could still change the checker in the kernel. ``verify``
runs every exercise of a lesson again — visible and hidden cases — in a fresh
``python -I`` process that sees only the student's ``student/*.py`` files and this
repository, never the notebook. The child records the checker's, the reference's and
torch's/numpy's namespaces before any student code runs and reports (and undoes) any
change, each exercise has a time limit (an infinite loop costs that exercise only;
a hung child is killed and restarted after it), and results come back over a channel
marked with a per-run token.
"""

from __future__ import annotations

import json
import queue
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

CHILD = Path(__file__).with_name("_verify_child.py")
STARTUP_S = 60


@dataclass
class Verdict:
    name: str
    passed: bool
    message: str
    tampered: list[str] = field(
        default_factory=list
    )  # changed while the exercise ran: failed
    tampered_at_import: list[str] = field(
        default_factory=list
    )  # undone before the checks
    timed_out: bool = False


def verify(
    submission: Path,
    root: Path,
    names: list[str],
    check_module: str = "grader.check",
    timeout: float = 60,
) -> dict[str, Verdict]:
    """``{exercise: Verdict}`` for the student package in ``submission/student``."""
    verdicts: dict[str, Verdict] = {}
    todo = list(names)
    while todo:
        got = _run_child(Path(submission), Path(root), todo, check_module, timeout)
        verdicts.update(got)
        todo = [n for n in todo if n not in verdicts]
        if todo:  # the child died or hung on todo[0]
            verdicts[todo[0]] = Verdict(
                todo[0],
                False,
                "timed out or crashed the checker process",
                timed_out=True,
            )
            todo = todo[1:]
    return verdicts


def _run_child(submission, root, names, check_module, timeout) -> dict[str, Verdict]:
    token = secrets.token_hex(16)
    job = {
        "submission": str(submission.resolve()),
        "root": str(root.resolve()),
        "names": names,
        "check_module": check_module,
        "timeout": timeout,
        "token": token,
    }
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            [sys.executable, "-I", str(CHILD)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
        proc.stdin.write(json.dumps(job) + "\n")
        proc.stdin.close()
        lines: queue.Queue = queue.Queue()
        threading.Thread(
            target=lambda: [lines.put(l) for l in proc.stdout] + [lines.put(None)],
            daemon=True,
        ).start()
        verdicts: dict[str, Verdict] = {}
        deadline = time.monotonic() + STARTUP_S + 2 * timeout
        while len(verdicts) < len(names):
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if (
                not isinstance(rec, dict)
                or rec.get("token") != token
                or rec.get("name") not in names
            ):
                continue
            passed = (
                bool(rec["visible"]) and bool(rec["hidden"]) and not rec["tampered"]
            )
            verdicts[rec["name"]] = Verdict(
                rec["name"],
                passed,
                rec["message"],
                rec["tampered"],
                rec["tampered_at_import"],
            )
            deadline = time.monotonic() + 2 * timeout + 5
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    return verdicts
