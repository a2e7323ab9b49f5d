"""Exercises of ``reference/a3m.py`` (lesson 1)."""

from __future__ import annotations

import numpy as np

from ..cases import Case, Exercise, Mutant

LESSON = 1

VISIBLE_ROWS = {
    "insertions inside": "AbcD-eF",
    "insertions first": "xyAB-C",
    "insertions last (dropped)": "AB-Cde",
    "gaps, no insertions": "A--C-",
    "a long insertion": "-abcdefgK-mL",
}


def _random_row(seed: int, n_columns: int) -> str:
    g = np.random.default_rng(seed)
    out = []
    for _ in range(n_columns):
        out += [
            chr(97 + int(c))
            for c in g.integers(0, 26, size=int(g.integers(0, 4) * (g.random() < 0.4)))
        ]
        out.append("-" if g.random() < 0.2 else chr(65 + int(g.integers(0, 26))))
    return "".join(out) + "qr" * int(g.integers(0, 2))


def _row_cases(hidden: bool) -> list[Case]:
    if hidden:
        rows = {f"random row {i}": _random_row(101 + i, 9 + 4 * i) for i in range(4)}
        rows["only a column"] = "W"
    else:
        rows = VISIBLE_ROWS
    return [Case(label, lambda row=row: ((row,), {})) for label, row in rows.items()]


def _count_after(row: str):
    """The count goes to the column *before* the insertion."""
    aligned, deletions = [], []
    for letter in row:
        if letter.islower():
            if deletions:
                deletions[-1] += 1
        else:
            aligned.append(letter)
            deletions.append(0)
    return "".join(aligned), deletions


def _never_reset(row: str):
    """A running total instead of a count per column."""
    aligned, deletions, count = [], [], 0
    for letter in row:
        if letter.islower():
            count += 1
        else:
            aligned.append(letter)
            deletions.append(count)
    return "".join(aligned), deletions


def _gaps_as_insertions(row: str):
    """``isupper()`` decides what is aligned, so gaps are counted as insertions."""
    aligned, deletions, count = [], [], 0
    for letter in row:
        if not letter.isupper():
            count += 1
        else:
            aligned.append(letter)
            deletions.append(count)
            count = 0
    return "".join(aligned), deletions


def _keep_insertions(row: str):
    """Insertions counted but not removed from the aligned row."""
    aligned, deletions, count = [], [], 0
    for letter in row:
        aligned.append(letter)
        if letter.islower():
            count += 1
        else:
            deletions.append(count)
            count = 0
    return "".join(aligned), deletions


def _trailing_kept(row: str):
    """Insertions after the last column give one more count."""
    aligned, deletions, count = [], [], 0
    for letter in row:
        if letter.islower():
            count += 1
        else:
            aligned.append(letter)
            deletions.append(count)
            count = 0
    return "".join(aligned), deletions + ([count] if count else [])


EXERCISES = [
    Exercise(
        "a3m.split_insertions",
        points=2,
        cases=_row_cases,
        mutants=[
            Mutant(
                "the count is given to the column *before* the insertion; it belongs to the next aligned column",
                _count_after,
            ),
            Mutant(
                "the insertion count is never reset to 0 after an aligned column",
                _never_reset,
            ),
            Mutant(
                "gaps '-' are treated as insertions (test `islower()`, not `not isupper()`)",
                _gaps_as_insertions,
            ),
            Mutant(
                "lower-case letters are counted but left in the aligned sequence",
                _keep_insertions,
            ),
            Mutant(
                "insertions after the last aligned column should be dropped, not counted",
                _trailing_kept,
            ),
        ],
    ),
]
