"""The project's own promises: the README's test command is what CI runs, and requirements are pinned."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    """The indented command lines of the README's 'Set up' section."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return [line.strip() for line in section.splitlines() if line.startswith("    ")]


def test_readme_has_exactly_two_setup_commands_and_ci_runs_the_test_one():
    run_app, run_tests = readme_commands()
    assert run_app.endswith("streamlit run app.py") and "requirements.txt" in run_app
    assert run_tests in (ROOT / ".ci" / "run").read_text().splitlines()


def test_runtime_requirements_are_pinned():
    lines = [line for line in (ROOT / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines and all(re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][0-9A-Za-z.]*", line) for line in lines)
