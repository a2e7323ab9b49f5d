"""Say what is wrong with a student's output, or with the exception their code raised.

``compare(tree, arrays, got)`` walks the expected output (a tree from
``grader.tensor_io``) beside the student's value and returns the first problem in
words (``None`` if they agree): a ``None`` result, a wrong type, device, shape or
dtype, NaN/Inf, or wrong values with the max abs/rel error and the first index that
differs, and a hint for a near miss. ``describe_exception`` turns an exception from
student code into one line that names the student's file and line, never the
checker's. Every problem also says what *kind* it is (``KINDS``), for tools.
"""

from __future__ import annotations

import math
import os
import sysconfig
import traceback
import types
from itertools import permutations
from pathlib import Path

import numpy as np
import torch

GRADER_DIR = str(Path(__file__).resolve().parent)
LIBRARY_DIRS = tuple(
    str(Path(p).resolve())
    for p in {sysconfig.get_paths()[k] for k in ("stdlib", "purelib", "platlib")}
)
KINDS = (
    "values",  # wrong numbers
    "shape",
    "dtype",
    "device",
    "nan",  # NaN or Inf where the reference is finite
    "type",  # None, a wrong Python type, wrong items or keys
    "params",  # module parameter names or shapes
    "modified_input",  # the student's code changed an input in place
    "not_implemented",
    "import",  # the student's module failed to import
    "exception",  # the student's code raised (KeyboardInterrupt too)
    "exit",  # the student's code called exit() or sys.exit()
    "checker",  # a bug of the course
)
NEAR_MISS = 1e-4  # every value within this relative error: a numerical detail


class Problem(str):
    """A diagnosis in words that also says what *kind* of problem it is (``KINDS``)."""

    kind: str = "values"

    def __new__(cls, text: str, kind: str) -> Problem:
        if kind not in KINDS:
            raise ValueError(f"unknown problem kind {kind!r}")
        self = super().__new__(cls, text)
        self.kind = kind
        return self


def short(value, n: int = 60) -> str:
    """``repr(value)``, cut to ``n`` characters."""
    text = repr(value)
    return text if len(text) <= n else text[: n - 3] + "..."


def compare(node: dict, arrays: dict, got, where="output", atol=1e-8, rtol=1e-6):
    """The first difference between ``got`` and the expected ``node``, or None."""
    kind = node["t"]
    if kind in ("tensor", "ndarray"):
        return _compare_array(node, arrays[node["k"]], got, where, atol, rtol)
    if kind == "none":
        return None if got is None else _wrong_type(where, got, "None")
    if got is None:
        return _wrong_type(where, got, f"a {kind}")
    if kind in ("int", "float", "bool"):
        return _compare_number(node["v"], got, where, atol, rtol)
    if kind == "str":
        if not isinstance(got, str):
            return _wrong_type(where, got, "a str")
        if got == node["v"]:
            return None
        return Problem(
            f"{where} is {short(got)}, expected {short(node['v'])}", "values"
        )
    if kind in ("list", "tuple"):
        items = node["items"]
        if not isinstance(got, (list, tuple)):
            return _wrong_type(where, got, f"a {kind} of {len(items)}")
        if len(got) != len(items):
            return Problem(
                f"{where} has {len(got)} items, expected {len(items)}", "type"
            )
        pairs = [
            (sub, g, f"{where}[{i}]") for i, (sub, g) in enumerate(zip(items, got))
        ]
        return _first(pairs, arrays, atol, rtol)
    if kind == "dict":
        if not isinstance(got, dict):
            return _wrong_type(where, got, "a dict")
        missing = sorted(set(node["items"]) - set(map(str, got)))
        extra = sorted(set(map(str, got)) - set(node["items"]))
        if missing or extra:
            return Problem(
                f"{where} keys: missing {missing}, unexpected {extra}", "type"
            )
        pairs = [(sub, got[k], f"{where}[{k!r}]") for k, sub in node["items"].items()]
        return _first(pairs, arrays, atol, rtol)
    if kind == "object":
        for k in node["items"]:
            if not hasattr(got, k):
                text = f"{where} has no attribute {k!r} (expected a {node['cls']})"
                return Problem(text, "type")
        pairs = [
            (sub, getattr(got, k), f"{where}.{k}") for k, sub in node["items"].items()
        ]
        return _first(pairs, arrays, atol, rtol)
    raise ValueError(f"unknown node {kind}")


