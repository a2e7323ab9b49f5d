"""A two-exercise stand-in for ``grader.check`` (same API: ``exercise``, ``run``,
``hidden=True``) so the nbgrader machinery is tested fast and apart from the lessons."""

import importlib
from dataclasses import dataclass


class CheckFailed(AssertionError):
    pass


@dataclass
class Result:
    name: str
    passed: bool
    message: str
    points: int


# name: (points, visible cases, hidden cases); a case is (args, expected)
CASES = {
    "mini.add": (2, [((2, 3), 5)], [((10, -4), 6), ((0.5, 0.25), 0.75)]),
    "mini.scale": (3, [((2, [1, 2]), [2, 4])], [((-3, [4, 0, 2]), [-12, 0, -6])]),
}


def run(name, fn=None, hidden=False):
    points, visible, secret = CASES[name]
    try:
        if fn is None:
            fn = getattr(importlib.import_module("student.mini"), name.split(".")[1])
        for args, want in secret if hidden else visible:
            got = fn(*args)
            if got != want:
                return Result(
                    name,
                    False,
                    f"✗ {name}{args} gave {got!r}, expected {want!r}",
                    points,
                )
    except Exception as exc:
        return Result(name, False, f"✗ {name}: {type(exc).__name__}: {exc}", points)
    return Result(name, True, f"✓ {name}: passed", points)


def exercise(name, fn=None, hidden=False):
    result = run(name, fn, hidden)
    if not result.passed:
        raise CheckFailed(result.message) from None
    print(result.message)
    return result
