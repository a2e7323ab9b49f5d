"""Typical mistakes as code: the reference module with one small edit, run as a module
of its own.

``mutant(ex, i)`` applies the i-th ``Edit`` of exercise ``ex`` to the source of
``reference/<module>.py`` — only inside the code units ``ex`` is graded for — and
executes the result as a fresh module beside the reference (its relative imports
are the reference's). Each ``old`` text must occur exactly once there: when the
reference changes, the table fails loudly instead of testing nothing.
"""

from __future__ import annotations

import importlib
import types
from functools import cache

from . import exercises
from .cases import Edit, Exercise
from .isolation import owned_units, source_of
from .stubs import BEGIN, END


class MistakeError(Exception):
    """An edit that no longer fits the reference code."""


def edited_source(ex: Exercise, edit: Edit) -> str:
    """The module source with ``edit`` applied inside the solution regions of the
    code units ``ex`` is graded for."""
    lines = source_of(ex).splitlines(keepends=True)
    # The source as alternating pieces: outside, region, outside, region, ...
    pieces, regions, at = [], [], 0
    for start, end in solution_regions(ex):
        pieces.append("".join(lines[at : start - 1]))
        regions.append(len(pieces))
        pieces.append("".join(lines[start - 1 : end]))
        at = end
    pieces.append("".join(lines[at:]))
    # Every old text is found in the reference first, so that replacements can swap
    # two lines (each is marked, then the marks are replaced).
    replacements = edit.replacements()
    for n, (old, _) in enumerate(replacements):
        found = [i for i in regions for _ in range(pieces[i].count(old))]
        if len(found) != 1:
            raise MistakeError(
                f"grader/exercises/{ex.module}.py: {ex.name}, mistake "
                f"{edit.diagnosis!r}: {old!r} occurs {len(found)} times in the "
                f"exercise's solution regions (reference/{ex.module}.py), expected once"
            )
        pieces[found[0]] = pieces[found[0]].replace(old, f"\0{n}\0")
    text = "".join(pieces)
    for n, (_, new) in enumerate(replacements):
        text = text.replace(f"\0{n}\0", new)
    return text


def solution_regions(ex: Exercise) -> list[tuple[int, int]]:
    """Line spans (1-based, inclusive, markers excluded) of ``ex``'s solution regions."""
    lines = source_of(ex).splitlines()
    spans, start = [], None
    for number, line in enumerate(lines, 1):
        if line.strip() == BEGIN:
            start = number + 1
        elif line.strip() == END and start is not None:
            spans.append((start, number - 1))
            start = None
    units = owned_units(ex, exercises.all_exercises())
    return [(s, e) for s, e in spans if any(u.start <= s <= u.end for u in units)]


@cache
def mutant(name: str, index: int):
    """The function or class of exercise ``name`` with its ``index``-th mistake."""
    ex = exercises.get(name)
    mistake = ex.mistakes[index]
    if not isinstance(mistake, Edit):
        return mistake.wrap(ex.reference())
    reference = importlib.import_module(f"reference.{ex.module}")
    module = types.ModuleType(reference.__name__)
    module.__dict__.update(__package__="reference", __file__=reference.__file__)
    code = compile(
        edited_source(ex, mistake), f"<mistake: {mistake.diagnosis}>", "exec"
    )
    exec(code, module.__dict__)
    return getattr(module, ex.obj_name)
