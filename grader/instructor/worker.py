"""The warm grading process of one lesson (started by ``grading.py``, job on stdin).

It imports torch, the checker and the lesson's reference once, holds every case's
expected output in memory (``check.freeze``: the hidden ones computed on this machine,
never shipped, once for the whole class) and checks the reference itself on every
case, visible and hidden, which shows that a correct answer passes here. It then
records the namespaces and the files that the student's code must not change
(``sandbox.py``) and grades every submission in a child forked from that state: a
fresh copy of the interpreter per submission, into which the student's modules are
imported only now.

The parent stays single-threaded (torch on one thread, so forking is safe), keeps
``jobs`` children busy, keeps the beginning and the end of what each submission prints,
and kills a child that overruns a time limit by GRACE_S, or sees it die: that exercise
(or import) is recorded as a timeout or a crash, and a new child grades the rest.
Verdicts come back as JSON lines marked with a per-run token, on a pipe of their own;
one JSON line per finished submission goes to stdout.
"""

import gc
import json
import os
import selectors
import signal
import sys
import time
from collections import deque
from pathlib import Path

import numpy  # noqa: F401  (recorded before any student code runs)
import torch
import torch.nn.functional  # noqa: F401

from grader import check, exercises
from grader.instructor import sandbox
from grader.instructor.limits import Capture, clip

GRACE_S = 5.0  # beyond the time limit, before a child is killed


def main() -> None:
    """Read the job, warm up, grade every submission of it."""
    job = json.loads(sys.stdin.readline())
    os.environ.pop("AF2_USE_REFERENCE", None)  # the student's code, never the reference
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    grading = Grading(job)
    grading.warm_up()
    grading.run()


