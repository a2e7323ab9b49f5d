"""One submission, graded in a child of the warm grading process (``worker.py``), and
the guards around it.

``Sandbox.grade`` runs in the child: it imports the student's modules (dependencies
first, each under the time limit), then checks each exercise — visible cases, then the
hidden ones — under one time limit, and reports every step as a JSON line on its own
pipe. ``Snapshot`` (the namespaces of the checker, the reference, the grading code,
torch and numpy) and ``Files`` (the repository's checker, reference and data on disk)
are recorded in the parent before any student code runs; what a submission changes in
them is reported and undone.
"""

from __future__ import annotations

import ast
import importlib
import importlib.abc
import json
import os
import signal
import sys
import time
from pathlib import Path

from grader import check, exercises
from grader.instructor.limits import clip

HIDDEN_NOTE = "a hidden case: other sizes and seeds; the visible cases pass"


class TimeLimit(BaseException):
    """Raised by the alarm; not an ``Exception``, so the checker cannot mistake it
    for an error of the student's code, nor can their ``except Exception`` eat it."""


def _on_alarm(signum, frame):
    raise TimeLimit


class Sandbox:
    """What a child does with one submission (made in the parent, run in a child)."""

    def __init__(self, names: list[str], timeout: float, token: str, snapshot):
        self.names, self.timeout, self.token = names, timeout, token
        self.modules = sorted({exercises.get(n).module for n in names})
        self.snapshot = snapshot

    def grade(self, home: Path, todo, failed, missing, results_w, output_w) -> None:
        """In the child: import the student's modules, check ``todo``; ``failed``:
        modules that crashed or hung an earlier child."""
        # Bound now, before the student's code could replace them on the class.
        changed, grade, load = self.snapshot.changed, self._exercise, self._import
        os.setsid()  # its own process group: killing it kills what it started
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        os.dup2(output_w, 1)
        os.dup2(output_w, 2)
        os.close(output_w)
        sys.stdout = sys.stderr = open(1, "w", buffering=1, errors="replace")
        channel = os.fdopen(results_w, "w")

        def emit(**record):
            channel.write(json.dumps({"token": self.token, **record}) + "\n")
            channel.flush()

        def stage(name):
            print(f"--- {name} ---", flush=True)  # headers in the printed output
            emit(event="start", name=name)

        sys.dont_write_bytecode = True  # nothing of the student's left behind
        sys.path.insert(0, str(home))
        os.chdir(home)
        signal.signal(signal.SIGALRM, _on_alarm)
        failed = dict(failed)  # module: verdict
        sys.meta_path.insert(0, _Blocked(failed))
        for module in _import_order(home / "student", self.modules):
            if module in failed:
                continue
            stage(f"import {module}")
            verdict = load(module)
            if verdict is not None:
                failed[module] = verdict
            emit(event="imported", name=module, verdict=verdict)
        emit(event="tampered_at_import", names=changed())
        for name in todo:
            stage(name)
            verdict = grade(name, home, failed, missing)
            touched = changed()
            if touched:
                verdict = make_verdict(
                    False,
                    "tampered",
                    f"✗ {name}: your code changed {', '.join(touched[:5])} while it "
                    "was checked (undone)",
                    verdict["seconds"],
                )
            emit(event="verdict", name=name, verdict=verdict)

    def _import(self, module: str) -> dict | None:
        start = time.perf_counter()
        try:
            signal.setitimer(signal.ITIMER_REAL, self.timeout)
            importlib.import_module(f"student.{module}")
            return None
        except TimeLimit:
            kind, why = (
                "timeout",
                f"no end within {self.timeout:g} s (an endless loop?)",
            )
        except SystemExit as exc:
            kind, why = "crash", f"it called sys.exit({exc.code!r})"
        except BaseException as exc:
            kind, why = "import", _one_line(exc)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        seconds = time.perf_counter() - start
        return make_verdict(False, kind, f"student/{module}.py: {why}", seconds)

    def _exercise(self, name: str, home: Path, failed: dict, missing: set) -> dict:
        ex = exercises.get(name)
        if ex.module in missing:
            message = f"✗ {name}: student/{ex.module}.py not submitted"
            return make_verdict(False, "not_submitted", message)
        if ex.module in failed:
            why = failed[ex.module]
            return make_verdict(False, why["kind"], f"✗ {name}: {why['message']}")
        borrowed = _borrowed(ex, home / "student")
        if borrowed:
            return make_verdict(False, "reference", f"✗ {name}: {borrowed}")
        start = time.perf_counter()
        try:
            signal.setitimer(signal.ITIMER_REAL, self.timeout)
            result = check.run(name, hidden=False)
            message = str(result.message)
            if result.passed:
                result = check.run(name, hidden=True)
                if result.passed:
                    message += f"\n✓ hidden cases: {_after_name(result.message)}"
                else:
                    message = f"{result.message}\n   ({HIDDEN_NOTE})"
            kind = getattr(result, "kind", "passed" if result.passed else "values")
            kind = "crash" if kind == "exit" else kind  # exit() would end the kernel
            verdict = (result.passed, kind, message)
        except TimeLimit:
            why = f"no result within {self.timeout:g} s (an endless loop?)"
            verdict = (False, "timeout", f"✗ {name}: {why}")
        except SystemExit as exc:
            verdict = (
                False,
                "crash",
                f"✗ {name}: your code called sys.exit({exc.code!r})",
            )
        except BaseException as exc:
            verdict = (
                False,
                "exception",
                f"✗ {name}: your code raised {_one_line(exc)}",
            )
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        return make_verdict(*verdict, time.perf_counter() - start)


