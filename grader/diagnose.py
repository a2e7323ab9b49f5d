"""Say what is wrong with a student's output, or with the exception their code raised.

``compare(tree, arrays, got)`` walks the expected output (a tree from
``grader.tensor_io``) beside the student's value and returns the first problem in
words (``None`` if they agree): a ``None`` result, a wrong type, device, shape or
dtype, NaN/Inf, or wrong values with the max abs/rel error and the first index that
differs. ``describe_exception`` turns an exception from student code into one line
that names the student's file and line, never the checker's.
"""

from __future__ import annotations

import math
import os
import sysconfig
import traceback
from itertools import permutations
from pathlib import Path

import numpy as np
import torch

GRADER_DIR = str(Path(__file__).resolve().parent)


class Problem(str):
    """A diagnosis in words that also says what *kind* of problem it is, for tools
    (the instructor's flags): one of ``KINDS``."""

    kind: str = "values"

    def __new__(cls, text: str, kind: str) -> Problem:
        if kind not in KINDS:
            raise ValueError(f"unknown problem kind {kind!r}")
        self = super().__new__(cls, text)
        self.kind = kind
        return self


KINDS = (
    "values",  # wrong numbers
    "shape",
    "dtype",
    "device",
    "nan",  # NaN or Inf where the reference is finite
    "type",  # None, a wrong Python type, wrong items or keys
    "params",  # module parameter names or shapes
    "not_implemented",
    "exception",  # the student's code raised
    "checker",  # a bug of the course
)
LIBRARY_DIRS = tuple(
    str(Path(p).resolve())
    for p in {sysconfig.get_paths()[k] for k in ("stdlib", "purelib", "platlib")}
)


def compare(node: dict, arrays: dict, got, where: str = "output", atol=1e-8, rtol=1e-6):
    """The first difference between ``got`` and the expected ``node``, in words, or None."""
    kind = node["t"]
    if kind in ("tensor", "ndarray"):
        return _compare_array(node, arrays[node["k"]], got, where, atol, rtol)
    if got is None and kind != "none":
        return Problem(f"{where} is None{_forgot_return(where)}", "type")
    if kind == "none":
        if got is None:
            return None
        return Problem(f"{where} should be None, got {_short(got)}", "type")
    if kind in ("int", "float", "bool"):
        return _compare_number(node["v"], got, where, atol, rtol)
    if kind == "str":
        if not isinstance(got, str):
            return Problem(f"{where} is a {type(got).__name__}, expected a str", "type")
        if got == node["v"]:
            return None
        return Problem(
            f"{where} is {_short(got)}, expected {_short(node['v'])}", "values"
        )
    if kind in ("list", "tuple"):
        if not isinstance(got, (list, tuple)):
            return Problem(
                f"{where} is a {type(got).__name__}, expected a {kind} of {len(node['items'])}",
                "type",
            )
        if len(got) != len(node["items"]):
            return Problem(
                f"{where} has {len(got)} items, expected {len(node['items'])}", "type"
            )
        for i, (sub, g) in enumerate(zip(node["items"], got)):
            problem = compare(sub, arrays, g, f"{where}[{i}]", atol, rtol)
            if problem:
                return problem
        return None
    if kind == "dict":
        if not isinstance(got, dict):
            return Problem(
                f"{where} is a {type(got).__name__}, expected a dict", "type"
            )
        missing = sorted(set(node["items"]) - set(map(str, got)))
        extra = sorted(set(map(str, got)) - set(node["items"]))
        if missing or extra:
            return Problem(
                f"{where} keys: missing {missing}, unexpected {extra}", "type"
            )
        for k, sub in node["items"].items():
            problem = compare(sub, arrays, got[k], f"{where}[{k!r}]", atol, rtol)
            if problem:
                return problem
        return None
    if kind == "object":
        for k, sub in node["items"].items():
            if not hasattr(got, k):
                return Problem(
                    f"{where} has no attribute {k!r} (expected a {node['cls']})", "type"
                )
            problem = compare(sub, arrays, getattr(got, k), f"{where}.{k}", atol, rtol)
            if problem:
                return problem
        return None
    raise ValueError(f"unknown node {kind}")


def _forgot_return(where: str) -> str:
    return " (did you forget the `return`?)" if where == "output" else ""


