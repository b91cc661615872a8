"""amazon.aws's own integration targets for iam_role and iam_instance_profile, with the FQCN swapped to
iamkit.ec2, against the embedded AWS, keeping every assert: a play written for amazon.aws keeps working.

The targets are public and are not copied into this repository: they come at test time from the sdist of
the installed `ansible` package on PyPI (it carries ansible_collections/amazon/aws/tests/integration/targets/),
cached under ~/.cache/iamkit-ec2. Only the four modules this collection replaces are swapped; the targets'
other amazon.aws modules (iam_managed_policy, iam_policy) stay as they are.

The play runs with `ignore_errors` set at play level, so a failed assert does not stop it: each assert is
counted, and every failing one is reported (file:line, task name, message). A task the target does not expect
to fail (no `ignore_errors` of its own) that fails is reported as well. The test passes only when what fails
is exactly EXPECTED_FAILURES (and EXPECTED_FAILURES_AFTER_TASK).
"""

import glob
import importlib.metadata
import json
import os
import re
import subprocess
import sys
import tarfile

import pytest
import yaml

from tests.support.ansible_cli import clean_env
from tests.support.ansible_cli import playbook_command
from tests.support.ansible_cli import run
from tests.support.locks import exclusive
from tests.support.paths import COLLECTIONS

TARGETS = ("iam_role", "iam_instance_profile")
SWAPPED_MODULES = ("iam_role_info", "iam_role", "iam_instance_profile_info", "iam_instance_profile")
SWAP = re.compile(r"\bamazon\.aws\.(%s)\b(?!_)" % "|".join(SWAPPED_MODULES))
CACHE = os.path.join(os.path.expanduser("~"), ".cache", "iamkit-ec2", "sdist")
TARGETS_IN_SDIST = "ansible_collections/amazon/aws/tests/integration/targets/"
ASSERT_ACTIONS = ("assert", "ansible.builtin.assert", "ansible.legacy.assert")

# Every assert (or unexpected task failure) allowed to fail, by target file:line in the installed ansible's
# copy of the targets, with why. An expected failure that passes fails this test, so the list stays true.
DELIBERATE = "deliberate: amazon.aws refuses a boundary together with an instance profile; iamkit.ec2 makes both"
LEFT_BY_DELIBERATE = ("deliberate, follows from the line above: the role made there still exists, so this task "
                      "has nothing to create")
EXPECTED_FAILURES = {
    "iam_role/tasks/parameter_checks.yml:9": DELIBERATE,
    "iam_role/tasks/parameter_checks.yml:35": LEFT_BY_DELIBERATE,
}
# The same, for an assert whose line moves between amazon.aws releases (9.0.0 has one task more at the top of
# instance_profile.yml than 10.x): found as the first assert after the first task of that name.
EXPECTED_FAILURES_AFTER_TASK = {
    ("iam_role/tasks/instance_profile.yml", "Minimal IAM Role without instance profile (without existing profile)"):
        LEFT_BY_DELIBERATE,
}


def sdist():
    """The installed ansible's sdist, downloaded once with pip (about 50 MB) and kept in the cache."""
    version = importlib.metadata.version("ansible")
    path = os.path.join(CACHE, "ansible-%s.tar.gz" % version)
    with exclusive(path + ".lock"):
        if not os.path.exists(path):
            subprocess.run([sys.executable, "-m", "pip", "download", "ansible==%s" % version, "--no-binary",
                            ":all:", "--no-deps", "-d", CACHE], check=True, capture_output=True)
    return path


def dependencies(role_dir):
    meta = os.path.join(role_dir, "meta", "main.yml")
    if not os.path.exists(meta):
        return []
    with open(meta) as handle:
        listed = (yaml.safe_load(handle) or {}).get("dependencies") or []
    return [entry["role"] if isinstance(entry, dict) else entry for entry in listed]


def extract_targets(archive, names, destination):
    """Extract the named targets and the setup roles they depend on (meta dependencies, followed)."""
    with tarfile.open(archive) as tar:
        members = [member for member in tar.getmembers() if member.isfile() and TARGETS_IN_SDIST in member.name]
        wanted, done = list(names), set()
        while wanted:
            name = wanted.pop()
            if name in done:
                continue
            done.add(name)
            marker = TARGETS_IN_SDIST + name + "/"
            files = [member for member in members if marker in member.name]
            assert files, "no target %s in %s" % (name, archive)
            for member in files:
                path = os.path.join(destination, name, member.name.split(marker, 1)[1])
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with tar.extractfile(member) as source, open(path, "wb") as copy:
                    copy.write(source.read())
            wanted.extend(dependencies(os.path.join(destination, name)))
    return done


def swap_fqcn(roles_dir):
    """amazon.aws.<module> -> iamkit.ec2.<module> in every task file; lines stay where they were."""
    swapped = 0
    for path in glob.glob(os.path.join(roles_dir, "*", "tasks", "*.yml")):
        with open(path) as handle:
            text = handle.read()
        text, count = SWAP.subn(r"iamkit.ec2.\1", text)
        swapped += count
        with open(path, "w") as handle:
            handle.write(text)
    return swapped


