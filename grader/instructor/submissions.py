"""Gather a class's submissions into nbgrader's ``submitted/<student>/<lesson>/``.

Accepted: a folder or a zip (an LMS download) holding either one folder per student
(Moodle: ``Alice Smith_123_assignsubmission_file_/``) or flat files named
``<student>_<anything>_<file>`` (Canvas: ``smithalice_123_456_01_features.ipynb``,
resubmissions ``features-1.py``); zips inside are unpacked. A notebook belongs to the
lesson whose name it contains (Colab downloads may add ``Copy of``); student modules
are recognised by name (``features.py``) wherever they sit. Only the lesson notebook and
``student/*.py`` files are kept: nothing else from a submission reaches the grader.

Each notebook is *repaired* against the released one before nbgrader sees it: cells
whose nbgrader metadata was stripped (Colab does this) get it back by matching cell id
or source, and released cells that were deleted or edited beyond recognition are put
back. Every repair is recorded as a flag for the grade report.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

_RESUBMIT = re.compile(r"-\d+$")


def student_id(raw: str) -> str:
    """nbgrader-safe id from a folder or file-name prefix."""
    raw = raw.split("_")[0] if "_" in raw else raw
    return re.sub(r"[^a-z0-9]+", "_", raw.strip().lower()).strip("_") or "unknown"


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


def _group(folder: Path) -> dict[str, list[Path]]:
    """``{student id: files}`` from per-student folders or prefixed flat files."""
    groups: dict[str, list[Path]] = {}
    entries = [p for p in folder.iterdir() if not p.name.startswith((".", "__MACOSX"))]
    if (
        len(entries) == 1
        and entries[0].is_dir()
        and not any(p.is_file() for p in entries[0].iterdir())
    ):
        return _group(entries[0])  # a zip with one top folder of student folders
    for entry in sorted(entries):
        files = (
            sorted(p for p in entry.rglob("*") if p.is_file())
            if entry.is_dir()
            else [entry]
        )
        groups.setdefault(student_id(entry.name), []).extend(files)
    return groups


def _stem(path: Path) -> str:
    return _RESUBMIT.sub("", path.stem)


def _latest(paths: list[Path]) -> Path:
    """The last resubmission (``x-2.py`` after ``x-1.py`` after ``x.py``)."""

    def rank(p):
        m = re.search(r"-(\d+)$", p.stem)
        return (int(m.group(1)) if m else 0, "student" in p.parts, p.stat().st_mtime)

    return max(paths, key=rank)


def pick_files(files: list[Path], lesson: str, modules: list[str], single_lesson: bool):
    """``(notebook or None, {module file name: path})`` for one student and lesson."""
    notebooks = [f for f in files if f.suffix == ".ipynb" and lesson in f.name]
    if not notebooks and single_lesson:
        notebooks = [f for f in files if f.suffix == ".ipynb"]
    chosen = {}
    for module in modules:
        name = Path(module).stem
        hits = [
            f
            for f in files
            if f.suffix == ".py" and (_stem(f) == name or _stem(f).endswith("_" + name))
        ]
        if hits:
            chosen[Path(module).name] = _latest(hits)
    return (_latest(notebooks) if notebooks else None), chosen


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def repair(nb: dict, release: dict) -> tuple[dict, list[str]]:
    """Give ``nb`` back the nbgrader metadata and cells of ``release``; returns flags."""
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


def _normalised(nb: dict, release: dict) -> dict:
    """A valid nbformat 4.5 notebook: the release's kernel, cell ids, code cell fields."""
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


def place(
    submissions: Path, course: Path, lessons: dict[str, list[str]], modules: list[str]
) -> dict:
    """Copy every student's files into ``course/submitted``; returns ``{(student, lesson): flags}``.

    ``lessons``: ``{lesson: exercise names}``; ``modules``: ``student/<module>.py`` paths."""
    submissions = Path(submissions)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "in"
        if submissions.is_file():
            work.mkdir()
            (work / submissions.name).write_bytes(submissions.read_bytes())
            _unzip_all(work)
            inner = [p for p in work.iterdir()]
            work = inner[0] if len(inner) == 1 and inner[0].is_dir() else work
        else:
            shutil.copytree(submissions, work)
            _unzip_all(work)
        report = {}
        for student, files in _group(work).items():
            for lesson, names in lessons.items():
                needed = {n.split(".")[0] for n in names}
                report[(student, lesson)] = _place_one(
                    course, student, lesson, files, modules, needed, len(lessons) == 1
                )
        return {k: v for k, v in report.items() if v is not None}


def _place_one(course, student, lesson, files, modules, needed, single_lesson):
    notebook, chosen = pick_files(files, lesson, modules, single_lesson)
    if notebook is None and not (single_lesson and chosen):
        return None  # nothing submitted for this lesson
    dest = course / "submitted" / student / lesson
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    stubs = course / "source" / lesson / "student"
    shutil.copytree(
        stubs, dest / "student"
    )  # the given modules; the student's files follow
    release_path = course / "release" / lesson / f"{lesson}.ipynb"
    release = json.loads(release_path.read_text())
    flags = []
    try:
        nb = json.loads(notebook.read_text()) if notebook else None
        if nb is not None and not isinstance(nb.get("cells"), list):
            raise ValueError("no cells")
    except (ValueError, UnicodeDecodeError) as exc:
        flags.append(f"notebook unreadable ({exc}); released notebook graded")
        nb = None
    if notebook is None:
        flags.append("no notebook submitted; released notebook graded")
    if nb is None:
        nb = json.loads(json.dumps(release))
    nb, repaired = repair(nb, release)
    flags += repaired
    try:
        nb = _normalised(nb, release)
    except Exception as exc:  # not a notebook nbformat accepts, even after repair
        flags.append(
            f"notebook invalid ({str(exc).splitlines()[0]}); released notebook graded"
        )
        nb = json.loads(json.dumps(release))
    (dest / f"{lesson}.ipynb").write_text(json.dumps(nb, indent=1, ensure_ascii=False))
    for module in modules:
        name = Path(module).name
        src = chosen.get(name)
        if src is not None:
            shutil.copy(src, dest / "student" / name)
        elif Path(name).stem in needed:
            flags.append(f"{module} not submitted; stub used")
    return flags
