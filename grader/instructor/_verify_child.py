"""Run by ``verify`` as ``python -I _verify_child.py`` in a fresh process, one per submission.

Reads its job (JSON) from stdin; writes one JSON line per exercise to the result
channel (the original stdout; the student's own output goes to stderr). The checker
and the reference are imported and their namespaces recorded *before* any student
code runs; after the student's import and after every exercise the namespaces are
compared, any change is reported as tampering and undone before the next exercise.
"""

import importlib
import json
import os
import signal
import sys

job = json.loads(sys.stdin.readline())
sys.path[:0] = [job["submission"], job["root"]]
os.chdir(job["submission"])
_channel = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)
sys.stdout = sys.stderr
_token = job["token"]

# Imported now so that their namespaces are recorded before any student code runs.
import numpy  # noqa: F401
import torch
import torch.nn.functional

check = importlib.import_module(job["check_module"])
registry = getattr(check, "exercises", None)
for _name in job["names"]:
    if registry is not None:  # import the reference modules now, before student code
        registry.get(_name).reference()

_prefixes = ("grader", "reference", job["check_module"].split(".")[0])
_watched = {
    n: m
    for n, m in sys.modules.items()
    if n.split(".")[0] in _prefixes
    or n in ("torch", "torch.nn.functional", "numpy", "builtins")
}
_watched_dicts = {n: vars(m) for n, m in _watched.items()}
_watched_dicts["torch.Tensor"] = torch.Tensor.__dict__
_snapshot = {n: dict(d) for n, d in _watched_dicts.items()}


def _tampered() -> list[str]:
    """Names in the checker, reference, torch or numpy that changed; undoes the changes."""
    changed = []
    for name, before in _snapshot.items():
        now = _watched_dicts[name]
        for key, value in before.items():
            if now.get(key, _snapshot) is not value:
                changed.append(f"{name}.{key}")
                if name == "torch.Tensor":
                    setattr(torch.Tensor, key, value)
                else:
                    now[key] = value
    return changed


def _emit(**record) -> None:
    _channel.write(json.dumps({"token": _token, **record}) + "\n")
    _channel.flush()


def _on_alarm(signum, frame):
    raise TimeoutError(f"no result within {job['timeout']} s (infinite loop?)")


signal.signal(signal.SIGALRM, _on_alarm)
_modules = sorted({n.split(".")[0] for n in job["names"]})
_import_errors = {}
for _module in _modules:
    try:
        signal.setitimer(signal.ITIMER_REAL, job["timeout"])
        importlib.import_module(f"student.{_module}")
    except BaseException as exc:  # reported through the checks below
        _import_errors[_module] = f"{type(exc).__name__}: {exc}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
_at_import = _tampered()

for _name in job["names"]:
    verdicts, messages = [], []
    for hidden in (False, True):
        try:
            signal.setitimer(signal.ITIMER_REAL, job["timeout"])
            result = check.run(_name, None, hidden)
            verdicts.append(bool(result.passed))
            messages.append(str(result.message))
        except BaseException as exc:
            verdicts.append(False)
            messages.append(f"{type(exc).__name__}: {exc}")
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    _emit(
        name=_name,
        visible=verdicts[0],
        hidden=verdicts[1],
        message=" | ".join(dict.fromkeys(messages))[:500],
        tampered_at_import=_at_import,
        tampered=_tampered(),
    )
