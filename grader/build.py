"""``python -m grader build [--check]``: regenerate everything students receive.

- ``tutorials/student/*.py``: stubs of the reference modules with exercises
  (``grader.stubs``) and the package ``__init__`` (``grader/student_package.py``);
- ``tutorials/NN_name.ipynb``: the lesson notebooks (``grader.notebooks``);
- ``data/reference_tensors/<module>.npz``: expected outputs of the visible checks and
  of each exercise's typical mistakes (``grader.check.compute_expected``).

Output is deterministic, so ``--check`` (which writes nothing) exits 1 and names every
file that is stale, missing or no longer generated.
"""

from __future__ import annotations

import sys
from pathlib import Path

from . import exercises
from .notebooks import notebook_text
from .stubs import BuildError, student_files
from .tensor_io import load_npz, npz_bytes, same_content

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = ROOT / "tutorials"
STUDENT = TUTORIALS / "student"
TENSORS = ROOT / "data" / "reference_tensors"


def generate(root: Path = ROOT) -> dict[Path, bytes]:
    """``{path: content}`` of every generated file."""
    from .check import compute_expected

    out: dict[Path, bytes] = {}
    init = (Path(__file__).parent / "student_package.py").read_text()
    for name, text in student_files(root / "reference", init).items():
        out[root / "tutorials" / "student" / name] = text.encode()
    registry = exercises.all_exercises()
    for solution in sorted((root / "solutions").glob("[0-9][0-9]_*.py")):
        text = notebook_text(solution, registry, exercises.lesson_of)
        out[root / "tutorials" / f"{solution.stem}.ipynb"] = text.encode()
    for module, reg in exercises.modules().items():
        arrays = {}
        for ex in reg.EXERCISES:
            try:
                ex.reference()
            except (ImportError, AttributeError) as exc:
                raise BuildError(
                    f"grader/exercises/{module}.py: {ex.name}: {exc}"
                ) from None
            arrays.update(compute_expected(ex, hidden=False))
        out[root / "data" / "reference_tensors" / f"{module}.npz"] = npz_bytes(arrays)
    return out


def owned(root: Path = ROOT) -> list[Path]:
    """Files in the generated places now (a generated file no longer produced is stale)."""
    return sorted(
        list((root / "tutorials" / "student").glob("*.py"))
        + list((root / "tutorials").glob("*.ipynb"))
        + list((root / "data" / "reference_tensors").glob("*.npz"))
    )


def _up_to_date(path: Path, content: bytes) -> bool:
    if not path.exists():
        return False
    if path.read_bytes() == content:
        return True
    if path.suffix == ".npz":
        import io

        import numpy as np

        with np.load(io.BytesIO(content), allow_pickle=False) as new:
            return same_content(load_npz(path), {k: new[k] for k in new.files})
    return False


def build(check: bool = False, root: Path = ROOT) -> list[str]:
    """Regenerate (or with ``check`` only compare); returns the stale paths."""
    files = generate(root)
    stale = [p for p, content in files.items() if not _up_to_date(p, content)]
    extra = [p for p in owned(root) if p not in files]
    if not check:
        for path in stale:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(files[path])
        for path in extra:
            path.unlink()
    return [str(p.relative_to(root)) for p in sorted(stale + extra)]


def main(argv: list[str]) -> int:
    check = "--check" in argv
    try:
        changed = build(check=check)
    except BuildError as exc:
        print(f"build failed: {exc}", file=sys.stderr)
        return 2
    if check and changed:
        print("stale generated files (run `python -m grader build`):", file=sys.stderr)
        for path in changed:
            print(f"  {path}", file=sys.stderr)
        return 1
    verb = "up to date" if check else f"rebuilt {len(changed)} file(s)"
    print(f"grader build: {verb}")
    for path in changed:
        print(f"  {path}")
    return 0
