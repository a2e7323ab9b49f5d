"""Student stubs from ``reference/``: each solution region becomes ``raise NotImplementedError()``.

A reference module with ``### BEGIN SOLUTION`` / ``### END SOLUTION`` regions becomes
``student/<module>.py`` with every region replaced by ``# YOUR CODE HERE`` and
``raise NotImplementedError()`` at the region's indentation. Absolute imports of
``reference`` become relative, so the student's components use each other. Modules
without exercises that a stub imports become one-line re-exports of the reference
module (so they are the same module object, with the same tables).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
REEXPORT = '''"""Given, not an exercise: the reference module `reference.{name}` itself."""

import sys

from reference import {name} as _reference

sys.modules[__name__] = _reference
'''


class BuildError(Exception):
    pass


def has_regions(text: str) -> bool:
    return any(line.strip() == BEGIN for line in text.splitlines())


def strip_regions(text: str, filename: str) -> str:
    """``text`` with each solution region replaced by the stub."""
    out, inside = [], None
    for number, line in enumerate(text.splitlines(keepends=True), 1):
        marker = line.strip()
        if marker == BEGIN:
            if inside is not None:
                raise BuildError(
                    f"{filename}:{number}: nested {BEGIN} (opened at line {inside})"
                )
            inside = number
            indent = line[: len(line) - len(line.lstrip())]
            out.append(
                f"{indent}# YOUR CODE HERE\n{indent}raise NotImplementedError()\n"
            )
        elif marker == END:
            if inside is None:
                raise BuildError(f"{filename}:{number}: {END} without {BEGIN}")
            inside = None
        elif inside is None:
            out.append(line)
        elif marker.startswith("###") and "SOLUTION" in marker:
            raise BuildError(f"{filename}:{number}: unknown marker {marker!r}")
    if inside is not None:
        raise BuildError(f"{filename}:{inside}: {BEGIN} is never closed")
    return "".join(out)


def relative_imports(text: str) -> str:
    """``from reference.x import y`` -> ``from .x import y``; ``import reference.x as y``
    -> ``from . import x as y``."""
    text = re.sub(
        r"^(\s*)from reference\.(\w+) import", r"\1from .\2 import", text, flags=re.M
    )
    text = re.sub(r"^(\s*)from reference import", r"\1from . import", text, flags=re.M)
    return re.sub(
        r"^(\s*)import reference\.(\w+) as", r"\1from . import \2 as", text, flags=re.M
    )


def sibling_imports(text: str) -> set[str]:
    """Names of sibling modules imported relatively (``from .x import``, ``from . import x``)."""
    found = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    return found


def student_files(
    reference_dir: Path, package_init: str, solved: bool = False
) -> dict[str, str]:
    """``{file name: text}`` of the whole student package (``solved``: every region
    filled in with the reference solution, as a student who finished would have it)."""
    sources = {
        p.stem: p.read_text()
        for p in sorted(reference_dir.glob("*.py"))
        if p.stem != "__init__"
    }
    files = {"__init__.py": package_init}
    needed: list[str] = []
    for name, text in sources.items():
        if has_regions(text):
            text = text if solved else strip_regions(text, f"reference/{name}.py")
            stub = relative_imports(text)
            files[f"{name}.py"] = stub
            needed += sorted(sibling_imports(stub))
    while needed:
        name = needed.pop()
        if f"{name}.py" in files or name not in sources:
            continue
        files[f"{name}.py"] = REEXPORT.format(name=name)
    return dict(sorted(files.items()))
