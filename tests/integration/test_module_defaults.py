"""`module_defaults` reach the collection's AWS modules in a playbook: credentials, region and endpoint come
from the action group's defaults and nowhere else. Plays written for amazon.aws set them under `group/aws`
or `group/amazon.aws.aws`; those reach the modules too, under `group/iamkit.ec2.aws` and the task's own
arguments (plugins/plugin_utils/aws_group_defaults.py)."""

import json
import sys

import pytest
import yaml

from tests.support.ansible_cli import adhoc_result
from tests.support.ansible_cli import clean_env
from tests.support.ansible_cli import playbook_command
from tests.support.ansible_cli import run
from tests.support.ansible_cli import write_calls
from tests.support.fixtures import EC2_TRUST_JSON
from tests.support.paths import COLLECTIONS
from tests.support.paths import tool

# Regions no default would give: the module can only have them from the play.
GROUP_REGION = "eu-west-3"
AMAZON_GROUP_REGION = "ap-south-1"
IAMKIT_GROUP_REGION = "ca-central-1"
TASK_REGION = "sa-east-1"
# Nothing listens there (loopback only): a default that should have lost makes the task fail if it wins.
DEAD_ENDPOINT = "http://127.0.0.1:9"


def connection(embedded_aws, region, endpoint=None):
    return {"endpoint_url": endpoint or embedded_aws.endpoint, "region": region,
            "access_key": embedded_aws.access_key, "secret_key": embedded_aws.secret_key}


def run_play(tmp_path, module_defaults, tasks, check=True):
    """Run one play on localhost with no AWS setting in the environment; the json callback's task results.

    Without the play's defaults botocore finds no credentials and fails before sending anything, so a default
    that does not arrive cannot reach the real AWS either."""
    play = [{"name": "Module defaults", "hosts": "localhost", "connection": "local", "gather_facts": False,
             "module_defaults": module_defaults, "tasks": tasks}]
    playbook = tmp_path / "playbook.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    env = clean_env(tmp_path, collections_path=COLLECTIONS)
    # The json callback reports each task's result with the arguments the module received (`invocation`),
    # which ansible-core 2.21 adds to a result only when asked to; the older cores ignore the setting.
    env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.posix.json"
    env["ANSIBLE_INJECT_INVOCATION"] = "true"
    result = run(playbook_command(str(playbook), "localhost,"), env, cwd=str(tmp_path), check=check)
    return [task["hosts"]["localhost"] for task in json.loads(result.stdout)["plays"][0]["tasks"]]


def describe_task(role_name, **extra):
    arguments = {"name": role_name}
    arguments.update(extra)
    return {"name": "Describe the role", "iamkit.ec2.iam_role_info": arguments}


@pytest.fixture
def described_role(embedded_aws):
    """A role made with boto3 for iam_role_info to find; the call log cleared after."""
    role_name = "iamkit-group-defaults"
    iam = embedded_aws.client("iam")
    if role_name not in [role["RoleName"] for role in iam.list_roles()["Roles"]]:
        iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=EC2_TRUST_JSON)
    embedded_aws.reset_calls()
    return role_name


def assert_read_only_through(embedded_aws, described, role_name, region, endpoint):
    assert described.get("failed") is not True, described.get("msg")
    assert [role["role_name"] for role in described["iam_roles"]] == [role_name]
    arguments = described["invocation"]["module_args"]
    assert arguments["endpoint_url"] == endpoint
    assert arguments["region"] == region
    # The requests reached the embedded AWS, and none of them changed anything.
    assert ("iam", "GetRole", 200) in [(c["service"], c["action"], c["status"]) for c in embedded_aws.calls()]
    assert write_calls(embedded_aws) == []


@pytest.mark.parametrize("group", ["group/iamkit.ec2.aws", "group/aws", "group/amazon.aws.aws"])
def test_one_group_reaches_the_modules(group, embedded_aws, described_role, tmp_path):
    defaults = {group: connection(embedded_aws, GROUP_REGION)}
    described = run_play(tmp_path, defaults, [describe_task(described_role)])[0]
    assert_read_only_through(embedded_aws, described, described_role, GROUP_REGION, embedded_aws.endpoint)


def test_own_group_wins_over_amazon_groups(embedded_aws, described_role, tmp_path):
    defaults = {
        "group/aws": connection(embedded_aws, GROUP_REGION, endpoint=DEAD_ENDPOINT),
        "group/amazon.aws.aws": connection(embedded_aws, AMAZON_GROUP_REGION, endpoint=DEAD_ENDPOINT),
        "group/iamkit.ec2.aws": connection(embedded_aws, IAMKIT_GROUP_REGION),
    }
    described = run_play(tmp_path, defaults, [describe_task(described_role)])[0]
    assert_read_only_through(embedded_aws, described, described_role, IAMKIT_GROUP_REGION, embedded_aws.endpoint)


