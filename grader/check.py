"""The check API students call: ``check.exercise("features.one_hot_msa", fn)``.

For every case of the exercise (``grader/exercises/<module>.py``) the student's
function or module runs on fresh deterministic float64 CPU inputs (module parameters
set by name, after their names and shapes are checked), and its output is compared
with the saved reference output (``data/reference_tensors/<module>.npz``) or, for
``hidden=True``, with the reference computed here on other cases. A pass prints one
line; a failure raises ``CheckFailed`` whose message says which case, what came back,
why it is wrong and, when the output matches a saved typical mistake, which one.
While a function runs, the *other* exercises it calls are the reference ones, so a
bug costs points once. Needs only torch and numpy.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from . import CheckFailed, exercises
from .cases import Exercise, ModuleCase, init_parameters
from .diagnose import Problem, checker_error, compare, describe_exception
from .tensor_io import TREE, dumps, flatten, load_npz, loads, same_content

ROOT = Path(__file__).resolve().parents[1]
TENSOR_DIR = ROOT / "data" / "reference_tensors"
PARAMS = "__params__"
_npz_cache: dict[Path, tuple[float, dict]] = {}


@dataclass
class Result:
    """A verdict. ``kind`` says why it failed, for tools (``"passed"`` when it
    passed; otherwise one of ``grader.diagnose.KINDS``)."""

    name: str
    passed: bool
    message: str
    seconds: float
    points: int
    kind: str = "passed"


def exercise(name: str, fn=None, hidden: bool = False) -> Result:
    """Check the student's ``fn`` (default: ``student.<module>.<attr>``) for exercise
    ``name``. Prints one line on success; raises ``CheckFailed`` otherwise."""
    result = run(name, fn, hidden)
    if not result.passed:
        raise CheckFailed(result.message) from None
    print(result.message)
    return result


def run(name: str, fn=None, hidden: bool = False) -> Result:
    """Like ``exercise`` but returns the verdict instead of printing or raising."""
    start = time.perf_counter()
    ex = exercises.get(name)
    try:
        if fn is None:
            fn = getattr(importlib.import_module(f"student.{ex.module}"), ex.attr)
        problem, n_cases = _check(ex, fn, hidden)
    except Exception as exc:  # the student's package failed to import, or a bug here
        problem, n_cases = checker_error(exc) or describe_exception(exc), 0
    seconds = time.perf_counter() - start
    if problem is None:
        cases = f"{n_cases} case{'s' * (n_cases != 1)}"
        message = (
            f"✓ {name}: passed ({cases}, {ex.points} point{'s' * (ex.points != 1)})"
        )
        return Result(name, True, message, seconds, ex.points)
    kind = getattr(problem, "kind", "values")
    return Result(name, False, f"✗ {name}: {problem}", seconds, ex.points, kind)


# --- expected outputs ---------------------------------------------------------------
def compute_expected(
    ex: Exercise, hidden: bool, mutants: bool = True
) -> dict[str, np.ndarray]:
    """Reference (and mutant) outputs for every case: ``{key: array}`` with JSON trees."""
    arrays: dict[str, np.ndarray] = {}
    reference = ex.reference()
    cases = ex.cases(hidden)
    labels = [case.label for case in cases]
    if len(set(labels)) != len(labels) or any("/" in label for label in labels):
        raise ValueError(
            f"{ex.name}: case labels must be unique and without '/': {labels}"
        )
    for case in cases:
        prefix = f"{ex.attr}/{case.label}"
        out, params = _call(reference, case)
        arrays[f"{prefix}/out/{TREE}"] = dumps(flatten(out, f"{prefix}/out", arrays))
        if params is not None:
            arrays[f"{prefix}/{PARAMS}"] = dumps(params)
        for i, mutant in enumerate(ex.mutants):
            if not (mutants and mutant.diagnose):
                continue
            key = f"{prefix}/mutant{i}"
            try:
                tree = flatten(_call(mutant.fn, case)[0], key, arrays)
            except Exception:
                tree = {"t": "raised"}
            arrays[f"{key}/{TREE}"] = dumps(tree)
    return arrays


def _expected(ex: Exercise, hidden: bool) -> dict[str, np.ndarray]:
    if hidden:  # the mutants only when needed, see _check
        return compute_expected(ex, hidden=True, mutants=False)
    path = TENSOR_DIR / f"{ex.module}.npz"
    mtime = path.stat().st_mtime
    if path not in _npz_cache or _npz_cache[path][0] != mtime:
        _npz_cache[path] = (mtime, load_npz(path))
    return _npz_cache[path][1]


# --- running one case ------------------------------------------------------------------
def _call(fn, case, expected_params: dict | None = None):
    """``(output, parameter shapes or None)`` of ``fn`` on the case's fresh inputs. For a
    module, parameter names and shapes are compared with ``expected_params`` (when
    given) before anything runs: a mismatch raises ``_ParameterMismatch``."""
    args, kwargs = case.build()
    with torch.no_grad():
        if not isinstance(case, ModuleCase):
            return fn(*args, **kwargs), None
        module = fn(**case.init)
        params = {n: list(p.shape) for n, p in module.named_parameters()}
        problem = expected_params is not None and _check_params(expected_params, params)
        if problem:
            raise _ParameterMismatch(problem)
        module = module.to(torch.float64).eval()
        init_parameters(module, case.seed)
        return module(*args, **kwargs), params


class _ParameterMismatch(Exception):
    pass


def _check_params(expected: dict, got: dict) -> str | None:
    missing = sorted(set(expected) - set(got))
    unexpected = sorted(set(got) - set(expected))
    if missing or unexpected:
        return (
            "parameter names differ from the reference (they must match to load the "
            f"real weights): missing {missing}, unexpected {unexpected}"
        )
    wrong = [
        f"{n} is {got[n]}, expected {expected[n]}"
        for n in expected
        if got[n] != expected[n]
    ]
    return f"parameter shapes: {'; '.join(wrong)}" if wrong else None


def _check(ex: Exercise, fn, hidden: bool) -> tuple[str | None, int]:
    problem, n_cases = _verdict(ex, fn, hidden, _expected(ex, hidden))
    if problem is not None and not hidden and _platform_differs(ex):
        # This machine's reference differs from the saved one (another torch version's
        # random stream, say): judge against the reference computed here.
        problem, n_cases = _verdict(ex, fn, hidden, compute_expected(ex, hidden=False))
    return problem, n_cases


def _platform_differs(ex: Exercise) -> bool:
    """Whether the reference run here disagrees with the saved reference tensors."""
    try:
        live = compute_expected(ex, hidden=False, mutants=False)
    except Exception:  # no reference here: the saved tensors are all there is
        return False
    saved = _expected(ex, hidden=False)
    return not same_content(live, {k: saved[k] for k in live if k in saved})


def _verdict(ex: Exercise, fn, hidden: bool, data: dict) -> tuple[str | None, int]:
    cases = ex.cases(hidden)
    outputs, first = [], None
    for case in cases:
        prefix = f"{ex.attr}/{case.label}"
        if f"{prefix}/out/{TREE}" not in data:
            missing = f"no saved reference for case {case.label!r}: run `python -m grader build`"
            return Problem(missing, "checker"), 0
        expected_params = data.get(f"{prefix}/{PARAMS}")
        try:
            with _isolated(fn, ex):
                got, _ = _call(
                    fn,
                    case,
                    None if expected_params is None else loads(expected_params),
                )
        except _ParameterMismatch as exc:
            return Problem(f"{_checked(ex, case)}{exc}", "params"), len(cases)
        except Exception as exc:
            if first is not None:
                break
            problem = checker_error(exc) or describe_exception(exc)
            return Problem(f"{_checked(ex, case)}{problem}", problem.kind), len(cases)
        outputs.append(got)
        if first is None:
            tree = loads(data[f"{prefix}/out/{TREE}"])
            problem = compare(tree, data, got, atol=ex.atol, rtol=ex.rtol)
            first = (case, problem) if problem else None
    if first is None:
        return None, len(cases)
    mistake = ""
    if len(outputs) == len(cases):
        data = compute_expected(ex, hidden=True) if hidden else data
        mistake = _probable_mistake(ex, data, cases, outputs)
    text = f"{_checked(ex, first[0])}{first[1]}{mistake}"
    return Problem(text, first[1].kind), len(cases)


def _checked(ex: Exercise, case) -> str:
    args, kwargs = case.build()
    shown = [_describe(a) for a in args] + [
        f"{k}={_describe(v)}" for k, v in kwargs.items()
    ]
    call = f"{ex.attr}({', '.join(shown)})"
    if isinstance(case, ModuleCase):
        init = ", ".join(f"{k}={v!r}" for k, v in case.init.items())
        call = f"{ex.attr}({init})({', '.join(shown)})"
    return f"case {case.label!r}, {call}\n   "


def _describe(value) -> str:
    if isinstance(value, torch.Tensor):
        return f"<{list(value.shape)} {str(value.dtype).replace('torch.', '')}>"
    if isinstance(value, str):
        return repr(value) if len(value) < 30 else f"<str of {len(value)} chars>"
    if isinstance(value, torch.Generator):
        return "<torch.Generator>"
    text = repr(value)
    return text if len(text) < 30 else f"<{type(value).__name__}>"


def _probable_mistake(ex: Exercise, data, cases, outputs) -> str:
    """The diagnosis of the first saved mutant whose outputs the student matches on every case."""
    for i, mutant in enumerate(ex.mutants):
        if not mutant.diagnose:
            continue
        trees = [
            loads(data[f"{ex.attr}/{case.label}/mutant{i}/{TREE}"]) for case in cases
        ]
        if all(
            tree["t"] != "raised"
            and compare(tree, data, got, atol=ex.atol, rtol=ex.rtol) is None
            for tree, got in zip(trees, outputs)
        ):
            return f"\n   Probable mistake: {mutant.diagnosis}"
    return ""


@contextlib.contextmanager
def _isolated(fn, ex: Exercise):
    """While ``fn`` runs, names in its student module that are *other* exercises of the
    student package point to the reference ones."""
    module = sys.modules.get(getattr(fn, "__module__", "") or "")
    swaps = []
    if module is not None and module.__name__.startswith("student."):
        for other in exercises.all_exercises().values():
            obj = module.__dict__.get(other.attr)
            if (
                other.name != ex.name
                and obj is not None
                and getattr(obj, "__module__", None) == f"student.{other.module}"
            ):
                swaps.append((other.attr, obj, other.reference()))
    for attr, _, ref in swaps:
        setattr(module, attr, ref)
    try:
        yield
    finally:
        for attr, obj, _ in swaps:
            setattr(module, attr, obj)
