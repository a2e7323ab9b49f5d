"""``python -m grader pack [ZIP]``: the whole course in one zip, for Colab without a
public repository.

Put the zip in the top folder of your Google Drive (``MyDrive/af2-course.zip``): a
lesson's set-up cell unpacks it when it cannot clone ``grader.colab.REPO_URL``. The zip
holds the course's files under one folder, ``af2-course/``: in a git checkout the
files git tracks and the new ones it does not ignore, elsewhere every file but caches.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import zipfile
from pathlib import Path

from .colab import COLAB_CLONE, COURSE_ZIP

ROOT = Path(__file__).resolve().parents[1]
# Outside a git checkout: what is never part of the course.
SKIP_DIRS = {
    ".git",
    "__pycache__",
    ".ipynb_checkpoints",
    ".pytest_cache",
    ".hypothesis",
}
SKIP_SUFFIXES = (".pyc", ".egg-info")


def course_files(root: Path = ROOT) -> list[Path]:
    """The files of the course, relative to ``root``, sorted."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root,
            capture_output=True,
            check=True,
        ).stdout.decode()
        names = {Path(n) for n in listed.split("\0") if n}
    except (OSError, subprocess.CalledProcessError):  # no git, or not a checkout
        names = set()
        for folder, dirs, files in os.walk(root):
            dirs[:] = [
                d for d in dirs if d not in SKIP_DIRS and not d.endswith(SKIP_SUFFIXES)
            ]
            for f in files:
                if not f.endswith(SKIP_SUFFIXES):
                    names.add((Path(folder) / f).relative_to(root))
    return sorted(n for n in names if (root / n).is_file())  # deleted but tracked: out


def pack(zip_path: Path, root: Path = ROOT) -> list[Path]:
    """Write the course to ``zip_path``; returns the files packed."""
    files = course_files(root)
    zip_path = Path(zip_path).resolve()
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as z:
        for name in files:
            if (root / name).resolve() != zip_path:
                z.write(root / name, f"{COLAB_CLONE.name}/{name.as_posix()}")
    return files


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m grader pack", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "zip",
        nargs="?",
        default=COURSE_ZIP.name,
        help="the zip to write (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    files = pack(Path(args.zip))
    size = Path(args.zip).stat().st_size / 1e6
    print(
        f"wrote {args.zip} ({len(files)} files, {size:.1f} MB). Put it in the top "
        f"folder of your Google Drive as {COURSE_ZIP.name} and run a lesson's first "
        "cell in Colab: it unpacks the course when it cannot clone the repository."
    )
    return 0
