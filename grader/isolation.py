"""Which code each exercise is graded for, and running exactly that code.

A *code unit* is a module-level function or a method (``"Class.method"``) of a
reference module. A unit with a solution region belongs to one exercise: the one
whose path is its longest prefix (``"Attention"`` owns ``"Attention.forward"``;
``"InputEmbedder.relpos"`` owns itself), or the one that lists it in ``owns`` (a
base-class body shared by subclasses). ``check_ownership`` asserts that every
region has exactly one owner, so a bug costs its points once.

While a check runs the student's code for exercise E, ``isolated`` makes everything
else the reference: in the student's module every other function, class and sibling
module is the reference one, and every method in the student class's hierarchy that
belongs to another exercise (an inherited body, say) is the reference method.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import inspect
import sys
import types
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .stubs import BEGIN

REFERENCE = Path(__file__).resolve().parents[1] / "reference"


@dataclass(frozen=True)
class Unit:
    """A function or method of a reference module: its lines (1-based, inclusive)."""

    qualname: str
    start: int
    end: int
    regions: int  # solution regions inside


@cache
def units(module: str) -> dict[str, Unit]:
    """The functions and methods of ``reference/<module>.py`` by qualified name."""
    path = REFERENCE / f"{module}.py"
    text = path.read_text()
    begins = [i for i, line in enumerate(text.splitlines(), 1) if line.strip() == BEGIN]
    found: dict[str, Unit] = {}

    def add(node, qualname):
        start = min([node.lineno] + [d.lineno for d in node.decorator_list])
        inside = sum(node.lineno <= b <= node.end_lineno for b in begins)
        found[qualname] = Unit(qualname, start, node.end_lineno, inside)

    for node in ast.parse(text).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            add(node, node.name)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    add(item, f"{node.name}.{item.name}")
    return found


def owner(module: str, qualname: str, registry: dict) -> str | None:
    """The exercise graded for unit ``qualname`` of ``module`` (``None``: given code)."""
    listed = [
        e.name for e in registry.values() if e.module == module and qualname in e.owns
    ]
    if listed:
        return listed[0]
    best = None
    for ex in registry.values():
        if ex.module == module and (
            qualname == ex.attr or qualname.startswith(ex.attr + ".")
        ):
            if best is None or len(ex.attr) > len(best.attr):
                best = ex
    return best.name if best is not None else None


def owned_units(ex, registry: dict) -> list[Unit]:
    """The units exercise ``ex`` is graded for, in source order."""
    return [
        u
        for q, u in units(ex.module).items()
        if owner(ex.module, q, registry) == ex.name
    ]


def check_ownership(registry: dict) -> list[str]:
    """Problems with the table: regions nobody is graded for, or graded twice (via
    ``owns``), exercises graded for no region, ``owns`` naming no unit."""
    problems = []
    for module in sorted({ex.module for ex in registry.values()}):
        for q, unit in units(module).items():
            listed = [
                e.name for e in registry.values() if e.module == module and q in e.owns
            ]
            if len(listed) > 1:
                problems.append(f"reference/{module}.py: {q} is owned by {listed}")
            if unit.regions and owner(module, q, registry) is None:
                problems.append(
                    f"reference/{module}.py: {q} has a solution region but no exercise"
                )
    for ex in registry.values():
        for q in ex.owns:
            if q not in units(ex.module):
                problems.append(
                    f"{ex.name}: owns {q!r}, which is not in reference/{ex.module}.py"
                )
        if not any(u.regions for u in owned_units(ex, registry)):
            problems.append(
                f"{ex.name}: no solution region of reference/{ex.module}.py is its own"
            )
    return problems


# --- running one exercise's code with everything else from the reference ----------------
def _reference_module(module_name: str):
    """``reference.<x>`` for a module ``<package>.<x>`` of a student package, else None."""
    package, _, name = module_name.rpartition(".")
    if not package or package == "reference" or not (REFERENCE / f"{name}.py").exists():
        return None
    return importlib.import_module(f"reference.{name}")


def _rebound(function, cls):
    """``function`` (a reference method) with ``super()`` resolving from ``cls``."""
    code = function.__code__
    if "__class__" not in code.co_freevars:
        return function
    cells = tuple(
        types.CellType(cls) if name == "__class__" else cell
        for name, cell in zip(code.co_freevars, function.__closure__)
    )
    new = types.FunctionType(
        code, function.__globals__, function.__name__, function.__defaults__, cells
    )
    new.__kwdefaults__ = function.__kwdefaults__
    return new


def _swaps(obj, ex, registry: dict) -> list[tuple[object, str, object]]:
    """``(namespace, name, reference value)`` to set while ``ex`` is checked."""
    module = sys.modules.get(getattr(obj, "__module__", "") or "")
    if module is None or _reference_module(module.__name__) is None:
        return []  # the reference itself, or code outside a student package
    package = module.__name__.rpartition(".")[0]
    mine = {u.qualname for u in owned_units(ex, registry)} | {ex.obj_name}
    swaps = []
    for name, value in vars(module).items():
        ref = None
        if isinstance(value, types.ModuleType):
            if value.__name__.startswith(package + "."):
                ref = _reference_module(value.__name__)
        elif isinstance(value, (type, types.FunctionType)):
            home = getattr(value, "__module__", "") or ""
            same = home == module.__name__ and value.__qualname__ in mine
            if home.startswith(package + ".") and not same:
                ref_module = _reference_module(home)
                ref = (
                    getattr(ref_module, value.__qualname__, None)
                    if ref_module
                    else None
                )
        if ref is not None and ref is not value:
            swaps.append((module.__dict__, name, ref))
    if isinstance(obj, type):
        for cls in obj.__mro__:
            ref_module = _reference_module(cls.__module__)
            if ref_module is None:
                continue
            ref_cls = getattr(ref_module, cls.__qualname__, None)
            for name, value in vars(cls).items():
                q = f"{cls.__qualname__}.{name}"
                other = owner(ref_module.__name__.split(".")[-1], q, registry)
                ref_fn = vars(ref_cls).get(name) if ref_cls is not None else None
                if (
                    isinstance(value, types.FunctionType)
                    and other is not None
                    and other != ex.name
                    and isinstance(ref_fn, types.FunctionType)
                ):
                    swaps.append((cls, name, _rebound(ref_fn, cls)))
    return swaps


@contextlib.contextmanager
def isolated(obj, ex, registry: dict):
    """While inside, ``obj`` (the student's answer to ``ex``) runs with only ``ex``'s
    code from the student: see the module docstring."""
    swaps = _swaps(obj, ex, registry)
    saved = []
    for space, name, value in swaps:
        old = space[name] if isinstance(space, dict) else vars(space)[name]
        saved.append((space, name, old))
        if isinstance(space, dict):
            space[name] = value
        else:
            setattr(space, name, value)
    try:
        yield
    finally:
        for space, name, old in reversed(saved):
            if isinstance(space, dict):
                space[name] = old
            else:
                setattr(space, name, old)


def is_reference(obj, ex) -> bool:
    """Whether ``obj`` is the reference implementation of ``ex`` itself."""
    try:
        return obj is ex.reference()
    except (ImportError, AttributeError):
        return False


def source_of(ex) -> str:
    """The source text of ``reference/<module>.py``."""
    return inspect.getsource(importlib.import_module(f"reference.{ex.module}"))
