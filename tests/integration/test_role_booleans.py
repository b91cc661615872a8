"""Every boolean variable of the two roles takes what users type: true/false/yes/no in YAML, and the strings that
`-e key=value` gives (the string "false" is truthy in a condition, and a condition that yields a string fails).

Run from the command line as users run them, against the embedded AWS; outcomes are read with boto3 and the
embedded AWS's call log. A structural check beside them makes sure every use of a boolean variable in the
roles' task and vars files goes through `| bool`, so a new use cannot bring the bug back.
"""

import os
import re

import pytest
import yaml

from tests.integration.role_runs import NO_METADATA
from tests.integration.role_runs import attached
from tests.integration.role_runs import aws_play
from tests.integration.role_runs import launch
from tests.integration.role_runs import profile_names
from tests.integration.role_runs import profiles_of
from tests.integration.role_runs import role_names
from tests.integration.role_runs import run_play
from tests.support.ansible_cli import write_calls
from tests.support.fixtures import EC2_TRUST_JSON
from tests.support.paths import ROOT

AGENT_POLICY = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"
SSM_CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
ROLES = ("instance_role", "cloudwatch_agent")


def instance_role_play(role_name, **role_vars):
    return aws_play("instance_role from the command line", "all", "iamkit.ec2.instance_role",
                    dict({"instance_role_name": role_name, "instance_role_wait_timeout": 30}, **role_vars))


@pytest.mark.parametrize("typed", ["false", "no", "False", "0"])
def test_instance_role_associate_false_from_the_command_line_makes_no_association(tmp_path, embedded_aws, typed):
    role = "iamkit-bool-associate-" + typed.lower()
    [instance_id] = launch(embedded_aws)
    hosts = {"web1": {"instance_role_instance_id": instance_id}}
    done = run_play(tmp_path, embedded_aws, instance_role_play(role), hosts,
                    ["instance_role_associate=" + typed])
    assert done.returncode == 0, done.failures() or done.stdout[-3000:]
    assert role in role_names(embedded_aws) and role in profile_names(embedded_aws)
    assert profiles_of(embedded_aws, instance_id) == []
    assert "not managed" in done.summaries()["web1"]


def test_instance_role_associate_yes_from_the_command_line_associates_checked_and_idempotent(tmp_path,
                                                                                             embedded_aws):
    role = "iamkit-bool-associate-yes"
    [instance_id] = launch(embedded_aws)
    hosts = {"web1": {"instance_role_instance_id": instance_id}}
    play = instance_role_play(role)

    checked = run_play(tmp_path, embedded_aws, play, hosts, ["instance_role_associate=yes"], check_mode=True)
    assert checked.returncode == 0, checked.failures()
    assert "(would associate)" in checked.summaries()["web1"]
    assert write_calls(embedded_aws) == [] and role not in role_names(embedded_aws)

    done = run_play(tmp_path, embedded_aws, play, hosts, ["instance_role_associate=yes"])
    assert done.returncode == 0, done.failures()
    assert profiles_of(embedded_aws, instance_id) == [role]

    again = run_play(tmp_path, embedded_aws, play, hosts, ["instance_role_associate=yes"])
    assert again.returncode == 0 and again.changed() == [], again.changed()
    assert write_calls(embedded_aws) == []


def test_instance_role_purge_policies_false_from_the_command_line_keeps_the_other_policies(tmp_path, embedded_aws):
    role = "iamkit-bool-purge"
    iam = embedded_aws.client("iam")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=EC2_TRUST_JSON)
    iam.attach_role_policy(RoleName=role, PolicyArn=SSM_CORE)
    play = instance_role_play(role, instance_role_managed_policies=["CloudWatchAgentServerPolicy"])
    typed = ["instance_role_purge_policies=false", "instance_role_associate=false"]

    checked = run_play(tmp_path, embedded_aws, play, {"web1": {}}, typed, check_mode=True)
    assert checked.returncode == 0, checked.failures()
    assert write_calls(embedded_aws) == [] and attached(embedded_aws, role) == [SSM_CORE]

    done = run_play(tmp_path, embedded_aws, play, {"web1": {}}, typed)
    assert done.returncode == 0, done.failures()
    assert attached(embedded_aws, role) == sorted([AGENT_POLICY, SSM_CORE])

    again = run_play(tmp_path, embedded_aws, play, {"web1": {}}, typed)
    assert again.returncode == 0 and again.changed() == [] and write_calls(embedded_aws) == []

    purged = run_play(tmp_path, embedded_aws, play, {"web1": {}},
                      ["instance_role_purge_policies=yes", "instance_role_associate=no"])
    assert purged.returncode == 0, purged.failures()
    assert attached(embedded_aws, role) == [AGENT_POLICY]


def agent_play(package_file):
    """The whole cloudwatch_agent role on a host that is this machine: only check mode is safe here (it
    installs, writes and starts nothing), and a package file on the controller spares the download."""
    return aws_play("cloudwatch_agent from the command line", "all", "iamkit.ec2.cloudwatch_agent", {
        "cloudwatch_agent_iam_role_name": "iamkit-bool-agent", "cloudwatch_agent_metadata_url": NO_METADATA,
        "cloudwatch_agent_package_file": str(package_file), "instance_role_wait_timeout": 30})