def make_verdict(passed: bool, kind: str, message: str, seconds: float = 0.0) -> dict:
    return {
        "passed": bool(passed),
        "kind": kind,
        "message": clip(message),
        "seconds": round(seconds, 3),
    }


def _after_name(message) -> str:
    return str(message).split(": ", 1)[-1]


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:500]


def _borrowed(ex, home: Path) -> str:
    """Why the graded object is not the student's own code ('' when it is)."""
    module = sys.modules.get(f"student.{ex.module}")
    where = getattr(module, "__file__", None)
    if not where or Path(where).resolve().parent != home.resolve():
        return (
            f"student.{ex.module} is not your student/{ex.module}.py (the reference?)"
        )
    obj = getattr(module, ex.attr, None)
    if obj is None:
        return ""  # the checker says what is missing
    owners = [getattr(c, "__module__", "") for c in getattr(obj, "__mro__", [obj])]
    if obj is ex.reference() or any(str(o).startswith("reference.") for o in owners):
        return f"{ex.attr} is the reference implementation, not your code"
    return ""


def _import_order(home: Path, modules: list[str]) -> list[str]:
    """``modules`` and the student modules they import, dependencies first, so that a
    module that fails is imported (and fails) once."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(module: str) -> None:
        if module not in seen:
            seen.add(module)
            for dep in _relative_imports(home / f"{module}.py"):
                visit(dep)
            order.append(module)

    for module in modules:
        visit(module)
    return order


def _relative_imports(path: Path) -> list[str]:
    try:
        tree = ast.parse(path.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            names = [node.module] if node.module else [a.name for a in node.names]
            for name in names:
                name = name.split(".")[0]
                if (path.parent / f"{name}.py").exists():
                    found.append(name)
    return found


class _Blocked(importlib.abc.MetaPathFinder):
    """A student module that failed to import fails at once when imported again
    (instead of running its endless loop or its crash a second time)."""

    def __init__(self, failed: dict):
        self.failed = failed

    def find_spec(self, fullname, path, target=None):
        package, _, module = fullname.partition(".")
        if package == "student" and module in self.failed:
            why = self.failed[module]
            raise ImportError(f"{why['message']} [{why['kind']}]")
        return None


class Snapshot:
    """The namespaces of the checker, the reference, the grading code, torch and numpy
    (and of ``classes``), recorded before any student code runs. ``changed()`` lists
    what changed since, and undoes it."""

    def __init__(self, classes: tuple[type, ...]):
        self.watched = {
            n: (vars(m), None)
            for n, m in list(sys.modules.items())
            if m is not None
            and (
                n.split(".")[0] in ("grader", "reference")
                or n in ("torch", "torch.nn.functional", "numpy", "builtins")
            )
        }
        for cls in classes:
            self.watched[f"{cls.__module__}.{cls.__qualname__}"] = (cls.__dict__, cls)
        self.before = {n: dict(d) for n, (d, _) in self.watched.items()}

    def changed(self) -> list[str]:
        changed = []
        for name, before in self.before.items():
            now, cls = self.watched[name]
            for key, value in before.items():
                if now.get(key, self.before) is not value:
                    changed.append(f"{name}.{key}")
                    if cls is None:
                        now[key] = value
                    else:
                        setattr(cls, key, value)
        return changed


class Files:
    """The course's own files (the checker, the reference, ``data/``), kept in memory.
    ``restored()`` lists those changed, added or deleted on disk since, and undoes
    that, so no submission changes what the next ones are graded with."""

    def __init__(self, root: Path):
        self.root = root
        self.kept = {p: (p.read_bytes(), p.stat()) for p in self._files()}

    def _files(self) -> set[Path]:
        patterns = ("grader/**/*.py", "reference/**/*.py", "data/**/*")
        return {
            p for pattern in patterns for p in self.root.glob(pattern) if p.is_file()
        }

    def restored(self) -> list[str]:
        found = []
        for path in self._files() - set(self.kept):
            path.unlink()
            found.append(path)
        for path, (data, stat) in self.kept.items():
            try:
                now = path.stat()
                same = (now.st_size, now.st_mtime_ns) == (
                    stat.st_size,
                    stat.st_mtime_ns,
                )
            except FileNotFoundError:
                same = False
            if not same:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
                found.append(path)
        return sorted(str(p.relative_to(self.root)) for p in found)


GUARDS = (Sandbox, Snapshot, Files, _Blocked)