def _first(pairs, arrays, atol, rtol):
    for sub, got, where in pairs:
        problem = compare(sub, arrays, got, where, atol, rtol)
        if problem:
            return problem
    return None


def _wrong_type(where: str, got, expected: str) -> Problem:
    if got is None:
        hint = " (did you forget the `return`?)" if where == "output" else ""
        return Problem(f"{where} is None, expected {expected}{hint}", "type")
    hint = ""
    if isinstance(got, types.GeneratorType):
        hint = " (a `yield` where `return` was meant, or a generator expression?)"
    elif isinstance(got, np.ndarray):
        hint = " (use torch operations, not numpy)"
    return Problem(
        f"{where} is a {type(got).__name__}, expected {expected}{hint}", "type"
    )


def _compare_number(expected, got, where, atol, rtol):
    if isinstance(got, torch.Tensor) and got.numel() == 1:
        got = got.item()
    if isinstance(got, np.generic):
        got = got.item()
    if not isinstance(got, (bool, int, float)):
        return _wrong_type(where, got, f"a {type(expected).__name__}")
    if isinstance(expected, float):
        ok = math.isclose(got, expected, rel_tol=rtol, abs_tol=atol)
    else:
        ok = got == expected
    return (
        None if ok else Problem(f"{where} is {got!r}, expected {expected!r}", "values")
    )


def _compare_array(node, expected: np.ndarray, got, where, atol, rtol):
    if node["t"] == "tensor":
        if not isinstance(got, torch.Tensor):
            return _wrong_type(where, got, "a torch.Tensor")
        if got.device.type != "cpu":
            return Problem(
                f"{where} is on {got.device}, but the inputs were on the CPU: create "
                "new tensors on the inputs' device (device=x.device), not a fixed one",
                "device",
            )
        dtype = str(got.dtype)
        got = got.detach().float() if got.dtype == torch.bfloat16 else got.detach()
        got = got.numpy()
        if dtype != node["dtype"]:
            hint = ""
            if "float" in node["dtype"]:
                hint = " (make new float tensors with the inputs' dtype: dtype=x.dtype)"
            text = f"{where} has dtype {dtype}, expected {node['dtype']}{hint}"
            return Problem(text, "dtype")
    elif not isinstance(got, np.ndarray):
        return _wrong_type(where, got, "a numpy array")
    elif got.dtype != expected.dtype:
        text = f"{where} has dtype {got.dtype}, expected {expected.dtype}"
        return Problem(text, "dtype")
    if got.shape != expected.shape:
        text = f"{where} has shape {tuple(got.shape)}, expected {tuple(expected.shape)}"
        return Problem(text + _shape_hint(got.shape, expected.shape), "shape")
    return _compare_values(expected, got, where, atol, rtol)


def _shape_hint(got, expected) -> str:
    if sorted(got) == sorted(expected) and len(set(expected)) == len(expected):
        order = next(
            p
            for p in permutations(range(len(got)))
            if tuple(got[i] for i in p) == tuple(expected)
        )
        return (
            ": the right sizes in the wrong order "
            f"(transposed? permute{order} would fix it)"
        )
    return ""