class Grading:
    def __init__(self, job: dict):
        self.job = job
        self.names = job["names"]
        self.timeout = float(job["timeout"])
        self.token = job["token"]
        self.modules = sorted({exercises.get(n).module for n in self.names})
        self.problems: dict[str, str] = {}

    # --- the parent ------------------------------------------------------------------
    def warm_up(self) -> None:
        """Reference outputs computed once; the reference checked against them."""
        start = time.perf_counter()
        check.freeze(self.names)  # no file read, no reference computed per student
        for name in self.names:
            ex = exercises.get(name)
            for hidden in (False, True):
                result = check.run(name, ex.reference(), hidden=hidden)
                if not result.passed:
                    self.problems[name] = clip(result.message)
        classes = (torch.Tensor, Grading, _Submission, _Child, *sandbox.GUARDS)
        snapshot = sandbox.Snapshot(classes)
        self.sandbox = sandbox.Sandbox(self.names, self.timeout, self.token, snapshot)
        self.files = sandbox.Files(Path(check.__file__).resolve().parents[1])
        _say(warm_up_s=round(time.perf_counter() - start, 3), problems=self.problems)

    def run(self) -> None:
        queue = deque(_Submission(s) for s in self.job["submissions"])
        running: dict[int, _Child] = {}
        selector = selectors.PollSelector()  # no descriptor of its own to leak
        jobs = max(1, int(self.job["jobs"]))
        # Each child death ends an import or an exercise, so this many always suffice.
        most = len(self.names) + len(self.modules) + 2
        gc.freeze()  # the warm state is shared with the children, not copied
        while queue or running:
            while queue and len(running) < jobs:
                child = self._fork(queue.popleft(), running)
                running[child.pid] = child
                selector.register(child.results, selectors.EVENT_READ, child)
                selector.register(child.output, selectors.EVENT_READ, child)
            for key, _ in selector.select(timeout=0.1):
                child = key.data
                child.read_output()
                if key.fd == child.results:
                    child.read_results(self.token)
            now = time.monotonic()
            for child in list(running.values()):
                over = now > child.since + self.timeout + GRACE_S
                if over:
                    _kill(child.pid)
                done, status = os.waitpid(child.pid, os.WNOHANG)
                if not done:
                    continue
                del running[child.pid]
                for fd in (child.results, child.output):
                    selector.unregister(fd)
                child.finish(self.token, status, over, self.timeout)
                touched = self.files.restored()
                if touched:  # by this child or one running beside it
                    for suspect in [child, *running.values()]:
                        suspect.sub.files_changed.update(touched)
                if child.sub.todo(self.names) and child.sub.children < most:
                    queue.appendleft(child.sub)
                else:
                    self._write(child.sub)

    def _fork(self, sub, running) -> "_Child":
        if not sub.children:
            sub.started = time.monotonic()
        sub.children += 1
        results_r, results_w = os.pipe()
        output_r, output_w = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            try:
                others = {fd for c in running.values() for fd in (c.results, c.output)}
                for fd in others | {results_r, output_r}:
                    os.close(fd)
                home, todo = Path(sub.dir), sub.todo(self.names)
                self.sandbox.grade(
                    home, todo, sub.failed, sub.missing, results_w, output_w
                )
            finally:
                os._exit(0)
        os.close(results_w)
        os.close(output_w)
        for fd in (results_r, output_r):
            os.set_blocking(fd, False)
        return _Child(pid, sub, results_r, output_r)

    def _write(self, sub) -> None:
        for name in sub.todo(self.names):
            message = f"✗ {name}: not graded, your code ended the process too often"
            sub.verdicts[name] = sandbox.make_verdict(False, "crash", message)
        record = {
            "key": sub.key,
            "lesson_problems": self.problems,
            "verdicts": {n: sub.verdicts[n] for n in self.names},
            "imports": sub.imports,
            "tampered_at_import": sorted(sub.tampered_at_import),
            "files_changed": sorted(sub.files_changed),
            "output": sub.capture.text(),
            "seconds": round(time.monotonic() - sub.started, 3),
            **sub.extra,
        }
        out = Path(sub.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text(json.dumps(record, indent=1, ensure_ascii=False))
        tmp.replace(out)
        _say(done=sub.key)


class _Submission:
    """The parent's record of one submission while its children grade it."""

    def __init__(self, spec: dict):
        self.key, self.dir, self.out = spec["key"], spec["dir"], spec["out"]
        self.missing = set(spec.get("missing", []))
        self.extra = spec.get("extra", {})
        self.verdicts: dict[str, dict] = {}
        self.imports: dict[str, dict | None] = {}
        self.failed: dict[str, dict] = {}  # modules that killed or hung a child
        self.tampered_at_import: set[str] = set()
        self.files_changed: set[str] = set()
        self.capture = Capture()
        self.children = 0
        self.started = time.monotonic()

    def todo(self, names: list[str]) -> list[str]:
        return [n for n in names if n not in self.verdicts]


class _Child:
    """The parent's view of one child: its pipes, the stage it is in, since when."""

    def __init__(self, pid: int, sub: _Submission, results: int, output: int):
        self.pid, self.sub, self.results, self.output = pid, sub, results, output
        self.pending = b""
        self.stage: str | None = None
        self.since = time.monotonic()

    def read_output(self) -> None:
        while chunk := _read(self.output):
            self.sub.capture.write(chunk)

    def read_results(self, token: str) -> None:
        while chunk := _read(self.results):
            self.pending += chunk
        *lines, self.pending = self.pending.split(b"\n")
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and record.get("token") == token:
                self._handle(record)

    def _handle(self, record: dict) -> None:
        sub, event, name = self.sub, record.get("event"), record.get("name")
        self.since = time.monotonic()
        if event == "start":
            self.stage = name
        elif event == "imported":
            sub.imports[name] = record.get("verdict")
            self.stage = None
        elif event == "tampered_at_import":
            sub.tampered_at_import.update(record.get("names") or [])
        elif event == "verdict" and name not in sub.verdicts:
            sub.verdicts[name] = record["verdict"]
            self.stage = None

    def finish(self, token: str, status: int, killed: bool, timeout: float) -> None:
        """After the child ended: read what is left, and blame the stage it was in."""
        self.read_output()
        self.read_results(token)
        for fd in (self.results, self.output):
            os.close(fd)
        _kill(self.pid)  # whatever the student's code started
        if self.stage is None:
            return
        if killed:
            kind, why = "timeout", f"no result within {timeout:g} s (an endless loop?)"
        else:
            kind, why = "crash", _death(status)
        seconds = time.monotonic() - self.since
        if self.stage.startswith("import "):
            module = self.stage.removeprefix("import ")
            verdict = sandbox.make_verdict(
                False, kind, f"student/{module}.py: {why}", seconds
            )
            self.sub.failed[module] = self.sub.imports[module] = verdict
        else:
            message = f"✗ {self.stage}: {why}"
            self.sub.verdicts[self.stage] = sandbox.make_verdict(
                False, kind, message, seconds
            )


def _death(status: int) -> str:
    if os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        return f"your code ended the Python process ({name})"
    return f"your code ended the Python process (exit code {os.WEXITSTATUS(status)})"


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 1 << 16)
    except OSError:  # nothing to read now
        return b""


def _kill(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _say(**record) -> None:
    print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