def tasks_allowed_to_fail(roles_dir):
    """{'<target>/tasks/<file>:<line>'} of the tasks that set ignore_errors themselves."""
    allowed = set()

    def walk(node, relative):
        if isinstance(node, yaml.SequenceNode):
            for item in node.value:
                walk(item, relative)
        elif isinstance(node, yaml.MappingNode):
            keys = dict((key.value, value) for key, value in node.value)
            if "ignore_errors" in keys:
                allowed.add("%s:%d" % (relative, node.start_mark.line + 1))
            for section in ("block", "rescue", "always"):
                if section in keys:
                    walk(keys[section], relative)

    for path in glob.glob(os.path.join(roles_dir, "*", "tasks", "*.yml")):
        with open(path) as handle:
            walk(yaml.compose(handle), os.path.relpath(path, roles_dir))
    return allowed


def expected_failures(roles_dir):
    """EXPECTED_FAILURES with the asserts of EXPECTED_FAILURES_AFTER_TASK located in these targets' copy."""
    expected = dict(EXPECTED_FAILURES)
    for (relative, task_name), why in EXPECTED_FAILURES_AFTER_TASK.items():
        with open(os.path.join(roles_dir, relative)) as handle:
            lines = [line.strip() for line in handle.read().splitlines()]
        named = lines.index("- name: " + task_name)
        asserted = next(index for index in range(named + 1, len(lines))
                        if lines[index].startswith("- ansible.builtin.assert:"))
        expected["%s:%d" % (relative, asserted + 1)] = why
    return expected


def location(task, roles_dir):
    return os.path.relpath(task["task"]["path"], roles_dir)


def outcome(report, roles_dir, allowed_to_fail):
    """(asserts run, asserts passed, [failures]); a failure is (location, task name, message)."""
    run_count, passed, failures = 0, 0, []
    for play in report["plays"]:
        for task in play["tasks"]:
            for result in task["hosts"].values():
                where = location(task, roles_dir)
                if result.get("action") in ASSERT_ACTIONS:
                    if result.get("skipped"):
                        continue
                    run_count += 1
                    if result.get("failed"):
                        failed_condition = result.get("assertion")
                        message = result.get("msg")
                        if failed_condition:
                            message = "%s: %s" % (message, failed_condition)
                        failures.append((where, task["task"]["name"], message))
                    else:
                        passed += 1
                elif result.get("failed") and where not in allowed_to_fail:
                    failures.append((where, task["task"]["name"], "task failed: %s" % result.get("msg")))
    return run_count, passed, failures


@pytest.fixture(scope="module")
def amazon_aws_roles(tmp_path_factory):
    roles_dir = str(tmp_path_factory.mktemp("amazon-aws-targets"))
    extract_targets(sdist(), TARGETS, roles_dir)
    assert swap_fqcn(roles_dir) > 100, "the FQCN swap found (almost) nothing to swap: the targets changed"
    return roles_dir


PLAY = """---
- name: amazon.aws target {target} with iamkit.ec2 modules
  hosts: localhost
  connection: local
  gather_facts: false
  # A failed assert does not stop the play: every assert of the target runs and is counted.
  ignore_errors: true
  roles:
    - role: {target}
"""


@pytest.mark.parametrize("target", TARGETS)
def test_amazon_aws_target(target, amazon_aws_roles, embedded_aws, tmp_path, record_property):
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAY.format(target=target))
    # Keys and region come only from the target's own `module_defaults: group/aws` (the action plugin brings
    # them to iamkit's modules); the environment gives nothing but the endpoint.
    env = clean_env(tmp_path, collections_path=COLLECTIONS)
    env["AWS_ENDPOINT_URL"] = embedded_aws.endpoint
    env["ANSIBLE_ROLES_PATH"] = amazon_aws_roles
    env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.posix.json"
    # What ansible-test gives amazon.aws's targets (ansible_test/_internal/commands/integration/cloud/aws.py):
    # botocore's endpoint log, so results carry the `resource_actions` the targets assert on, and these variables.
    env["ANSIBLE_DEBUG_BOTOCORE_LOGS"] = "True"
    prefix = "iamkit-amz-%s" % target.replace("_", "-")
    extra_vars = {"aws_access_key": embedded_aws.access_key, "aws_secret_key": embedded_aws.secret_key,
                  "aws_region": embedded_aws.region, "resource_prefix": prefix, "tiny_prefix": prefix[-12:],
                  "aws_cleanup": True}
    command = playbook_command(str(playbook), "localhost,", ["%s" % json.dumps(extra_vars)])
    result = run(command, env, cwd=str(tmp_path), check=False, timeout=1800)
    assert result.stdout.strip().startswith("{"), result.stderr[-5000:]
    report = json.loads(result.stdout)
    # Kept for reading what a failing assert saw: every task's result, arguments included.
    (tmp_path / "report.json").write_text(json.dumps(report, indent=1))

    run_count, passed, failures = outcome(report, amazon_aws_roles, tasks_allowed_to_fail(amazon_aws_roles))
    # For the session summary (tests/integration/conftest.py); a report carries it from an xdist worker.
    record_property("amazon_aws_asserts", (target, run_count, passed, failures))
    assert run_count > 0, "target %s ran no assert" % target

    failed_at = set(where for where, _name, _msg in failures)
    expected = set(where for where in expected_failures(amazon_aws_roles) if where.startswith(target + "/"))
    unexpected = ["%s  %s: %s" % failure for failure in failures if failure[0] not in expected]
    now_passing = sorted(expected - failed_at)
    assert not unexpected and not now_passing, (
        "target %s: %d asserts run, %d passed (report: %s)\nfailing and not expected:\n  %s\n"
        "expected to fail but passed (remove from EXPECTED_FAILURES):\n  %s"
        % (target, run_count, passed, tmp_path / "report.json", "\n  ".join(unexpected), "\n  ".join(now_passing)))
