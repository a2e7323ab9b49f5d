"""What an exercise is: cases (deterministic inputs), mutants (typical mistakes), points.

Each reference module with exercises has one file ``grader/exercises/<module>.py``
that lists its exercises::

    LESSON = 1
    EXERCISES = [
        Exercise("features.one_hot_msa", points=1, cases=_one_hot_cases,
                 mutants=[Mutant("21 classes instead of 23", _one_hot_21)]),
    ]

``cases(hidden)`` returns a list of ``Case`` (a function) or ``ModuleCase`` (an
``nn.Module`` class). Inputs are rebuilt for every call, so a student function that
changes its inputs in place cannot spoil the next run, and they come from
``inputs(seed)`` helpers below (numpy's PCG64 stream, stable across torch versions).
``hidden=True`` gives other sizes and seeds (the instructor's hidden tests).

A mutant is a callable with the student's signature that makes one typical mistake,
usually the reference with one thing changed (``patched`` swaps a helper during the
call). Build time saves each mutant's outputs, so a wrong answer that matches one is
diagnosed by name; the test suite asserts that every mutant is caught.
"""

from __future__ import annotations

import contextlib
import importlib
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch


@dataclass
class Case:
    """One call ``fn(*args, **kwargs)``; ``build()`` returns ``(args, kwargs)``."""

    label: str
    build: Callable[[], tuple[tuple, dict]]


@dataclass
class ModuleCase:
    """``cls(**init)`` with deterministic float64 parameters, then ``module(*args, **kwargs)``."""

    label: str
    init: dict
    build: Callable[[], tuple[tuple, dict]]
    seed: int = 0


@dataclass
class Mutant:
    """A typical mistake: ``fn`` has the student's signature; ``diagnosis`` is shown when
    a student's output matches it. ``diagnose=False``: used by the tests only."""

    diagnosis: str
    fn: Callable
    diagnose: bool = True


@dataclass
class Exercise:
    """``name`` = ``"<reference module>.<function or class>"``."""

    name: str
    points: int
    cases: Callable[[bool], list]
    mutants: list[Mutant] = field(default_factory=list)
    atol: float = 1e-8
    rtol: float = 1e-6
    hint: str = ""

    @property
    def module(self) -> str:
        return self.name.split(".")[0]

    @property
    def attr(self) -> str:
        return self.name.split(".", 1)[1]

    def reference(self):
        """The reference function or class (imported only when needed)."""
        return getattr(importlib.import_module(f"reference.{self.module}"), self.attr)


# --- deterministic inputs ---------------------------------------------------------
def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def randn(seed: int, *shape: int, scale: float = 1.0) -> torch.Tensor:
    """Standard-normal float64 tensor from a fixed seed."""
    return torch.from_numpy(rng(seed).standard_normal(shape) * scale)


def rand(seed: int, *shape: int) -> torch.Tensor:
    """Uniform [0, 1) float64 tensor from a fixed seed."""
    return torch.from_numpy(rng(seed).random(shape))


def randint(seed: int, high: int, *shape: int, low: int = 0) -> torch.Tensor:
    """int64 tensor of integers in [low, high) from a fixed seed."""
    return torch.from_numpy(rng(seed).integers(low, high, size=shape, dtype=np.int64))


def mask(seed: int, *shape: int, p_keep: float = 0.8) -> torch.Tensor:
    """float64 0/1 mask with at least one 1 in every last-axis row."""
    m = (rng(seed).random(shape) < p_keep).astype(np.float64)
    m[..., 0] = 1.0
    return torch.from_numpy(m)


def init_parameters(module: torch.nn.Module, seed: int) -> None:
    """Fill every parameter with deterministic values (float64), keyed by its name, so
    the student's module and the reference get the same ones whatever their order."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            g = rng(seed * 7919 + zlib.crc32(name.encode()))
            fan_in = p.shape[-1] if p.dim() > 1 else 4
            values = g.standard_normal(tuple(p.shape)) / np.sqrt(fan_in)
            p.copy_(torch.from_numpy(values).to(p.dtype))


# --- mutants ------------------------------------------------------------------------
@contextlib.contextmanager
def swapped(module, attr: str, replacement):
    """Temporarily replace ``module.attr``."""
    old = getattr(module, attr)
    setattr(module, attr, replacement)
    try:
        yield
    finally:
        setattr(module, attr, old)


def patched(fn: Callable, module, attr: str, replacement) -> Callable:
    """``fn`` run with ``module.attr`` replaced: a mistake inside a helper of ``fn``."""

    def mutant(*args, **kwargs):
        with swapped(module, attr, replacement):
            return fn(*args, **kwargs)

    return mutant


def mapped(fn: Callable, transform: Callable[[Any], Any]) -> Callable:
    """``transform(fn(...))``: a mistake in the output (transposed, wrong scale...)."""
    return lambda *args, **kwargs: transform(fn(*args, **kwargs))
