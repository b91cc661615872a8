"""The aws_ec2 inventory plugin (amazon.aws) finds the instances, and the collection's instance_role playbook
gives them an identity, taking each instance id from the plugin's hostvars: the README's inventory file and
command, taken from README.md so the two cannot drift.

The test adds to the README's inventory only what the embedded AWS needs: its endpoint and region, a tag
filter that keeps other tests' instances out, and the local connection for the hosts (compose), since the
role's AWS work runs on the controller and only the instance ids matter here. Credentials come from the
environment.
"""

import json
import re
import sys

import pytest
import yaml

from tests.support.ansible_cli import run
from tests.support.ansible_cli import tool
from tests.support.ansible_cli import write_calls
from tests.support.embedded_aws import ami_id
from tests.support.readme import readme_block_with
from tests.support.readme import readme_commands

INVENTORY_NAME = "web.aws_ec2.yml"
COMMAND = readme_commands("ansible-playbook iamkit.ec2.instance_role -i " + INVENTORY_NAME)
ROLE = re.search(r"instance_role_name=(\S+)", COMMAND[0]).group(1)


def inventory_file(tmp_path, aws):
    config = yaml.safe_load(readme_block_with("yaml", "plugin: amazon.aws.aws_ec2"))
    config["regions"] = [aws.region]
    config["endpoint_url"] = aws.endpoint
    config["filters"]["tag:iamkit-test"] = "ecosystem"
    config["compose"] = {"ansible_connection": "'local'", "ansible_python_interpreter": "'%s'" % sys.executable}
    path = str(tmp_path / INVENTORY_NAME)
    with open(path, "w") as handle:
        yaml.safe_dump(config, handle)
    return path


def launch(aws, role, count):
    ec2 = aws.client("ec2")
    image = ami_id(ec2)
    tags = [{"Key": "iamkit-test", "Value": "ecosystem"}, {"Key": "Role", "Value": role}]
    reservation = ec2.run_instances(ImageId=image, MinCount=count, MaxCount=count, InstanceType="t3.micro",
                                    TagSpecifications=[{"ResourceType": "instance", "Tags": tags}])
    return sorted(instance["InstanceId"] for instance in reservation["Instances"])


def associated_profiles(aws):
    """instance id -> profile ARN of every association in state associated."""
    ec2 = aws.client("ec2")
    found = {}
    for page in ec2.get_paginator("describe_iam_instance_profile_associations").paginate(
            Filters=[{"Name": "state", "Values": ["associated"]}]):
        for association in page["IamInstanceProfileAssociations"]:
            found[association["InstanceId"]] = association["IamInstanceProfile"]["Arn"]
    return found


def plain(value):
    """A hostvar as ansible-inventory prints it, without its marking as untrusted input."""
    return value["__ansible_unsafe"] if isinstance(value, dict) and "__ansible_unsafe" in value else value


def recap_changed(stdout):
    """host -> changed count from the PLAY RECAP."""
    found = re.findall(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", stdout, re.M)
    return dict((host, int(changed)) for host, changed in found)


@pytest.fixture
def instances(ansible_env, embedded_aws):
    return {"web": launch(embedded_aws, "web", 3), "db": launch(embedded_aws, "db", 1)}


def test_inventory_lists_the_instances_with_their_ids(ansible_env, embedded_aws, instances, tmp_path):
    inventory = inventory_file(tmp_path, embedded_aws)
    listing = json.loads(run([tool("ansible-inventory"), "-i", inventory, "--list"], env=ansible_env).stdout)
    assert sorted(listing["role_web"]["hosts"]) == instances["web"]
    assert listing["role_db"]["hosts"] == instances["db"]
    for instance_id in instances["web"] + instances["db"]:
        hostvars = listing["_meta"]["hostvars"][instance_id]
        assert plain(hostvars["instance_id"]) == instance_id
        assert plain(hostvars["ansible_connection"]) == "local"


def test_readme_has_one_playbook_command():
    assert len(COMMAND) == 1 and "-e iamkit_target_hosts=role_web" in COMMAND[0], COMMAND


def test_instance_role_over_the_dynamic_inventory(ansible_env, embedded_aws, instances, tmp_path):
    inventory_file(tmp_path, embedded_aws)
    # As written in the README, from the folder holding the inventory file; the endpoint reaches the
    # modules through AWS_URL in the environment.
    command = ["bash", "-c", COMMAND[0]]
    cwd = str(tmp_path)
    iam = embedded_aws.client("iam")

    embedded_aws.reset_calls()
    run(["bash", "-c", COMMAND[0] + " --check"], env=ansible_env, cwd=cwd)
    assert write_calls(embedded_aws) == []
    assert associated_profiles(embedded_aws) == {}
    assert ROLE not in [role["RoleName"] for role in iam.list_roles()["Roles"]]

    first = run(command, env=ansible_env, cwd=cwd).stdout
    profile_arn = iam.get_instance_profile(InstanceProfileName=ROLE)["InstanceProfile"]["Arn"]
    # Only the hosts of the play (group role_web) get the profile; the db instance keeps none.
    assert associated_profiles(embedded_aws) == dict((instance, profile_arn) for instance in instances["web"])
    trust = iam.get_role(RoleName=ROLE)["Role"]["AssumeRolePolicyDocument"]
    assert [statement["Principal"] for statement in trust["Statement"]] == [{"Service": "ec2.amazonaws.com"}]
    assert sum(recap_changed(first).values()) > 0

    embedded_aws.reset_calls()
    second = run(command, env=ansible_env, cwd=cwd).stdout
    assert write_calls(embedded_aws) == []
    assert recap_changed(second) == dict((instance, 0) for instance in instances["web"])
