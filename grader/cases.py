"""What an exercise is: one row of the declarative table in ``grader/exercises/``.

A row names the exercise (``"<reference module>.<function or class>[.<method>]"``),
its lesson and points, its toy sizes (visible and hidden), its cases, its tolerances
and its typical mistakes::

    Exercise(
        "attention.mask_bias", lesson=2, points=1,
        sizes=dict(B=2, K=7), hidden=dict(B=3, K=9),
        cases=[Case("holes, padding, a masked row", lambda d: ((d.mask("mask", "B", "K"),), {}))],
        mistakes=[Edit("masked keys get a *negative* bias", "(mask - 1)", "(1 - mask)")],
    )

A case draws its inputs from a ``Draw`` (``grader.inputs``): float64 tensors whose
seeds come from the names of the exercise, the case and the tensor, so the visible
and the hidden run (other sizes, other seeds) of every case are reproducible across
machines and torch versions. A case of a class exercise also gives the constructor
arguments (``init``); the check then fills the parameters by name and calls
``forward`` (or the exercise's method).

A typical mistake is a small edit of the reference solution (``Edit``): the text
``old`` of the exercise's own code becomes ``new``. An edit whose ``old`` text is no
longer in the reference fails loudly (``grader.mistakes``), so the table cannot
drift from the code it checks.
"""

from __future__ import annotations

import importlib
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Build = Callable[[Any], tuple[tuple, dict]]


@dataclass(frozen=True)
class Case:
    """One call: ``build(d)`` returns ``(args, kwargs)``; ``init`` (class exercises)
    overrides entries of the exercise's constructor arguments.

    ``call`` makes the case a property check: ``call(answer, *args, **kwargs)``
    computes the checked output from the answer (the module of a class exercise,
    the function otherwise), e.g. the change of a module's output when every input
    frame moves by one rigid motion, which must be zero."""

    label: str
    build: Build
    init: dict = field(default_factory=dict)
    call: Callable[..., Any] | None = None


@dataclass(frozen=True)
class Edit:
    """A typical mistake: in the exercise's own code, ``old`` becomes ``new`` (each a
    string, or tuples of strings for several replacements). ``diagnosis`` is what a
    student whose output matches it is told."""

    diagnosis: str
    old: str | tuple[str, ...]
    new: str | tuple[str, ...]

    def replacements(self) -> list[tuple[str, str]]:
        old = (self.old,) if isinstance(self.old, str) else self.old
        new = (self.new,) if isinstance(self.new, str) else self.new
        if len(old) != len(new):
            raise ValueError(
                f"{self.diagnosis!r}: {len(old)} old texts, {len(new)} new"
            )
        return list(zip(old, new))


@dataclass(frozen=True)
class Wrap:
    """A typical mistake that is no edit of the code: ``wrap(reference)`` returns a
    callable with the student's signature (a mistake in the output, say)."""

    diagnosis: str
    wrap: Callable[[Any], Any]


Mistake = Edit | Wrap


def edits(table: str) -> list[Edit]:
    """Typical mistakes written as a table. A line at the left margin says what is
    wrong (the diagnosis; further margin lines continue it); each indented line under
    it is one replacement ``old => new`` in the exercise's solution regions, where
    ``\\n`` stands for a newline (write the table as a raw string), nothing after
    ``=>`` deletes ``old``, and a line that ends in ``\\`` goes on on the next::

        edits(r'''
        softmax over the keys (dim=-1), not over the queries
            softmax(logits, dim=-1) => softmax(logits, dim=-2)
        ''')
    """
    # A line that ends in a backslash continues on the next one.
    text = re.sub(r"\s*\\\n\s*", " ", textwrap.dedent(table))
    found: list[tuple[list[str], list[tuple[str, str]]]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if not line[0].isspace():
            if not found or found[-1][1]:
                found.append(([], []))
            found[-1][0].append(line.strip())
        elif " =>" not in line + " " or not found:
            raise ValueError(f"not a diagnosis or an `old => new` line: {line!r}")
        else:
            old, new = (line + " ").split(" =>", 1)
            old, new = (s.strip().replace("\\n", "\n") for s in (old, new))
            found[-1][1].append((old, new))
    if any(not pairs for _, pairs in found):
        raise ValueError("every diagnosis needs at least one `old => new` line")
    return [
        Edit(" ".join(words), tuple(o for o, _ in pairs), tuple(n for _, n in pairs))
        for words, pairs in found
    ]


@dataclass
class Exercise:
    """One row of the table. ``sizes``/``hidden``: toy sizes by SI name for the visible
    and the hidden run; ``init``: constructor arguments of a class exercise (a string
    value that names a size is replaced by the size); ``owns``: further code units
    (``"Class.method"``) this exercise is graded for, e.g. a base-class body shared
    by its subclasses."""

    name: str
    lesson: int
    points: int
    cases: list[Case]
    sizes: dict[str, int] = field(default_factory=dict)
    hidden: dict[str, int] = field(default_factory=dict)
    init: dict[str, Any] | None = None
    mistakes: list[Mistake] = field(default_factory=list)
    atol: float = 1e-8
    rtol: float = 1e-6
    owns: tuple[str, ...] = ()

    @property
    def module(self) -> str:
        """The reference module, e.g. ``"attention"``."""
        return self.name.split(".")[0]

    @property
    def attr(self) -> str:
        """The path inside the module, e.g. ``"Attention"`` or ``"InputEmbedder.relpos"``."""
        return self.name.split(".", 1)[1]

    @property
    def obj_name(self) -> str:
        """The module-level function or class the student writes."""
        return self.attr.split(".")[0]

    @property
    def method(self) -> str | None:
        """For a method exercise, the method the check calls (else ``None``)."""
        parts = self.attr.split(".", 1)
        return parts[1] if len(parts) > 1 else None

    @property
    def is_class(self) -> bool:
        return self.init is not None

    def reference(self):
        """The reference function or class (imported only when needed)."""
        module = importlib.import_module(f"reference.{self.module}")
        return getattr(module, self.obj_name)

    def constructor_args(self, case: Case, sizes: dict[str, int]) -> dict:
        """``init`` updated by the case's, size names replaced by sizes."""
        args = {**(self.init or {}), **case.init}
        return {
            k: sizes.get(v, v) if isinstance(v, str) else v for k, v in args.items()
        }
