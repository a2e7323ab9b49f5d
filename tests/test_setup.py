"""The README's promise: pip and conda set-ups install the same things, and CI runs
the README's test command."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _pip_lines(lines):
    return sorted(
        l.strip() for l in lines if l.strip() and not l.strip().startswith("#")
    )


def test_environment_yml_agrees_with_requirements():
    req = _pip_lines((ROOT / "requirements.txt").read_text().splitlines())
    env = (ROOT / "environment.yml").read_text()
    pip_block = env.split("- pip:", 1)[1]
    conda_pip = _pip_lines(re.findall(r"^\s+- (.+)$", pip_block, flags=re.M))
    assert conda_pip == req
    assert re.search(r"python=3\.1[1-9]", env)


def test_torch_is_pinned_to_the_cpu_build_everywhere():
    assert "torch==2.13.0" in (ROOT / "requirements.txt").read_text()
    assert "torch==2.13.0" in (ROOT / "environment.yml").read_text()


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and "make course" in readme
    assert re.search(r"^make test$", ci, flags=re.M)
