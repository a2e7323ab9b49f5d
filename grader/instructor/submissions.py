"""Gather a class's submissions into nbgrader's ``submitted/<student>/<lesson>/``.

Accepted: a folder or a zip (an LMS download) holding either one folder per student
(Moodle: ``Alice Smith_123_assignsubmission_file_/``) or flat files named
``<student>_<numbers>_<file>`` (Canvas: ``smithalice_123_456_01_features.ipynb``, a
resubmission ``smithalice_123_457_features-1.py``); zips inside are unpacked.

A file is known by its own name: the LMS prefix (the student, ``LATE``, the numbers,
Moodle's ``assignsubmission_file``) and a copy mark (``-1``, `` (2)``, ``Copy of``)
are taken off, and what is left must be exactly ``<module>.py`` of a lesson module
(so ``msa_attention.py`` is never taken for ``attention.py``); of several copies the
highest mark wins. A notebook belongs to the lesson whose checks it contains, else the
one its name names (``Lesson 1.ipynb``), else — when that is unambiguous — the lesson
its student was graded for. Only a lesson's notebook and its own ``student/*.py``
modules are taken; the other modules are the released ones, so a bug of another lesson
never costs points twice, and nothing else from a submission reaches the grader.

Each notebook is *repaired* against the released one before nbgrader sees it: cells
whose nbgrader metadata was stripped (Colab does this) get it back by matching cell id
or source, and released cells that were deleted or edited beyond recognition are put
back. A student with nothing that can be placed still gets a row. Every repair and
every doubt is a flag of the grade report.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

_LMS_NUMBERS = re.compile(r"^(?:late_)?(?:\d+_)+(?:assignsubmission_[a-z]+_)?", re.I)
_COPY_MARK = re.compile(r"(?:-(\d+)| \((\d+)\))$")
_CHECK_CALL = re.compile(r"""check\.exercise\(\s*["']([\w.]+)["']""")
_JUNK = ("__MACOSX", ".ipynb_checkpoints", "__pycache__")


@dataclass
class Placement:
    """One row of the grade report: a student's submission for a lesson (``lesson``
    is "" when nothing of theirs could be placed)."""

    student: str
    lesson: str
    flags: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # lesson modules not submitted


@dataclass
class _File:
    path: Path
    name: str  # its own name: LMS prefix and copy mark taken off
    copy: int  # the copy mark's number (0: none)


def student_id(raw: str) -> str:
    """nbgrader-safe id from a folder or file-name prefix."""
    raw = raw.split("_")[0] if "_" in raw else raw
    return re.sub(r"[^a-z0-9]+", "_", raw.strip().lower()).strip("_") or "unknown"


def own_name(name: str, owner: str) -> tuple[str, int]:
    """``(name without LMS prefix and copy mark, copy number)``; ``owner`` is the raw
    student part of an LMS name ("" for a file in a student's folder)."""
    if owner and name.startswith(owner + "_"):
        name = _LMS_NUMBERS.sub("", name[len(owner) + 1 :], count=1)
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem = stem.removeprefix("Copy of ").strip()
    copy = 0
    if m := _COPY_MARK.search(stem):
        copy = int(m.group(1) or m.group(2))
        stem = stem[: m.start()]
    return stem + dot + ext, copy


def place(
    submissions: Path, course: Path, info: dict, only: str | None = None
) -> list[Placement]:
    """Copy every student's files into ``course/submitted``; one ``Placement`` per row.

    ``info``: the course's ``course.json``; ``only``: grade this lesson only (a zip of
    one LMS assignment), which also claims a lone notebook whatever it is called."""
    lessons = {only: info["lessons"][only]} if only else info["lessons"]
    with tempfile.TemporaryDirectory() as tmp:
        work = _unpack(Path(submissions), Path(tmp) / "in")
        rows = []
        for student, files in sorted(_group(work).items()):
            rows += _place_student(course, info, lessons, student, files)
        return rows


def _unpack(source: Path, work: Path) -> Path:
    if source.is_file():
        work.mkdir(parents=True)
        shutil.copy(source, work / source.name)
    else:
        shutil.copytree(source, work)
    _unzip_all(work)
    inner = list(work.iterdir())
    return inner[0] if len(inner) == 1 and inner[0].is_dir() else work


def _unzip_all(folder: Path) -> None:
    for z in list(folder.rglob("*.zip")):
        target = z.with_suffix("")
        with zipfile.ZipFile(z) as zf:
            for member in zf.namelist():  # no absolute paths or '..'
                if member.startswith("/") or ".." in Path(member).parts:
                    raise ValueError(f"{z}: unsafe path {member!r}")
            zf.extractall(target)
        z.unlink()
        _unzip_all(target)


def _junk(path: Path) -> bool:
    return any(p.startswith(".") or p in _JUNK for p in path.parts)


def _group(folder: Path) -> dict[str, list[_File]]:
    """``{student id: files}`` from per-student folders or prefixed flat files."""
    groups: dict[str, list[_File]] = {}
    entries = [p for p in folder.iterdir() if not _junk(Path(p.name))]
    if (
        len(entries) == 1
        and entries[0].is_dir()
        and not any(p.is_file() for p in entries[0].iterdir())
    ):
        return _group(entries[0])  # a zip with one top folder of student folders
    for entry in sorted(entries):
        owner = entry.name.split("_")[0] if "_" in entry.name else ""
        if entry.is_dir():
            paths = [
                p
                for p in sorted(entry.rglob("*"))
                if p.is_file() and not _junk(p.relative_to(entry))
            ]
        else:
            paths = [entry]
        files = groups.setdefault(student_id(entry.name), [])
        for p in paths:
            files.append(_File(p, *own_name(p.name, owner)))
    return groups


def _newest(files: list[_File]) -> _File:
    """The last copy (``x-2.py`` after ``x-1.py`` after ``x.py``), one in ``student/``
    before one elsewhere."""
    return max(
        files, key=lambda f: (f.copy, "student" in f.path.parts, f.path.stat().st_mtime)
    )


def _read_notebook(path: Path) -> dict | None:
    try:
        nb = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError, OSError):
        return None
    return nb if isinstance(nb, dict) and isinstance(nb.get("cells"), list) else None


def lesson_of_notebook(nb: dict | None, name: str, lessons: dict) -> str | None:
    """The lesson a notebook belongs to: by the checks it contains, else by its name."""
    owner = {ex: lesson for lesson, v in lessons.items() for ex in v["exercises"]}
    votes: Counter = Counter()
    for cell in (nb or {}).get("cells", []):
        meta = cell.get("metadata") or {}
        gid = (meta.get("nbgrader") or {}).get("grade_id", "")
        found = set(_CHECK_CALL.findall(_source(cell)))
        found |= {meta.get("exercise"), gid.removeprefix("check-").replace("-", ".")}
        votes.update(owner[ex] for ex in found if ex in owner)
    if votes:
        return votes.most_common(1)[0][0]
    lowered = name.lower()
    for key in (lambda lesson: lesson, lambda lesson: lesson.split("_", 1)[-1]):
        hits = [lesson for lesson in lessons if key(lesson).lower() in lowered]
        if len(hits) == 1:
            return hits[0]
    numbers = [int(n) for n in re.findall(r"(?<!\d)(\d{1,2})(?!\d)", name)]
    hits = [lesson for lesson in lessons if numbers and int(lesson[:2]) == numbers[0]]
    return hits[0] if len(hits) == 1 else None


def _place_student(course, info, lessons, student, files) -> list[Placement]:
    modules = {m for v in info["lessons"].values() for m in v["modules"]}
    chosen: dict[str, list[_File]] = {}
    for f in files:
        if f.name.endswith(".py") and f.name[:-3] in modules:
            chosen.setdefault(f.name[:-3], []).append(f)
    notebooks: dict[str, list[_File]] = {}
    unknown = []
    for f in files:
        if f.name.endswith(".ipynb"):
            lesson = lesson_of_notebook(_read_notebook(f.path), f.name, lessons)
            if lesson is None:
                unknown.append(f)
            else:
                notebooks.setdefault(lesson, []).append(f)
    worked = {
        lesson
        for lesson, v in lessons.items()
        for m in v["modules"]
        if m in chosen and _differs(_newest(chosen[m]).path, course, lesson, m)
    }
    graded = sorted(set(notebooks) | worked) if len(lessons) > 1 else list(lessons)
    if len(unknown) == 1 and len(graded) == 1 and graded[0] not in notebooks:
        notebooks[graded[0]] = [unknown.pop()]  # the student's only notebook
    flags = [f"notebook '{f.name}' matches no lesson (ignored)" for f in unknown]
    if not graded:
        names = ", ".join(sorted(f.name for f in files)[:8]) or "no files"
        return [Placement(student, "", flags + [f"nothing to grade found ({names})"])]
    rows = []
    for lesson in graded:
        row = Placement(student, lesson, list(flags))
        found = notebooks.get(lesson, [])
        _place_one(course, row, found, chosen, lessons[lesson]["modules"])
        rows.append(row)
    return rows


def _differs(path: Path, course: Path, lesson: str, module: str) -> bool:
    stub = course / "source" / lesson / "student" / f"{module}.py"
    return not stub.exists() or stub.read_bytes() != path.read_bytes()


def _place_one(course, row, notebooks, chosen, modules) -> None:
    dest = course / "submitted" / row.student / row.lesson
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    # The released package; the student's own modules of this lesson on top.
    shutil.copytree(course / "source" / row.lesson / "student", dest / "student")
    for module in modules:
        if module in chosen:
            shutil.copy(_newest(chosen[module]).path, dest / "student" / f"{module}.py")
        else:
            row.missing.append(module)
    release_path = course / "release" / row.lesson / f"{row.lesson}.ipynb"
    release = json.loads(release_path.read_text())
    nb = None
    if notebooks:
        notebook = _newest(notebooks)
        if len(notebooks) > 1:
            row.flags.append(f"{len(notebooks)} notebooks; graded '{notebook.name}'")
        nb = _read_notebook(notebook.path)
        if nb is None:
            row.flags.append("notebook unreadable; the released one stands in")
    else:
        row.flags.append("notebook not found; the released one stands in")
    if nb is None:
        nb = json.loads(json.dumps(release))
    nb, repaired = repair(nb, release)
    row.flags += repaired
    try:
        nb = _normalised(nb, release)
    except Exception as exc:  # not a notebook nbformat accepts, even after repair
        first = str(exc).splitlines()[0]
        row.flags.append(f"notebook invalid ({first}); the released one stands in")
        nb = json.loads(json.dumps(release))
    edited = _edited_locked_cells(nb, release)
    if edited:
        row.flags.append(f"{edited} locked cells edited (nbgrader restores them)")
    text = json.dumps(nb, indent=1, ensure_ascii=False)
    (dest / f"{row.lesson}.ipynb").write_text(text)


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def repair(nb: dict, release: dict) -> tuple[dict, list[str]]:
    """Give ``nb`` back the nbgrader metadata and cells of ``release``; returns the
    flags."""
    flags = []
    by_gid, by_id, by_src = {}, {}, {}
    for i, cell in enumerate(nb.get("cells", [])):
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid:
            by_gid.setdefault(gid, i)
        if cell.get("id"):
            by_id.setdefault(cell["id"], i)
        by_src.setdefault(_source(cell).strip(), i)
    used, restored, inserted = set(), 0, []
    placement = {}  # release index -> submission index (or None)
    for r, rcell in enumerate(release["cells"]):
        meta = rcell["metadata"]["nbgrader"]
        i = by_gid.get(meta["grade_id"])
        if i is None:
            for cand in (
                by_id.get(rcell.get("id")),
                by_src.get(_source(rcell).strip()),
            ):
                if (
                    cand is not None
                    and cand not in used
                    and rcell["cell_type"] == nb["cells"][cand]["cell_type"]
                ):
                    i = cand
                    restored += 1
                    break
        if i is not None and i not in used:
            used.add(i)
            nb["cells"][i].setdefault("metadata", {})["nbgrader"] = meta
        else:
            i = None
        placement[r] = i
    # Put back released cells not found, after the previous released cell found.
    out, last_pos = list(nb["cells"]), -1
    extra = {}
    for r, rcell in enumerate(release["cells"]):
        if placement[r] is not None:
            last_pos = placement[r]
        else:
            extra.setdefault(last_pos, []).append(json.loads(json.dumps(rcell)))
            inserted.append(rcell["metadata"]["nbgrader"]["grade_id"])
    cells = list(extra.get(-1, []))
    for i, cell in enumerate(out):
        cells.append(cell)
        cells.extend(extra.get(i, []))
    nb["cells"] = cells
    if restored:
        flags.append(f"nbgrader metadata restored on {restored} cells")
    if inserted:
        flags.append(f"{len(inserted)} deleted/unrecognised released cells put back")
    return nb, flags


def _edited_locked_cells(nb: dict, release: dict) -> int:
    """How many locked cells differ from the release (nbgrader's own checksum)."""
    import nbformat
    from nbgrader.utils import compute_checksum

    released = {
        c["metadata"]["nbgrader"]["grade_id"]: c["metadata"]["nbgrader"].get("checksum")
        for c in release["cells"]
    }
    edited = 0
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        want = released.get(meta.get("grade_id"))
        if want and meta.get("locked"):
            node = nbformat.from_dict({**cell, "source": _source(cell)})
            edited += compute_checksum(node) != want
    return edited


def _normalised(nb: dict, release: dict) -> dict:
    """A valid nbformat 4.5 notebook: the release's kernel, cell ids, code fields."""
    import nbformat

    nb["nbformat"], nb["nbformat_minor"] = 4, max(5, int(nb.get("nbformat_minor", 5)))
    meta = nb.setdefault("metadata", {})
    for key in ("kernelspec", "language_info"):
        if key in release.get("metadata", {}):
            meta[key] = release["metadata"][key]
    seen = set()
    for i, cell in enumerate(nb["cells"]):
        if not cell.get("id") or cell["id"] in seen:
            cell["id"] = f"submitted-{i:03d}"
        seen.add(cell["id"])
        cell.setdefault("metadata", {})
        if cell.get("cell_type") == "code":
            cell.setdefault("outputs", [])
            cell.setdefault("execution_count", None)
    node = nbformat.from_dict(nb)
    nbformat.validate(node)
    return nb
