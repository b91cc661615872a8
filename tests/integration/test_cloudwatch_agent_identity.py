"""The cloudwatch_agent role's IAM part (roles/cloudwatch_agent/tasks/iam.yml) against the embedded AWS:
it adds CloudWatchAgentServerPolicy to a role without detaching the role's other managed policies (unless
cloudwatch_agent_purge_policies), the inventory's instance_role_instance_id names the instance, and a host
without any instance id fails with a message naming the variables, before anything changes in AWS.

Hosts are the controller (local connection) under inventory names; their instance metadata address is a port
nothing listens on, so any id found must have come from the inventory. AWS is judged with boto3.
"""

import json

import pytest
import yaml

from tests.support.ansible_cli import clean_env
from tests.support.ansible_cli import playbook_command
from tests.support.ansible_cli import run
from tests.support.ansible_cli import write_calls
from tests.support.embedded_aws import ami_id
from tests.support.fixtures import EC2_TRUST_JSON
from tests.support.paths import COLLECTIONS

SSM_CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
AGENT_POLICY = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"
# Nothing listens there (loopback only): a metadata lookup fails at once.
NO_METADATA = "http://127.0.0.1:9"


def run_iam_tasks(tmp_path, embedded_aws, role_name, hostvars, check_mode=False, check=True, **role_vars):
    """Run the role's iam.yml for the given hosts; (ansible-playbook result, per-task results of the json
    callback)."""
    aws = {"endpoint_url": embedded_aws.endpoint, "region": embedded_aws.region,
           "access_key": embedded_aws.access_key, "secret_key": embedded_aws.secret_key}
    play = [{
        "name": "The agent role's IAM tasks", "hosts": "all", "gather_facts": False,
        "module_defaults": {"group/iamkit.ec2.aws": aws},
        "tasks": [{"name": "Run iam.yml", "ansible.builtin.include_role": {
            "name": "iamkit.ec2.cloudwatch_agent", "tasks_from": "iam.yml"}}],
        "vars": dict({"cloudwatch_agent_iam_role_name": role_name, "cloudwatch_agent_metadata_url": NO_METADATA,
                      "instance_role_wait_timeout": 30}, **role_vars),
    }]
    playbook = tmp_path / "iam.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    inventory = tmp_path / "inventory.json"
    inventory.write_text(json.dumps({"all": {"hosts": dict(
        (host, dict({"ansible_connection": "local"}, **values)) for host, values in hostvars.items())}}))
    env = clean_env(tmp_path, collections_path=COLLECTIONS)
    env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.posix.json"
    result = run(playbook_command(str(playbook), str(inventory), check_mode=check_mode), env,
                 cwd=str(tmp_path), check=check)
    return result, json.loads(result.stdout)


def changed_hosts(output):
    return dict((host, stats["changed"]) for host, stats in output["stats"].items())


def attached(embedded_aws, role_name):
    iam = embedded_aws.client("iam")
    return sorted(p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"])


def profile_of(embedded_aws, instance_id):
    found = embedded_aws.client("ec2").describe_iam_instance_profile_associations(
        Filters=[{"Name": "instance-id", "Values": [instance_id]}])["IamInstanceProfileAssociations"]
    return [a["IamInstanceProfile"]["Arn"].rsplit("/", 1)[1] for a in found if a["State"] == "associated"]


@pytest.fixture
def instance_id(embedded_aws):
    ec2 = embedded_aws.client("ec2")
    ami = ami_id(ec2)
    made = ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    embedded_aws.reset_calls()
    return made


@pytest.fixture
def tutorial_role(embedded_aws, request):
    """A role made as AWS's tutorial makes it, already holding AmazonSSMManagedInstanceCore."""
    role_name = "iamkit-agent-identity-" + request.node.name.split("[")[0][-30:].replace("_", "-")
    iam = embedded_aws.client("iam")
    iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=EC2_TRUST_JSON)
    iam.attach_role_policy(RoleName=role_name, PolicyArn=SSM_CORE)
    embedded_aws.reset_calls()
    return role_name


def test_the_agent_policy_is_added_and_the_others_kept(tmp_path, embedded_aws, tutorial_role, instance_id):
    # The inventory's instance_role_instance_id names the instance (metadata would fail: nothing answers).
    hosts = {"web1": {"instance_role_instance_id": instance_id}}
    _result, output = run_iam_tasks(tmp_path, embedded_aws, tutorial_role, hosts, check_mode=True)
    assert write_calls(embedded_aws) == [] and attached(embedded_aws, tutorial_role) == [SSM_CORE]
    assert profile_of(embedded_aws, instance_id) == []

    _result, output = run_iam_tasks(tmp_path, embedded_aws, tutorial_role, hosts)
    assert attached(embedded_aws, tutorial_role) == sorted([AGENT_POLICY, SSM_CORE])
    assert profile_of(embedded_aws, instance_id) == [tutorial_role]

    embedded_aws.reset_calls()
    _result, output = run_iam_tasks(tmp_path, embedded_aws, tutorial_role, hosts)
    assert changed_hosts(output) == {"web1": 0}
    assert write_calls(embedded_aws) == []


def test_purge_policies_detaches_the_others(tmp_path, embedded_aws, tutorial_role, instance_id):
    hosts = {"web1": {"instance_role_instance_id": instance_id}}
    run_iam_tasks(tmp_path, embedded_aws, tutorial_role, hosts, cloudwatch_agent_purge_policies=True)
    assert attached(embedded_aws, tutorial_role) == [AGENT_POLICY]


def test_the_agent_variable_wins_over_the_inventory(tmp_path, embedded_aws, tutorial_role, instance_id):
    hosts = {"web1": {"instance_role_instance_id": "i-0000000000000dead", "cloudwatch_agent_instance_id": instance_id}}
    run_iam_tasks(tmp_path, embedded_aws, tutorial_role, hosts)
    assert profile_of(embedded_aws, instance_id) == [tutorial_role]


def test_a_host_without_an_id_fails_naming_the_variables(tmp_path, embedded_aws, tutorial_role):
    result, output = run_iam_tasks(tmp_path, embedded_aws, tutorial_role, {"web1": {}}, check=False)
    assert result.returncode != 0
    failures = [task["hosts"]["web1"]["msg"] for task in output["plays"][0]["tasks"]
                if task["hosts"].get("web1", {}).get("failed")]
    assert failures, result.stdout[-3000:]
    message = failures[-1]
    for name in ("no instance id for web1", "cloudwatch_agent_instance_id", "instance_role_instance_id",
                 "cloudwatch_agent_metadata_url=" + NO_METADATA):
        assert name in message, message
    # It failed before any AWS write: the role still has only its own policy.
    assert write_calls(embedded_aws) == []
    assert attached(embedded_aws, tutorial_role) == [SSM_CORE]
