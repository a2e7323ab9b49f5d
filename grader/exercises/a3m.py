"""Exercises of ``reference/a3m.py`` (lesson 1)."""

from ..cases import Case, Edit, Exercise, edits
from ..inputs import Draw

ROWS = {
    "insertions inside": "AbcD-eF",
    "insertions first": "xyAB-C",
    "insertions last (dropped)": "AB-Cde",
    "gaps, no insertions": "A--C-",
    "a long insertion": "-abcdefgK-mL",
}


def _random_row(d: Draw, n_columns: int) -> str:
    """Upper-case letters and gaps, with runs of 0-3 insertions and maybe a tail."""
    g, out = d.rng("row"), []
    for _ in range(n_columns):
        run = int(g.integers(0, 4) * (g.random() < 0.4))
        out += [chr(97 + int(c)) for c in g.integers(0, 26, size=run)]
        out.append("-" if g.random() < 0.2 else chr(65 + int(g.integers(0, 26))))
    return "".join(out) + "qr" * int(g.integers(0, 2))


def _row(label: str, n_columns: int) -> Case:
    """A fixed row (visible) or a random one (hidden)."""
    return Case(
        label, lambda d: ((_random_row(d, n_columns) if d.hidden else ROWS[label],), {})
    )


EXERCISES = [
    Exercise(
        "a3m.split_insertions",
        lesson=1,
        points=2,
        cases=[_row(label, 9 + 4 * i) for i, label in enumerate(ROWS)],
        mistakes=edits(r"""
        an insertion's count goes to the aligned column *after* it, not before
            count += 1 => if deletions: deletions[-1] += 1
        reset the insertion count to 0 after each aligned column
            deletions.append(count)\n            count = 0 => deletions.append(count)
        gaps '-' are aligned columns, not insertions: test `islower()`
            if letter.islower(): => if not letter.isupper():
        lower-case letters are counted and removed from the aligned sequence
            count += 1 => count += 1\n            aligned.append(letter)
        """)
        + [
            Edit(
                "insertions after the last aligned column are dropped, not counted",
                (RESET := "            count = 0\n"),  # inside the loop
                RESET + "    if count:\n        deletions.append(count)\n",
            )
        ],
    ),
]
