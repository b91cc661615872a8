"""The floor: the API calls a converge needs, made directly with boto3 in one Python process.

No Ansible, no module start-up, no waiting: what is left between this and a playbook's wall time is the
collection's and Ansible's own overhead. Writes are sequential on one client, as a simple script would make them.
"""

import json

from benchmarks.fixtures import ACTIVE_STATES
from benchmarks.fixtures import MANAGED_POLICY_ARN
from benchmarks.fixtures import TRUST_POLICY
from benchmarks.fixtures import chunks


class Clients:
    """Made before the clock starts: creating a boto3 client is set-up, not an API call."""

    def __init__(self, aws):
        self.iam = aws.client("iam")
        self.ec2 = aws.client("ec2")


def _missing(call, **params):
    try:
        return call(**params), False
    except Exception as error:  # botocore's NoSuchEntity class differs per client; the code says it
        if getattr(error, "response", {}).get("Error", {}).get("Code") == "NoSuchEntity":
            return None, True
        raise


def ensure_role(iam, role, check=False):
    missing = _missing(iam.get_role, RoleName=role)[1]
    attached = [] if missing else iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    if check:
        return
    if missing:
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST_POLICY))
    if MANAGED_POLICY_ARN not in [p["PolicyArn"] for p in attached]:
        iam.attach_role_policy(RoleName=role, PolicyArn=MANAGED_POLICY_ARN)


def ensure_profile(iam, profile, role, check=False):
    """The profile's ARN (None in check mode when it does not exist yet)."""
    found, missing = _missing(iam.get_instance_profile, InstanceProfileName=profile)
    if not missing:
        current = found["InstanceProfile"]
        if not check and not current["Roles"]:
            iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
        return current["Arn"]
    if check:
        return None
    arn = iam.create_instance_profile(InstanceProfileName=profile)["InstanceProfile"]["Arn"]
    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    return arn


def read_instances(ec2, instance_ids):
    for part in chunks(instance_ids):
        ec2.describe_instances(Filters=[{"Name": "instance-id", "Values": part}], MaxResults=1000)


def read_associations(ec2, instance_ids):
    found = {}
    for part in chunks(instance_ids):
        filters = [{"Name": "instance-id", "Values": part}, {"Name": "state", "Values": ACTIVE_STATES}]
        for page in ec2.get_paginator("describe_iam_instance_profile_associations").paginate(
                Filters=filters, PaginationConfig={"PageSize": 1000}):
            for association in page["IamInstanceProfileAssociations"]:
                found[association["InstanceId"]] = association
    return found


def ensure_associations(ec2, instance_ids, profile_arn, check=False):
    read_instances(ec2, instance_ids)
    current = read_associations(ec2, instance_ids)
    if check or profile_arn is None:
        return
    for instance_id in instance_ids:
        association = current.get(instance_id)
        if association is None:
            ec2.associate_iam_instance_profile(IamInstanceProfile={"Arn": profile_arn}, InstanceId=instance_id)
        elif association["IamInstanceProfile"]["Arn"] != profile_arn:
            ec2.replace_iam_instance_profile_association(IamInstanceProfile={"Arn": profile_arn},
                                                         AssociationId=association["AssociationId"])


def identity(clients, role, profile, instance_ids, check=False):
    """Scenarios 1, 3 and 4: role, profile, association."""
    ensure_role(clients.iam, role, check)
    arn = ensure_profile(clients.iam, profile, role, check)
    ensure_associations(clients.ec2, instance_ids, arn, check)


def association(clients, profile, instance_ids):
    """Scenario 2: look the profile up by name, then associate or replace where needed."""
    arn = clients.iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]["Arn"]
    ensure_associations(clients.ec2, instance_ids, arn)
