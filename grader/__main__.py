"""``python -m grader <command>``.

Commands:
  lab             open the course in JupyterLab (what `make course` runs)
  build [--check] regenerate tutorials/ and data/reference_tensors/
                  (--check: exit 1 if stale)
  status [DIR]    which exercises pass for your code
                  (DIR holds student/; default: ./ or tutorials/)
  pack [ZIP]      the course as one zip, for Colab from Google Drive
                  (default: af2-course.zip)
  course DIR      create an nbgrader course (instructor tools)
  autograde ...   grade a class (instructor tools)
  verify ...      re-check one submission outside its notebook (instructor tools)
"""

import importlib
import sys

COMMANDS = {
    "lab": "grader.lab",
    "build": "grader.build",
    "status": "grader.status",
    "pack": "grader.pack",
    # The instructor tools are imported only when used (they need nbgrader).
    "course": "grader.instructor",
    "autograde": "grader.instructor",
    "verify": "grader.instructor",
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(__doc__.strip())
        return 0 if argv[:1] in ([], ["-h"], ["--help"]) else 2
    module = importlib.import_module(COMMANDS[argv[0]])
    if module.__name__ == "grader.instructor":
        return module.main(argv)
    return module.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
