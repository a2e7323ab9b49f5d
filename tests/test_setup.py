"""The README's promise: each role installs its own set (students no instructor tools,
`make test` every extra), pip and conda agree, and CI runs the README's test command."""

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
EXTRAS = set(PYPROJECT["project"]["optional-dependencies"])
# requirements file -> the extras its one editable install of the course must name
ROLES = {
    "requirements.txt": {"course"},
    "requirements-instructor.txt": {"course", "instructor"},
    "requirements-test.txt": EXTRAS,
}


def _pip_lines(lines):
    return sorted(
        l.strip() for l in lines if l.strip() and not l.strip().startswith("#")
    )


def _requirements(name: str) -> list[str]:
    return _pip_lines((ROOT / name).read_text().splitlines())


@pytest.mark.parametrize("name", sorted(ROLES))
def test_each_role_installs_its_extras_and_the_pinned_torch(name):
    lines = _requirements(name)
    assert "torch==2.13.0" in lines  # the CPU build; Colab keeps its own
    editable = [l for l in lines if l.startswith("-e ")]
    assert len(editable) == 1 and len(lines) == 2, lines
    extras = set(re.fullmatch(r"-e \.\[([a-z,]+)\]", editable[0]).group(1).split(","))
    assert extras <= EXTRAS and extras == ROLES[name]


def test_students_get_no_instructor_tools():
    extras = PYPROJECT["project"]["optional-dependencies"]
    student = [r for e in ROLES["requirements.txt"] for r in extras[e]]
    student += PYPROJECT["project"]["dependencies"]
    assert not [r for r in student if r.lower().startswith("nbgrader")]


def test_makefile_installs_each_role_from_its_file():
    makefile = (ROOT / "Makefile").read_text()
    for name in ROLES:
        assert f"pip install -r {name}\n" in makefile
    # course -> requirements.txt, instructor -> ...-instructor, test -> ...-test
    for target, stamp in [
        ("course", "COURSE_STAMP"),
        ("instructor", "INSTRUCTOR_STAMP"),
        ("test", "STAMP"),
    ]:
        assert re.search(rf"^{target}: \$\({stamp}\)$", makefile, flags=re.M)
    for stamp, name in [
        ("COURSE_STAMP", "requirements.txt"),
        ("INSTRUCTOR_STAMP", "requirements-instructor.txt"),
        ("STAMP", "requirements-test.txt"),
    ]:
        assert re.search(rf"^\$\({stamp}\): pyproject.toml {name}$", makefile, re.M)
    assert re.search(r"^course: .*\n\t\$\(PYTHON\) -m grader lab$", makefile, re.M)


def test_environment_yml_agrees_with_requirements():
    env = (ROOT / "environment.yml").read_text()
    pip_block = env.split("- pip:", 1)[1]
    conda_pip = _pip_lines(re.findall(r"^\s+- (.+)$", pip_block, flags=re.M))
    assert conda_pip == _requirements("requirements.txt")
    assert re.search(r"python=3\.1[1-9]", env)


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    for command in ("make course", "make instructor", "make test"):
        assert command in readme
    assert re.search(r"^make test$", ci, flags=re.M)


def test_readme_lessons_table_says_which_lessons_exist():
    """A lesson is listed with its notebook exactly when tutorials/ has it; the others
    say "coming"."""
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## The lessons", 1)[1].split("\n\n## ", 1)[0]
    rows = re.findall(r"^\| (\d+) \|.*\| ([^|]+) \|$", table, flags=re.M)
    assert [int(n) for n, _ in rows] == list(range(1, 9))
    shipped = {p.name for p in (ROOT / "tutorials").glob("[0-9][0-9]_*.ipynb")}
    listed = {
        cell.strip().strip("`").removeprefix("tutorials/")
        for _, cell in rows
        if cell.strip() != "coming"
    }
    assert listed == shipped
    for number, cell in rows:
        if cell.strip() != "coming":
            assert cell.strip().startswith(f"`tutorials/{int(number):02d}_")
