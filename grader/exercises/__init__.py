"""The exercise registry: one file per reference module with exercises.

``grader/exercises/<module>.py`` defines ``LESSON`` (the lesson number) and
``EXERCISES`` (a list of ``grader.cases.Exercise`` named ``"<module>.<attr>"``).
A new lesson adds a file here; nothing else needs to change.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from ..cases import Exercise


@cache
def modules() -> dict[str, object]:
    """``{reference module name: registry module}``, in file-name order."""
    found = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        found[info.name] = importlib.import_module(f"{__name__}.{info.name}")
    return found


def all_exercises() -> dict[str, Exercise]:
    """Every exercise by name, ordered by lesson then file then position."""
    regs = sorted(modules().values(), key=lambda m: m.LESSON)
    return {ex.name: ex for reg in regs for ex in reg.EXERCISES}


def lesson_of(name: str) -> int:
    return modules()[name.split(".")[0]].LESSON


def get(name: str) -> Exercise:
    exercises = all_exercises()
    if name not in exercises:
        raise KeyError(f"no exercise named {name!r}; known: {', '.join(exercises)}")
    return exercises[name]