@pytest.fixture
def package_file(tmp_path):
    """A package file with its signature and key beside it, as the role asks (not read in check mode)."""
    path = tmp_path / "amazon-cloudwatch-agent.deb"
    for name in (path.name, path.name + ".sig", "amazon-cloudwatch-agent.gpg"):
        (tmp_path / name).write_bytes(b"not read in check mode")
    return path


def iam_and_association_calls(embedded_aws):
    return [call["action"] for call in embedded_aws.calls()
            if call["action"].startswith("iam:") or "IamInstanceProfile" in call["action"]]


@pytest.mark.parametrize("typed, manages", [("false", False), ("no", False), ("true", True), ("yes", True)])
def test_cloudwatch_agent_manage_iam_from_the_command_line(tmp_path, embedded_aws, package_file, typed, manages):
    [instance_id] = launch(embedded_aws)
    hosts = {"web1": {"cloudwatch_agent_instance_id": instance_id}}
    done = run_play(tmp_path, embedded_aws, agent_play(package_file), hosts,
                    ["cloudwatch_agent_manage_iam=" + typed], check_mode=True)
    assert done.returncode == 0, done.failures() or done.stdout[-3000:]
    assert write_calls(embedded_aws) == []
    if manages:
        assert iam_and_association_calls(embedded_aws), "IAM was not looked at"
        assert "Ensure the IAM role" in done.changed()
        assert "role iamkit-bool-agent" in done.summaries()["web1"]
    else:
        assert iam_and_association_calls(embedded_aws) == []
        assert "credentials ec2" in done.summaries()["web1"]
    assert "iamkit-bool-agent" not in role_names(embedded_aws)


def test_every_agent_boolean_typed_false_runs(tmp_path, embedded_aws, package_file):
    """All of the agent role's booleans as `-e` strings at once: the run works and each takes effect."""
    [instance_id] = launch(embedded_aws)
    hosts = {"web1": {"cloudwatch_agent_instance_id": instance_id}}
    typed = ["cloudwatch_agent_manage_iam=false", "cloudwatch_agent_purge_policies=no",
             "cloudwatch_agent_remove_association=false", "cloudwatch_agent_download_on_controller=no",
             "cloudwatch_agent_verify_signature=false", "cloudwatch_agent_verify=no",
             "cloudwatch_agent_verify_delivery=false"]
    done = run_play(tmp_path, embedded_aws, agent_play(package_file), hosts, typed, check_mode=True)
    assert done.returncode == 0, done.failures() or done.stdout[-3000:]
    assert iam_and_association_calls(embedded_aws) == []
    ran = [task["task"]["name"] for task in done.tasks]
    assert not any(name.endswith("Ask the agent for its status") for name in ran), ran


# ------------------------------------------------------------------------------------- structure

def boolean_variables(role):
    with open(os.path.join(ROOT, "roles", role, "meta", "argument_specs.yml")) as handle:
        options = yaml.safe_load(handle)["argument_specs"]["main"]["options"]
    return sorted(name for name, spec in options.items() if spec.get("type") == "bool")


def role_files(role):
    for folder in ("tasks", "vars", "handlers"):
        path = os.path.join(ROOT, "roles", role, folder)
        for name in sorted(os.listdir(path)) if os.path.isdir(path) else []:
            yield os.path.join(path, name)


def mentions_only(line, match):
    """Whether this occurrence of a name is not a use of its value: a key or words in a message (followed by ':'
    or '='), a name in quotes, or the plain value of a mapping of names (`force: instance_role_force`)."""
    before, after = line[:match.start()], line[match.end():]
    if after.lstrip()[:1] in (":", "="):
        return True
    if before[-1:] in ("'", '"') and after[:1] == before[-1:]:
        return True
    return re.match(r"^\s*\w+:\s*$", before) is not None and after.strip() == ""


def unnormalised_uses(path, variables):
    """Lines that use one of `variables` in an expression without `| bool`; comments are not code."""
    found = []
    with open(path) as handle:
        for number, line in enumerate(handle, 1):
            if line.lstrip().startswith("#"):
                continue
            for name in variables:
                for match in re.finditer(r"\b%s\b(?!\s*\|\s*bool)" % name, line):
                    if not mentions_only(line, match):
                        found.append("%s:%d: %s" % (os.path.relpath(path, ROOT), number, line.strip()))
    return found


@pytest.mark.parametrize("role", ROLES)
def test_every_boolean_variable_is_used_through_the_bool_filter(role):
    variables = boolean_variables(role)
    assert variables, "no boolean variable found in %s's argument_specs" % role
    # The agent hands some of its booleans to instance_role, whose own uses are checked too.
    variables += boolean_variables("instance_role") if role == "cloudwatch_agent" else []
    found = [line for path in role_files(role) for line in unnormalised_uses(path, variables)]
    assert found == [], "\n".join(found)
