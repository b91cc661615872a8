"""What a run of the collection's playbooks leaves behind, read from outside: AWS with boto3, the hosts with
commands in them. Two worlds that ran the same playbooks with the same variables give equal outcomes."""

import json

from tests.support.demo import AGENT_SERVICES
from tests.support.embedded_aws import is_write

# What fetch-config took in: its copy of the configuration the role wrote (../shared/cloudwatch-agent/FACTS.md).
AGENT_CONFIG_DIR = "/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.d"
AGENT_JSON = AGENT_CONFIG_DIR + "/file_amazon-cloudwatch-agent.json"
AGENT_CTL = "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl"


def role_outcome(iam, name):
    """The role and its same-name instance profile, without ids and dates (they differ between worlds)."""
    role = iam.get_role(RoleName=name)["Role"]
    attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    profile = iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
    return {
        "path": role["Path"], "trust": role["AssumeRolePolicyDocument"], "description": role.get("Description"),
        "tags": sorted((tag["Key"], tag["Value"]) for tag in role.get("Tags", [])),
        "managed_policies": sorted(policy["PolicyName"] for policy in attached),
        "inline_policies": sorted(iam.list_role_policies(RoleName=name)["PolicyNames"]),
        "profile": {"path": profile["Path"], "roles": [item["RoleName"] for item in profile["Roles"]]},
    }


def association_outcome(ec2, world):
    """{host name: profile name} of the associated profiles (the associations API, which moto gets right)."""
    found = {}
    for host in world.hosts:
        associations = ec2.describe_iam_instance_profile_associations(
            Filters=[{"Name": "instance-id", "Values": [host["instance_id"]]},
                     {"Name": "state", "Values": ["associated"]}])["IamInstanceProfileAssociations"]
        found[host["name"]] = sorted(item["IamInstanceProfile"]["Arn"].rsplit("/", 1)[1] for item in associations)
    return found


def aws_outcome(world, role_names):
    iam, ec2 = world.aws.client("iam"), world.aws.client("ec2")
    return {"roles": {name: role_outcome(iam, name) for name in role_names},
            "associations": association_outcome(ec2, world)}


def host_outcome(world, name):
    """The agent on one host: package, service, configuration, and what its own ctl says."""
    config = world.exec(name, "cat", AGENT_JSON)
    configs = world.exec(name, "ls", AGENT_CONFIG_DIR)
    status = world.exec(name, AGENT_CTL, "-a", "status")
    package = world.exec(name, "dpkg-query", "-W", "-f", "${Status} ${Version}", "amazon-cloudwatch-agent")
    active = world.exec(name, "systemctl", "is-active", "amazon-cloudwatch-agent")
    ctl = json.loads(status.stdout) if status.returncode == 0 else {}
    return {
        "package": package.stdout.strip(), "service": active.stdout.strip(),
        "config": json.loads(config.stdout) if config.returncode == 0 else None,
        "config_files": configs.stdout.split(),
        "status": {key: ctl.get(key) for key in ("status", "configstatus", "version")},
    }


def hosts_outcome(world):
    return {host["name"]: host_outcome(world, host["name"]) for host in world.hosts}


def playbook_writes(aws):
    """The write calls the embedded AWS received since its log was cleared, leaving out what the running
    agents send on their own (metrics and logs)."""
    return [call["action"] for call in aws.calls()
            if is_write(call["action"]) and call["service"] not in AGENT_SERVICES]
