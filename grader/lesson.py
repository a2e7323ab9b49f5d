"""Small helpers the lesson notebooks use around the exercises (torch + numpy only).

``yours_or_reference(fn, ...)`` runs your function for a figure or an observation and,
while it still raises ``NotImplementedError``, the reference one with a one-line
note, so a lesson's figures work before its exercises do. ``data_path`` finds the
files the course ships in ``data/``.
"""

from __future__ import annotations

import importlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def data_path(*parts: str) -> Path:
    """A file of the course's ``data/`` folder."""
    return ROOT.joinpath("data", *parts)


def reference_of(fn):
    """The reference function or class with the same name as ``fn`` (a ``student.*`` one)."""
    module = getattr(fn, "__module__", "") or ""
    name = (
        module.split(".", 1)[1]
        if module.startswith("student.")
        else module.split(".")[-1]
    )
    return getattr(importlib.import_module(f"reference.{name}"), fn.__name__)


def yours_or_reference(fn, *args, **kwargs):
    """``fn(*args, **kwargs)``; if it is not implemented yet, the reference's result."""
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        print(
            f"(your {fn.__name__} is not written yet: this cell uses the reference one)"
        )
        return reference_of(fn)(*args, **kwargs)
