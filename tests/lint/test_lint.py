"""The lint layer: ansible-lint (production profile, offline), ruff, yamllint and the changelog linter, each a
test of its own, so one run shows every tool's findings; the layer passes only when none reports anything."""

import os

import pytest

from tests.support.ansible_cli import run
from tests.support.paths import BIN
from tests.support.paths import COLLECTIONS
from tests.support.paths import ROOT
from tests.support.paths import tool

TOOLS = {
    "ansible-lint": ["ansible-lint", "--offline", "--profile", "production", "--strict", "--nocolor"],
    "ruff": ["ruff", "check", "--no-cache", "."],
    "yamllint": ["yamllint", "--strict", "."],
    "antsibull-changelog": ["antsibull-changelog", "lint"],
}


def lint_env():
    env = dict(os.environ)
    # ansible-lint resolves iamkit.ec2 (module_defaults groups, FQCNs in playbooks) through the collection
    # link; amazon.aws comes from the venv's `ansible` package. Its offline cache lives under ANSIBLE_HOME:
    # kept in tests/output, not in the user's home.
    env["ANSIBLE_COLLECTIONS_PATH"] = COLLECTIONS
    env["ANSIBLE_HOME"] = os.path.join(ROOT, "tests", "output", "lint-home")
    env["ANSIBLE_NOCOLOR"] = env["NO_COLOR"] = "1"
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    return env


@pytest.mark.parametrize("name", sorted(TOOLS))
def test_no_findings(name):
    command = [tool(TOOLS[name][0])] + TOOLS[name][1:]
    result = run(command, lint_env(), cwd=ROOT, check=False, timeout=900)
    assert result.returncode == 0, "%s reports findings:\n%s\n%s" % (
        name, result.stdout[-20000:], result.stderr[-5000:])