def test_amazon_groups_fill_what_the_own_group_leaves_out(embedded_aws, described_role, tmp_path):
    # group/iamkit.ec2.aws gives only the region; endpoint and keys come from amazon.aws's group.
    defaults = {
        "group/amazon.aws.aws": connection(embedded_aws, AMAZON_GROUP_REGION),
        "group/iamkit.ec2.aws": {"region": IAMKIT_GROUP_REGION},
    }
    described = run_play(tmp_path, defaults, [describe_task(described_role)])[0]
    assert_read_only_through(embedded_aws, described, described_role, IAMKIT_GROUP_REGION, embedded_aws.endpoint)


def test_task_argument_wins_over_every_group(embedded_aws, described_role, tmp_path):
    defaults = {
        "group/aws": connection(embedded_aws, GROUP_REGION, endpoint=DEAD_ENDPOINT),
        "group/amazon.aws.aws": connection(embedded_aws, AMAZON_GROUP_REGION, endpoint=DEAD_ENDPOINT),
        "group/iamkit.ec2.aws": connection(embedded_aws, IAMKIT_GROUP_REGION, endpoint=DEAD_ENDPOINT),
    }
    task = describe_task(described_role, region=TASK_REGION, endpoint_url=embedded_aws.endpoint)
    described = run_play(tmp_path, defaults, [task])[0]
    assert_read_only_through(embedded_aws, described, described_role, TASK_REGION, embedded_aws.endpoint)


def test_task_alias_keeps_the_groups_option_out(embedded_aws, described_role, tmp_path):
    # The task names the region by an alias; the group's `region` must not override it.
    defaults = {"group/aws": connection(embedded_aws, GROUP_REGION)}
    described = run_play(tmp_path, defaults, [describe_task(described_role, aws_region=TASK_REGION)])[0]
    assert_read_only_through(embedded_aws, described, described_role, TASK_REGION, embedded_aws.endpoint)
    assert "region" not in described["invocation"]["module_args"] or \
        described["invocation"]["module_args"]["region"] == TASK_REGION


def test_options_the_module_does_not_take_are_left_out(embedded_aws, described_role, tmp_path):
    # amazon.aws plays often set such options for the whole group; iam_role_info takes neither.
    defaults = {"group/aws": dict(connection(embedded_aws, GROUP_REGION), purge_tags=False, wait=True)}
    described = run_play(tmp_path, defaults, [describe_task(described_role)])[0]
    assert_read_only_through(embedded_aws, described, described_role, GROUP_REGION, embedded_aws.endpoint)
    assert "purge_tags" not in described["invocation"]["module_args"]


def test_state_changing_module_with_amazon_group_only(embedded_aws, tmp_path):
    """Check mode, then the change, then again, all with the connection from `group/aws` alone."""
    role_name = "iamkit-group-defaults-write"
    iam = embedded_aws.client("iam")
    task = {"iamkit.ec2.iam_role": {"name": role_name, "trusted_services": ["ec2.amazonaws.com"],
                                    "create_instance_profile": False}}
    defaults = {"group/aws": connection(embedded_aws, GROUP_REGION)}
    tasks = [dict(task, name="Create in check mode", check_mode=True)]
    embedded_aws.reset_calls()
    preview = run_play(tmp_path, defaults, tasks)[0]
    assert preview["changed"] is True
    assert write_calls(embedded_aws) == []
    assert role_name not in [role["RoleName"] for role in iam.list_roles()["Roles"]]

    created = run_play(tmp_path, defaults, [dict(task, name="Create")])[0]
    assert created["changed"] is True
    assert iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == \
        {"Service": "ec2.amazonaws.com"}

    embedded_aws.reset_calls()
    again = run_play(tmp_path, defaults, [dict(task, name="Create again")])[0]
    assert again["changed"] is False
    assert write_calls(embedded_aws) == []
    iam.delete_role(RoleName=role_name)


def test_adhoc_command_keeps_working(embedded_aws, described_role, tmp_path):
    """`ansible -m` has no play defaults: the action plugin passes the arguments through unchanged."""
    env = clean_env(tmp_path, collections_path=COLLECTIONS)
    env.update(embedded_aws.env())
    command = [tool("ansible"), "localhost", "-c", "local", "-i", "localhost,",
               "-e", "ansible_python_interpreter=%s" % sys.executable,
               "-m", "iamkit.ec2.iam_role_info", "-a", "name=%s" % described_role]
    result = run(command, env, cwd=str(tmp_path))
    described = adhoc_result(result.stdout)
    assert [role["role_name"] for role in described["iam_roles"]] == [described_role]
    assert write_calls(embedded_aws) == []
