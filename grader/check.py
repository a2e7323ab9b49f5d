"""The check API students call: ``check.exercise("features.one_hot_msa", fn)``.

For every case of the exercise (a row of ``grader/exercises/``) the student's function
or module runs on fresh deterministic float64 CPU inputs (module parameters set by
name, after their names and shapes are checked), and its output is compared with the
saved reference output (``data/reference_tensors/<module>.npz``) or, for
``hidden=True``, with the reference computed here on other sizes and seeds. Only the
exercise's own code is the student's while it runs (``grader.isolation``): every other
exercise it calls, inherits or builds is the reference one, so a bug costs its points
once. Every input must come back unchanged. A pass prints one line; a failure raises
``CheckFailed`` whose message says which case, what came back, why it is wrong and,
when the output matches a typical mistake, which one. Needs only torch and numpy.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import inspect
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from . import CheckFailed, exercises
from .cases import Case, Exercise
from .diagnose import Problem, checker_error, compare, describe_exception, short
from .inputs import Draw, init_parameters, seed_of
from .isolation import is_reference, isolated
from .mistakes import mutant
from .tensor_io import TREE, dumps, flatten, load_npz, loads, same_content

ROOT = Path(__file__).resolve().parents[1]
TENSOR_DIR = ROOT / "data" / "reference_tensors"
PARAMS = "__params__"
# What student code may raise and a check reports: errors, exit(), an interrupt. Other
# BaseExceptions (a grading process's time limit, say) pass through.
STUDENT_EXCEPTIONS = (Exception, SystemExit, KeyboardInterrupt)
_cache: dict[tuple, tuple[float, dict]] = {}
_frozen: dict[tuple, dict] = {}


@dataclass
class Result:
    """A verdict. ``kind`` is ``"passed"``, ``"reference"`` (passed, but the code is
    the reference implementation, not the student's) or, for a failure, one of
    ``grader.diagnose.KINDS``."""

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
    problem, n_cases = None, 0
    try:
        if fn is None:
            fn = _student_answer(ex)
        problem = _wrong_kind_of_answer(ex, fn)
        if problem is None:
            with _one_thread():
                problem, n_cases = _check(ex, fn, hidden)
    except _ImportFailed as exc:
        problem = exc.problem
    except (
        STUDENT_EXCEPTIONS
    ) as exc:  # a bug here, or an interrupt outside student code
        problem = checker_error(exc) or describe_exception(exc)
    seconds = time.perf_counter() - start
    if problem is not None:
        message = f"✗ {name}: {problem}"
        return Result(name, False, message, seconds, ex.points, problem.kind)
    cases = f"{n_cases} case{'s' * (n_cases != 1)}"
    points = f"{ex.points} point{'s' * (ex.points != 1)}"
    if is_reference(fn, ex):
        message = f"✓ {name}: passed ({cases}) — reference in use, not your code"
        return Result(name, True, message, seconds, ex.points, "reference")
    message = f"✓ {name}: passed ({cases}, {points})"
    return Result(name, True, message, seconds, ex.points)


@contextlib.contextmanager
def _one_thread():
    """Toy sizes run fastest on one thread; more threads stall on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


class _ImportFailed(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem


def _student_answer(ex: Exercise):
    """``student.<module>.<obj>``; an import that fails is the student's problem."""
    try:
        module = importlib.import_module(f"student.{ex.module}")
    except STUDENT_EXCEPTIONS as exc:
        text = describe_exception(exc)
        raise _ImportFailed(
            Problem(f"importing student/{ex.module}.py failed: {text}", "import")
        ) from None
    if not hasattr(module, ex.obj_name):
        raise _ImportFailed(
            Problem(f"student/{ex.module}.py has no {ex.obj_name}", "import")
        )
    return getattr(module, ex.obj_name)


def _wrong_kind_of_answer(ex: Exercise, fn) -> Problem | None:
    if ex.is_class and not isinstance(fn, type):
        return Problem(f"expected a class (an nn.Module), got {short(fn)}", "type")
    if not ex.is_class and not callable(fn):
        return Problem(f"expected a function, got {short(fn)}", "type")
    return None


# --- inputs and expected outputs --------------------------------------------------------
def draw(ex: Exercise, case: Case, hidden: bool) -> Draw:
    """The inputs of one case: sizes and seeds of the visible or the hidden run."""
    sizes = ex.hidden if hidden and ex.hidden else ex.sizes
    return Draw(
        f"{ex.name}|{case.label}|{'hidden' if hidden else 'visible'}", sizes, hidden
    )


def compute_expected(
    ex: Exercise, hidden: bool, mutants: bool = True
) -> dict[str, np.ndarray]:
    """Reference (and mistake) outputs for every case: ``{key: array}`` with JSON trees."""
    arrays: dict[str, np.ndarray] = {}
    labels = [case.label for case in ex.cases]
    if len(set(labels)) != len(labels) or any("/" in label for label in labels):
        raise ValueError(
            f"{ex.name}: case labels must be unique and without '/': {labels}"
        )
    for case in ex.cases:
        prefix = f"{ex.attr}/{case.label}"
        out, params = _call(ex, ex.reference(), case, hidden)
        arrays[f"{prefix}/out/{TREE}"] = dumps(flatten(out, f"{prefix}/out", arrays))
        if params is not None:
            arrays[f"{prefix}/{PARAMS}"] = dumps(params)
        for i in range(len(ex.mistakes) if mutants else 0):
            key = f"{prefix}/mutant{i}"
            try:
                tree = flatten(
                    _call(ex, mutant(ex.name, i), case, hidden)[0], key, arrays
                )
            except Exception:
                tree = {"t": "raised"}
            arrays[f"{key}/{TREE}"] = dumps(tree)
    for array in arrays.values():
        array.setflags(write=False)  # shared by every check in this process
    return arrays


def expected(ex: Exercise, hidden: bool, mistakes: bool = False) -> dict:
    """The expected outputs of ``ex``: saved (visible; the saved file holds the
    mistakes' outputs too) or computed once per process (hidden; with ``mistakes``,
    the typical mistakes' outputs as well, for a diagnosis)."""
    if (ex.name, hidden, mistakes) in _frozen:
        return _frozen[ex.name, hidden, mistakes]
    if hidden:
        key = (ex.name, "hidden", mistakes)
        if key not in _cache:
            _cache[key] = (0.0, compute_expected(ex, hidden=True, mutants=mistakes))
        return _cache[key][1]
    path = TENSOR_DIR / f"{ex.module}.npz"
    mtime = path.stat().st_mtime  # a rebuild during a session is picked up
    if (path, "saved") not in _cache or _cache[path, "saved"][0] != mtime:
        arrays = load_npz(path)
        for array in arrays.values():
            array.setflags(write=False)
        _cache[path, "saved"] = (mtime, arrays)
    return _cache[path, "saved"][1]


def freeze(names) -> None:
    """Hold every expected output of these exercises in memory from now on: later
    checks in this process read no file and compute no reference (a grading process
    does this once, before it runs any submission)."""
    for name in names:
        ex = exercises.get(name)
        for mistakes in (False, True):
            _frozen[name, True, mistakes] = expected(ex, True, mistakes)
        saved = expected(ex, False)
        if _platform_differs(ex):  # this machine's reference is the judge
            saved = compute_expected(ex, hidden=False)
        _frozen[name, False, False] = _frozen[name, False, True] = saved


# --- running one case -----------------------------------------------------------------
def _call(ex: Exercise, fn, case: Case, hidden: bool, expected_params=None):
    """``(output, parameter shapes or None)`` of ``fn`` on the case's fresh inputs. For a
    class, parameter names and shapes are compared with ``expected_params`` (when
    given) before anything runs: a mismatch raises ``_ParameterMismatch``. Inputs
    changed in place raise ``_InputChanged``."""
    d = draw(ex, case, hidden)
    args, kwargs = case.build(d)
    before = _snapshot((args, kwargs))
    with torch.set_grad_enabled(bool(d.gradients)):  # only for gradient checks
        if not ex.is_class:  # a function, or a method called on given objects
            target = getattr(fn, ex.method) if ex.method else fn
            answer, params = fn, None
        else:
            module = fn(**ex.constructor_args(case, d.sizes))
            params = {n: list(p.shape) for n, p in module.named_parameters()}
            problem = expected_params is not None and _check_params(
                expected_params, params
            )
            if problem:
                raise _ParameterMismatch(problem)
            module = module.to(torch.float64).eval()
            init_parameters(module, seed_of(d.key, "parameters"))
            target = getattr(module, ex.method) if ex.method else module
            answer = module
        out = (
            case.call(answer, *args, **kwargs) if case.call else target(*args, **kwargs)
        )
    changed = _changed(before, (args, kwargs))
    if changed is not None:
        raise _InputChanged(_argument_name(target, args, kwargs, changed))
    if d.gradients:
        out = _with_gradients(out, d.gradients)
    return out, params


def _with_gradients(out, inputs: dict[str, torch.Tensor]):
    """``(out, {name: d(sum of out's float tensors) / d input})``, detached; a zero
    gradient where the output does not depend on the input."""
    total = _float_sum(out)
    grads = [None] * len(inputs)
    if total is not None and total.requires_grad:
        grads = torch.autograd.grad(total, list(inputs.values()), allow_unused=True)
    gradients = {
        name: (torch.zeros_like(x) if g is None else g).detach()
        for (name, x), g in zip(inputs.items(), grads)
    }
    return _detached(out), gradients


def _float_sum(value) -> torch.Tensor | None:
    """The sum of every floating-point tensor in ``value`` (nested containers)."""
    if isinstance(value, torch.Tensor):
        return value.sum() if value.is_floating_point() else None
    if isinstance(value, dict):
        value = list(value.values())
    if not isinstance(value, (list, tuple)):
        return None
    sums = [s for s in map(_float_sum, value) if s is not None]
    return torch.stack(sums).sum() if sums else None


def _detached(value):
    if isinstance(value, torch.Tensor):
        return value.detach()
    if isinstance(value, dict):
        return {k: _detached(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        return type(value)(_detached(v) for v in value)
    return value


class _ParameterMismatch(Exception):
    pass


class _InputChanged(Exception):
    pass


def _snapshot(value):
    """A copy of the inputs: tensors cloned, containers copied, other objects kept."""
    if isinstance(value, torch.Tensor):
        return value.clone()
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(_snapshot(v) for v in value))
    if isinstance(value, (list, tuple)):
        return type(value)(_snapshot(v) for v in value)
    if isinstance(value, dict):
        return {k: _snapshot(v) for k, v in value.items()}
    if hasattr(value, "__dataclass_fields__"):
        return copy.deepcopy(value)
    if hasattr(value, "__dict__") and not callable(value):  # e.g. a rigid transform
        clone = copy.copy(value)
        clone.__dict__ = {k: _snapshot(v) for k, v in vars(value).items()}
        return clone
    return value


def _changed(before, after, path=()) -> tuple | None:
    """The path (indices/keys) of the first input that differs from its snapshot."""
    if isinstance(before, torch.Tensor):
        same = (
            isinstance(after, torch.Tensor)
            and before.shape == after.shape
            and before.dtype == after.dtype
            and bool(((before == after) | (before.isnan() & after.isnan())).all())
        )
        return None if same else path
    if isinstance(before, (list, tuple)):
        if len(before) != len(after):
            return path
        for i, (b, a) in enumerate(zip(before, after)):
            if (found := _changed(b, a, path + (i,))) is not None:
                return found
        return None
    if isinstance(before, dict):
        for k in before:
            if (found := _changed(before[k], after.get(k), path + (k,))) is not None:
                return found
        return None
    if hasattr(before, "__dataclass_fields__"):
        return None if before == after else path
    if hasattr(before, "__dict__") and not callable(before):
        for k, value in vars(before).items():
            found = _changed(value, getattr(after, k, None), path + (Attribute(k),))
            if found is not None:
                return found
    return None


class Attribute(str):
    """A path step that is an attribute (``.trans``), not a key (``['trans']``)."""


def _argument_name(target, args, kwargs, path: tuple) -> str:
    """``"`msa_mask`"`` (or ``"argument 2"``) for the changed input at ``path``."""
    where, index, rest = path[0], path[1], path[2:]
    name = f"argument {index + 1}" if where == 0 else f"`{index}`"
    if where == 0:
        try:
            if isinstance(target, torch.nn.Module):
                target = target.forward
            params = list(inspect.signature(target).parameters)
            name = f"`{params[index]}`"
        except (TypeError, ValueError, IndexError):
            pass
    steps = (f".{r}" if isinstance(r, Attribute) else f"[{r!r}]" for r in rest)
    return f"`{name.strip('`')}{''.join(steps)}`" if rest else name


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


def _check(ex: Exercise, fn, hidden: bool) -> tuple[Problem | None, int]:
    problem, n_cases = _verdict(ex, fn, hidden, expected(ex, hidden))
    frozen = (ex.name, hidden, False) in _frozen
    if problem is not None and not hidden and not frozen and _platform_differs(ex):
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
    saved = expected(ex, hidden=False)
    return not same_content(live, {k: saved[k] for k in live if k in saved})


def _verdict(ex: Exercise, fn, hidden: bool, data: dict) -> tuple[Problem | None, int]:
    n = len(ex.cases)
    outputs, first = [], None
    for case in ex.cases:
        prefix = f"{ex.attr}/{case.label}"
        if f"{prefix}/out/{TREE}" not in data:
            missing = f"no saved reference for case {case.label!r}: run `python -m grader build`"
            return Problem(missing, "checker"), 0
        expected_params = data.get(f"{prefix}/{PARAMS}")
        try:
            with isolated(fn, ex, exercises.all_exercises()):
                got, _ = _call(
                    ex,
                    fn,
                    case,
                    hidden,
                    None if expected_params is None else loads(expected_params),
                )
        except _ParameterMismatch as exc:
            return Problem(f"{_checked(ex, case, hidden)}{exc}", "params"), n
        except _InputChanged as exc:
            text = (
                f"your code changed its input {exc} in place. Later modules read that "
                "tensor too: compute new tensors (`x = x * 2`), never change an input "
                "(`x *= 2`, `x.mul_(2)`, `x[...] = 0`)"
            )
            return Problem(f"{_checked(ex, case, hidden)}{text}", "modified_input"), n
        except STUDENT_EXCEPTIONS as exc:
            if first is not None:
                break
            problem = checker_error(exc) or describe_exception(exc)
            return Problem(f"{_checked(ex, case, hidden)}{problem}", problem.kind), n
        outputs.append(got)
        if first is None:
            tree = loads(data[f"{prefix}/out/{TREE}"])
            problem = compare(tree, data, got, atol=ex.atol, rtol=ex.rtol)
            first = (case, problem) if problem else None
    if first is None:
        return None, n
    mistake = ""
    if len(outputs) == n:
        data = expected(ex, hidden=True, mistakes=True) if hidden else data
        mistake = _probable_mistake(ex, data, outputs)
    text = f"{_checked(ex, first[0], hidden)}{first[1]}{mistake}"
    return Problem(text, first[1].kind), n


def _checked(ex: Exercise, case: Case, hidden: bool) -> str:
    d = draw(ex, case, hidden)
    args, kwargs = case.build(d)
    shown = [_describe(a) for a in args] + [
        f"{k}={_describe(v)}" for k, v in kwargs.items()
    ]
    call = f"{ex.attr}({', '.join(shown)})"
    if ex.is_class:
        init = ", ".join(
            f"{k}={v!r}" for k, v in ex.constructor_args(case, d.sizes).items()
        )
        method = f".{ex.method}" if ex.method else ""
        call = f"{ex.obj_name}({init}){method}({', '.join(shown)})"
        if case.call:  # a property of the module, not one call of the method
            call = f"{case.call.__name__}({ex.obj_name}({init}), {', '.join(shown)})"
    elif case.call:
        call = f"{case.call.__name__}({ex.attr}, {', '.join(shown)})"
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


def _probable_mistake(ex: Exercise, data, outputs) -> str:
    """The diagnosis of the first mistake whose outputs the student matches on every case."""
    for i, mistake in enumerate(ex.mistakes):
        trees = [
            loads(data[f"{ex.attr}/{case.label}/mutant{i}/{TREE}"]) for case in ex.cases
        ]
        if all(
            tree["t"] != "raised"
            and compare(tree, data, got, atol=ex.atol, rtol=ex.rtol) is None
            for tree, got in zip(trees, outputs)
        ):
            return f"\n   Probable mistake: {mistake.diagnosis}"
    return ""