def _short(value, n: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= n else text[: n - 3] + "..."


def _compare_number(expected, got, where, atol, rtol):
    if isinstance(got, torch.Tensor) and got.numel() == 1:
        got = got.item()
    if isinstance(got, np.generic):
        got = got.item()
    if not isinstance(got, (bool, int, float)):
        kind = type(expected).__name__
        return Problem(f"{where} is a {type(got).__name__}, expected a {kind}", "type")
    if isinstance(expected, float):
        ok = math.isclose(got, expected, rel_tol=rtol, abs_tol=atol)
    else:
        ok = got == expected
    return (
        None if ok else Problem(f"{where} is {got!r}, expected {expected!r}", "values")
    )


def _compare_array(node, expected: np.ndarray, got, where, atol, rtol):
    if got is None:
        return Problem(f"{where} is None{_forgot_return(where)}", "type")
    if node["t"] == "tensor":
        if isinstance(got, np.ndarray):
            return Problem(
                f"{where} is a numpy array, expected a torch.Tensor (use torch operations)",
                "type",
            )
        if not isinstance(got, torch.Tensor):
            return Problem(
                f"{where} is a {type(got).__name__}, expected a torch.Tensor", "type"
            )
        if got.device.type != "cpu":
            return Problem(
                f"{where} is on {got.device}, but the inputs were on the CPU: create new "
                "tensors on the inputs' device (device=x.device), not a fixed one",
                "device",
            )
        dtype = str(got.dtype)
        got = (
            got.detach().numpy() if got.dtype != torch.bfloat16 else got.float().numpy()
        )
        if dtype != node["dtype"]:
            return Problem(
                f"{where} has dtype {dtype}, expected {node['dtype']}{_dtype_hint(node['dtype'])}",
                "dtype",
            )
    elif not isinstance(got, np.ndarray):
        return Problem(
            f"{where} is a {type(got).__name__}, expected a numpy array", "type"
        )
    elif got.dtype != expected.dtype:
        return Problem(
            f"{where} has dtype {got.dtype}, expected {expected.dtype}", "dtype"
        )
    if got.shape != expected.shape:
        return Problem(
            f"{where} has shape {tuple(got.shape)}, expected {tuple(expected.shape)}{_shape_hint(got.shape, expected.shape)}",
            "shape",
        )
    return _compare_values(expected, got, where, atol, rtol)


def _dtype_hint(expected: str) -> str:
    if "float" in expected:
        return " (make new float tensors with the inputs' dtype: dtype=x.dtype)"
    return ""


def _shape_hint(got, expected) -> str:
    if sorted(got) == sorted(expected) and len(set(expected)) == len(expected):
        order = next(
            p
            for p in permutations(range(len(got)))
            if tuple(got[i] for i in p) == tuple(expected)
        )
        return f": the right sizes in the wrong order (transposed? permute{order} would fix it)"
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
    finite = np.isfinite(expected)
    bad_nan = np.isnan(got) & ~np.isnan(expected)
    bad_inf = np.isinf(got) & ~np.isinf(expected)
    for bad, what in ((bad_nan, "NaN"), (bad_inf, "Inf")):
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
    err = np.abs(got - expected)
    err = np.where(finite, err, 0.0)
    rel = err / np.maximum(np.abs(expected), 1e-12)
    first = tuple(int(i) for i in np.argwhere(~close)[0])
    return Problem(
        f"{where}: {int((~close).sum())} of {close.size} values differ "
        f"(max abs error {err.max():.3g}, max rel error {rel.max():.3g}); "
        f"first at index {first}: got {got[first]:.6g}, expected {expected[first]:.6g}",
        "values",
    )


def _student_frames(exc: BaseException) -> list:
    """The traceback frames outside the checker and the libraries."""
    return [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if not os.path.realpath(f.filename).startswith((GRADER_DIR,) + LIBRARY_DIRS)
    ]


def _student_frame(exc: BaseException):
    return (_student_frames(exc) or traceback.extract_tb(exc.__traceback__) or [None])[
        -1
    ]


def checker_error(exc: BaseException) -> Problem | None:
    """A message when ``exc`` did not come from student code (a bug of the course)."""
    if _student_frames(exc):
        return None
    return Problem(
        f"the checker itself failed ({type(exc).__name__}: {exc}); this is a bug of "
        "the course, not of your code: please report it",
        "checker",
    )


def describe_exception(exc: BaseException) -> Problem:
    """One line: what was raised, where in the student's code."""
    frame = _student_frame(exc)
    where = ""
    if frame is not None:
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
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if len(message) > 240:
        message = message[:237] + "..."
    return Problem(
        f"your code raised {type(exc).__name__}: {message}{where}", "exception"
    )
