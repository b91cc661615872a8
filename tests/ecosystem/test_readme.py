"""Every ad-hoc command of README.md, taken from the README itself so that the two cannot drift, run as
written against the embedded AWS (credentials, region and endpoint in AWS_* variables, as the README says).

A command that changes AWS runs three times: in check mode (no write call, nothing changed), as written
(changed), and again (changed=false, no write call). A read-only command (an _info module, or one the README
already runs with --check) runs once and must make no write call.
"""

import ast
import os
import re

import pytest
import yaml

from tests.support.ansible_cli import adhoc_result
from tests.support.ansible_cli import amazon_aws_path
from tests.support.ansible_cli import run
from tests.support.ansible_cli import tool
from tests.support.ansible_cli import write_calls
from tests.support.embedded_aws import ami_id
from tests.support.paths import ROOT
from tests.support.readme import readme_blocks
from tests.support.readme import readme_commands

PROFILE = "web-server"
COMMANDS = readme_commands("ansible localhost -m iamkit.ec2.")


def module_of(command):
    return re.search(r"-m (\S+)", command).group(1)


def read_only(command):
    return module_of(command).endswith("_info") or "--check" in command.split()


def run_adhoc(command, env):
    result = run(["bash", "-c", command], env=env, check=False)
    assert result.returncode == 0, "%s\n%s\n%s" % (command, result.stdout[-5000:], result.stderr[-3000:])
    return adhoc_result(result.stdout)


def launch(aws, role, count):
    ec2 = aws.client("ec2")
    image = ami_id(ec2)
    reservation = ec2.run_instances(
        ImageId=image, MinCount=count, MaxCount=count,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Role", "Value": role}]}])
    return sorted(instance["InstanceId"] for instance in reservation["Instances"])


def associations(aws):
    """instance id -> profile name of the associations in state associated."""
    found = aws.client("ec2").describe_iam_instance_profile_associations(
        Filters=[{"Name": "state", "Values": ["associated"]}])["IamInstanceProfileAssociations"]
    return dict((item["InstanceId"], item["IamInstanceProfile"]["Arn"].rsplit("/", 1)[1]) for item in found)


def test_readme_has_an_example_for_every_aws_module():
    modules = set(module_of(command) for command in COMMANDS)
    assert modules == set("iamkit.ec2." + name for name in (
        "iam_role", "iam_role_info", "iam_instance_profile", "iam_instance_profile_info",
        "instance_profile_association", "instance_profile_association_info"))


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_commands_are_ad_hoc_commands(command):
    assert command.startswith("ansible localhost -m iamkit.ec2.") and " -a " in command, command


def test_readme_ad_hoc_commands_run_as_written(ansible_env, embedded_aws):
    aws = embedded_aws
    web = launch(aws, "web", 2)
    launch(aws, "db", 1)  # not tagged Role=web: must never get the profile
    iam = aws.client("iam")
    for command in COMMANDS:
        aws.reset_calls()
        if read_only(command):
            result = run_adhoc(command, ansible_env)
            assert write_calls(aws) == [], command
            if module_of(command).endswith("_info"):
                assert result["changed"] is False and PROFILE in str(result), (command, result)
            else:  # the README's own --check example predicts a change without making it
                assert result["changed"] is True, (command, result)
            continue

        run_adhoc(command + " --check", ansible_env)
        assert write_calls(aws) == [], "check mode wrote: " + command

        result = run_adhoc(command, ansible_env)
        assert result["changed"] is True, (command, result)

        if module_of(command) == "iamkit.ec2.instance_profile_association" and "absent" not in command:
            assert associations(aws) == dict((instance, PROFILE) for instance in web)

        aws.reset_calls()
        again = run_adhoc(command, ansible_env)
        assert again["changed"] is False, (command, again)
        assert write_calls(aws) == [], "second run wrote: " + command

    # The block ends by taking everything away again: nothing is left, and nothing else was touched.
    assert associations(aws) == {}
    assert PROFILE not in [role["RoleName"] for role in iam.list_roles()["Roles"]]
    assert PROFILE not in [item["InstanceProfileName"] for item in iam.list_instance_profiles()["InstanceProfiles"]]


def test_readme_yaml_blocks_parse_and_plays_pass_syntax_check(ansible_env, tmp_path):
    """Plays and tasks shown in the README are valid for ansible-playbook (modules, arguments, keywords)."""
    plays = []
    for block in readme_blocks("yaml"):
        data = yaml.safe_load(block)
        assert data is not None, block
        if isinstance(data, list) and all("hosts" in item for item in data):
            plays.extend(data)
        elif isinstance(data, list):
            plays.append({"name": "README tasks", "hosts": "localhost", "gather_facts": False, "tasks": data})
    assert len(plays) >= 2
    path = str(tmp_path / "readme.yml")
    with open(path, "w") as handle:
        yaml.safe_dump(plays, handle, sort_keys=False)
    run([tool("ansible-playbook"), "--syntax-check", "-i", "localhost,web", path], env=ansible_env)


# ------------------------------------------------------------------------------------ migrating from amazon.aws

SWAPPABLE = ["iam_role", "iam_role_info", "iam_instance_profile", "iam_instance_profile_info"]


def documented_options(path):
    """Option names and aliases in a module's DOCUMENTATION (doc fragments aside: both sides share them)."""
    with open(path) as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "DOCUMENTATION":
            options = yaml.safe_load(node.value.value).get("options") or {}
            names = set(options)
            for spec in options.values():
                names.update(spec.get("aliases", []))
            return names
    raise AssertionError("no DOCUMENTATION in " + path)


def readme_migration_row(module):
    rows = [line for line in readme_text().splitlines() if line.startswith("| `%s`" % module)]
    assert len(rows) == 1, "README's migration table needs one row for %s" % module
    return rows[0]


def readme_text():
    with open(os.path.join(ROOT, "README.md")) as handle:
        return handle.read()


@pytest.mark.parametrize("module", SWAPPABLE)
def test_migration_table_matches_the_modules(module):
    """Swapping the FQCN works (every amazon.aws option and alias exists here), and every option that is new
    here is named in the README's migration table."""
    ours = documented_options(os.path.join(ROOT, "plugins", "modules", module + ".py"))
    theirs = documented_options(os.path.join(amazon_aws_path(), "plugins", "modules", module + ".py"))
    assert sorted(theirs - ours) == []
    row = readme_migration_row(module)
    assert [option for option in sorted(ours - theirs) if "`%s`" % option not in row] == []
