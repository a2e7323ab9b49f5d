"""``python -m reference predict ...`` and ``python -m reference download ...``."""

import sys

USAGE = """usage: python -m reference {predict,download} ...

  predict   predict a structure from an a3m MSA (python -m reference predict --help)
  download  fetch weights or an MSA (python -m reference download --help)"""


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("predict", "download"):
        print(USAGE, file=sys.stderr if argv else sys.stdout)
        return 2 if argv else 0
    if argv[0] == "predict":
        from .predict import main as run
    else:
        from .download import main as run
    return run(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
