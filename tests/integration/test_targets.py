"""Runs every integration target (tests/integration/targets/<name>) with ansible-playbook against the
embedded AWS server. A target passes when its playbook does, and it must have run at least one assert:
a target that asserts nothing proves nothing. The asserts each target ran are counted from the play's
JSON report and shown at the end of the session."""

import json
import os

import pytest

from tests.support.ansible_cli import aws_env
from tests.support.ansible_cli import playbook_command
from tests.support.ansible_cli import run
from tests.support.embedded_aws import ami_id
from tests.support.paths import ROOT

HERE = os.path.dirname(os.path.abspath(__file__))
TARGETS = os.path.join(HERE, "targets")
# Targets that are helpers for the others, not tests of their own.
HELPERS = {"setup_call_log"}
ASSERT_ACTIONS = ("assert", "ansible.builtin.assert", "ansible.legacy.assert")


def target_names():
    return sorted(name for name in os.listdir(TARGETS) if name not in HELPERS and not name.startswith("."))


def asserts_run(report):
    """How many assert tasks (loop items counted one by one) ran in the JSON callback's report."""
    count = 0
    for play in report["plays"]:
        for task in play["tasks"]:
            for result in task["hosts"].values():
                if result.get("action") not in ASSERT_ACTIONS:
                    continue
                items = result.get("results") or [result]
                count += sum(1 for item in items if not item.get("skipped"))
    return count


@pytest.mark.parametrize("target", target_names())
def test_target(target, embedded_aws, tmp_path, record_property):
    env = aws_env(tmp_path, embedded_aws)
    env["ANSIBLE_ROLES_PATH"] = TARGETS
    env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.posix.json"
    extra_vars = [
        "target=%s" % target,
        "aws_endpoint_url=%s" % embedded_aws.endpoint,
        "aws_calls_url=%s/_iamkit/calls" % embedded_aws.endpoint,
        "ec2_ami_id=%s" % ami_id(embedded_aws.client("ec2")),
        "resource_prefix_override=iamkit-%s" % target.replace("_", "-"),
    ]
    command = playbook_command(os.path.join(HERE, "run_target.yml"), "localhost,", extra_vars)
    result = run(command, env, cwd=ROOT, check=False, timeout=1200)
    report = json.loads(result.stdout) if result.stdout.strip().startswith("{") else None
    failed = [(task["task"]["name"], host.get("msg"), host.get("assertion")) for play in (report or {}).get("plays", [])
              for task in play["tasks"] for host in task["hosts"].values() if host.get("failed")]
    assert result.returncode == 0, "target %s failed: %s\n%s" % (target, failed, result.stderr[-5000:])
    count = asserts_run(report)
    # For the session summary (tests/integration/conftest.py); a report carries it from an xdist worker.
    record_property("asserts_run", (target, count))
    assert count > 0, "target %s ran no assert: it checks nothing" % target