def _compare_values(expected: np.ndarray, got: np.ndarray, where, atol, rtol):
    if expected.dtype.kind not in "fc":
        bad = got != expected
        if not bad.any():
            return None
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        return Problem(
            f"{where}: {int(bad.sum())} of {bad.size} values differ; first at index "
            f"{first}: got {got[first].item()!r}, expected {expected[first].item()!r}",
            "values",
        )
    for bad, what in (
        (np.isnan(got) & ~np.isnan(expected), "NaN"),
        (np.isinf(got) & ~np.isinf(expected), "Inf"),
    ):
        if bad.any():
            first = tuple(int(i) for i in np.argwhere(bad)[0])
            return Problem(
                f"{where} contains {int(bad.sum())} {what} values (first at index "
                f"{first}); expected finite numbers",
                "nan",
            )
    close = np.isclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)
    if close.all():
        return None
    finite = np.isfinite(expected)
    err = np.where(finite, np.abs(got - expected), 0.0)
    first = tuple(int(i) for i in np.argwhere(~close)[0])
    text = (
        f"{where}: {int((~close).sum())} of {close.size} values differ "
        f"(max abs error {err.max():.3g}{_relative(err, expected, finite)}); "
        f"first at index {first}: got {got[first]:.6g}, expected {expected[first]:.6g}"
    )
    return Problem(text + _near_miss(err, expected, finite), "values")


def _relative(err, expected, finite) -> str:
    """``", max rel error x"`` over the entries whose expected value is not ~0."""
    scale = np.abs(np.where(finite, expected, 0.0))
    nonzero = scale > 1e-9 * max(scale.max(), 1e-300)
    if not nonzero.any():
        return ""
    return f", max rel error {(err[nonzero] / scale[nonzero]).max():.3g}"


def _near_miss(err, expected, finite) -> str:
    scale = np.maximum(np.abs(np.where(finite, expected, 0.0)), 1e-3)
    if (err <= NEAR_MISS * scale).all():
        return (
            f"\n   Every value is within {NEAR_MISS:g} of the expected one (relative): "
            "the algorithm is right, a numerical detail differs — an epsilon (a layer "
            "norm's eps, the small constant of a masked mean), a float32 step in a "
            "float64 computation, or another order of operations than AF2's"
        )
    return ""


# --- exceptions ------------------------------------------------------------------------
def _student_frames(exc: BaseException) -> list:
    """The traceback frames outside the checker and the libraries."""
    return [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if not os.path.realpath(f.filename).startswith((GRADER_DIR,) + LIBRARY_DIRS)
    ]


def checker_error(exc: BaseException) -> Problem | None:
    """A message when ``exc`` did not come from student code (a bug of the course)."""
    if _student_frames(exc) or isinstance(exc, (KeyboardInterrupt, SystemExit)):
        return None
    return Problem(
        f"the checker itself failed ({type(exc).__name__}: {exc}); this is a bug of "
        "the course, not of your code: please report it",
        "checker",
    )


def describe_exception(exc: BaseException) -> Problem:
    """One line: what was raised, where in the student's code."""
    frames = _student_frames(exc) or traceback.extract_tb(exc.__traceback__)
    where = ""
    if frames:
        frame = frames[-1]
        where = f" at line {frame.lineno} of {Path(frame.filename).name}"
        if frame.name != "<module>":
            where += f" (in {frame.name})"
    if isinstance(exc, NotImplementedError) and not str(exc):
        return Problem(
            f"not implemented yet: `raise NotImplementedError()`{where}. Replace "
            "`# YOUR CODE HERE` and that line with your code, save the file and run "
            "this cell again.",
            "not_implemented",
        )
    if isinstance(exc, SystemExit):
        text = (
            f"your code called exit() or sys.exit(){where}: a check cannot end Python"
        )
        return Problem(text, "exit")
    if isinstance(exc, KeyboardInterrupt):
        return Problem(f"interrupted (KeyboardInterrupt){where}", "exception")
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if len(message) > 240:
        message = message[:237] + "..."
    return Problem(
        f"your code raised {type(exc).__name__}: {message}{where}", "exception"
    )
