"""The CI workflow files that protocolkit init writes: they parse, name only real commands, and their steps pass.

The steps are run locally, in order, on a freshly scaffolded repository (a git repository
with one commit, so the diff step has a revision to compare with). Two steps are not run
here: installing protocolkit (the test runs the installed one) and posting the report on
the merge request (it needs the forge's service); the test checks they are the only ones.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from protocolkit.cli.main import _parser
from protocolkit.lifecycle.repository import init_repository

NOT_RUN_HERE = (re.compile(r"^pip install "), re.compile(r"^gh pr comment "))


@pytest.fixture(scope="module")
def repository(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scaffold") / "our-protocol"
    init_repository(folder, "blank", title="Our partnership")
    for argv in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "first version"]):
        subprocess.run(["git", "-c", "user.name=Test", "-c", "user.email=test@example.invalid", "-C", str(folder), *argv],
                       check=True, capture_output=True)
    return folder


def github_steps(folder: Path) -> list[str]:
    workflow = YAML(typ="safe").load((folder / ".github/workflows/protocol.yml").read_text(encoding="utf-8"))
    steps = workflow["jobs"]["check"]["steps"]
    return [step["run"] for step in steps if "run" in step]


def gitlab_steps(folder: Path) -> list[str]:
    pipeline = YAML(typ="safe").load((folder / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    job = pipeline["protocol"]
    return [*job["before_script"], *job["script"]]


def commands_in(line: str) -> list[list[str]]:
    """The protocolkit invocations in a shell line (also inside 'if ...; then ...; fi')."""
    found = []
    for part in re.split(r";|&&|\bthen\b|\bfi\b", line):
        words = shlex.split(part.strip()) if part.strip() else []
        if "protocolkit" in words:
            found.append(words[words.index("protocolkit"):])
    return found


def test_both_workflows_parse_and_name_only_real_commands_and_options(repository):
    parser = _parser()
    subcommands = parser._subparsers._group_actions[0].choices
    for steps in (github_steps(repository), gitlab_steps(repository)):
        invocations = [argv for line in steps for argv in commands_in(line)]
        assert {argv[1] for argv in invocations} >= {"validate", "review", "test", "prove", "notebooks", "export", "diff"}
        for argv in invocations:
            assert argv[1] in subcommands, argv
            options = {o for action in subcommands[argv[1]]._actions for o in action.option_strings}
            assert {w for w in argv[2:] if w.startswith("--")} <= options, argv


def test_the_github_steps_pass_in_order_on_a_scaffolded_repository(repository):
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    skipped = []
    for line in github_steps(repository):
        if any(p.search(line) for p in NOT_RUN_HERE):
            skipped.append(line.split()[0])
            continue
        line = line.replace("origin/${{ github.base_ref }}", "HEAD")
        assert "${{" not in line, line
        done = subprocess.run(line, shell=True, cwd=repository, env=env, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, f"{line}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    assert skipped == ["pip", "gh"]
    out = repository / "out"
    assert (out / "junit.xml").exists() and (out / "results.json").exists() and (out / "review.json").exists()
    assert any((out / "export").glob("*.docx")) and any((out / "notebooks").rglob("*.ipynb"))
    assert "No decision changes" in (out / "diff.md").read_text(encoding="utf-8")
