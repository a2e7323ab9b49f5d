"""The table of exercises: one file per reference module with exercises.

``grader/exercises/<module>.py`` defines ``EXERCISES``, a list of
``grader.cases.Exercise`` rows named ``"<module>.<attr>"``, each with its lesson.
A new exercise is a row (and its mistakes); nothing else needs to change.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from ..cases import Exercise


@cache
def modules() -> dict[str, object]:
    """``{reference module name: table module}``, in file-name order."""
    found = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        found[info.name] = importlib.import_module(f"{__name__}.{info.name}")
    return found


def all_exercises() -> dict[str, Exercise]:
    """Every exercise by name, ordered by lesson, then file, then position."""
    rows = [ex for table in modules().values() for ex in table.EXERCISES]
    return {ex.name: ex for ex in sorted(rows, key=lambda ex: ex.lesson)}


def lesson_of(name: str) -> int:
    return get(name).lesson


def get(name: str) -> Exercise:
    exercises = all_exercises()
    if name not in exercises:
        raise KeyError(f"no exercise named {name!r}; known: {', '.join(exercises)}")
    return exercises[name]
