"""The README's table "SI algorithm -> file: class", generated from the docstrings.

Each class or function of ``reference/`` whose docstring cites ``SI Algorithm N
"Name".`` gives one row, so the table cannot drift from the code. ``python -m
grader.algorithm_table`` rewrites the table between the README's markers; the test
suite fails when the committed README is stale.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- algorithm table: begin -->", "<!-- algorithm table: end -->"
CITATION = re.compile(r'SI Algorithms? ([\d, –-]+) "([^"]+)"')


def rows(reference_dir: Path = ROOT / "reference") -> list[tuple[int, str, str, str]]:
    """(algorithm number, SI name, file, class or function) for every cited one."""
    found = []
    for path in sorted(reference_dir.glob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in tree.body:
            if not isinstance(node, (ast.ClassDef, ast.FunctionDef)):
                continue
            match = CITATION.search(ast.get_docstring(node) or "")
            if match:
                first = int(re.findall(r"\d+", match.group(1))[0])
                found.append(
                    (
                        first,
                        match.group(1).strip(),
                        match.group(2),
                        f"{path.name}: {node.name}",
                    )
                )
    return sorted(found)


def table() -> str:
    lines = ["| SI algorithm | name | file: class or function |", "|---|---|---|"]
    lines += [f"| {num} | {name} | `{where}` |" for _, num, name, where in rows()]
    return "\n".join(lines)


def render(readme: str) -> str:
    """The README text with the table between the markers replaced."""
    head, rest = readme.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{table()}\n{END}{tail}"


def main() -> int:
    path = ROOT / "README.md"
    path.write_text(render(path.read_text()))
    print(f"wrote the algorithm table of {path} ({len(rows())} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
