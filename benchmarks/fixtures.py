"""The benchmark's world: one embedded AWS that paginates and refuses like AWS, a pool of instances, and
the checks that say whether a run left AWS as it should.

Setting up and checking are done with boto3 outside the measured window, and the call log is cleared
before each measured run, so none of it is counted.
"""

import os

from tests.support.embedded_aws import EmbeddedAWS
from tests.support.embedded_aws import is_write

HERE = os.path.dirname(os.path.abspath(__file__))

MANAGED_POLICY = "CloudWatchAgentServerPolicy"
MANAGED_POLICY_ARN = "arn:aws:iam::aws:policy/" + MANAGED_POLICY
TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
# AWS refuses more than 200 values in one filter; the pool is made and read in chunks of that size.
CHUNK = 200
ACTIVE_STATES = ["associating", "associated"]


def start_aws(folder):
    """The embedded AWS with the fidelity extension: MaxResults honoured, replace on a stopped instance
    refused, and DescribeInstances showing the new profile after a replace (as AWS does); and the faults
    extension, whose EC2 rate limits scenario 5 switches on (it injects nothing unless asked)."""
    return EmbeddedAWS.start(os.path.join(folder, "aws.json"), extensions=["aws_fidelity", "faults"])


def chunks(values, size=CHUNK):
    values = list(values)
    return [values[i:i + size] for i in range(0, len(values), size)]


def make_instances(aws, count):
    """`count` running instances, made in calls of at most CHUNK."""
    ec2 = aws.client("ec2")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    made = []
    for size in [len(part) for part in chunks(range(count))]:
        reservation = ec2.run_instances(ImageId=image, MinCount=size, MaxCount=size, InstanceType="t3.micro")
        made.extend(instance["InstanceId"] for instance in reservation["Instances"])
    # moto moves an instance from pending to running when it is first described.
    for part in chunks(made):
        ec2.describe_instances(InstanceIds=part)
    return made


def active_associations(ec2, instance_ids):
    """{instance_id: association} for the instances' current associations."""
    found = {}
    for part in chunks(instance_ids):
        filters = [{"Name": "instance-id", "Values": part}, {"Name": "state", "Values": ACTIVE_STATES}]
        for page in ec2.get_paginator("describe_iam_instance_profile_associations").paginate(Filters=filters):
            for association in page["IamInstanceProfileAssociations"]:
                found[association["InstanceId"]] = association
    return found


def clear_associations(aws, instance_ids):
    """Leave the instances without any profile, so the next run starts from scratch."""
    ec2 = aws.client("ec2")
    for association in active_associations(ec2, instance_ids).values():
        ec2.disassociate_iam_instance_profile(AssociationId=association["AssociationId"])


def make_identity(aws, role, profile):
    """A role (with the managed policy) inside a profile, made directly: the starting point of the
    association scenarios. Returns the profile ARN."""
    iam = aws.client("iam")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=_json(TRUST_POLICY))
    iam.attach_role_policy(RoleName=role, PolicyArn=MANAGED_POLICY_ARN)
    arn = iam.create_instance_profile(InstanceProfileName=profile)["InstanceProfile"]["Arn"]
    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    return arn


def _json(document):
    import json

    return json.dumps(document)


# --------------------------------------------------------------------------------------------- checks

def associated_with(aws, instance_ids, profile):
    """'' when every instance has an active association with the named profile, else what is wrong."""
    current = active_associations(aws.client("ec2"), instance_ids)
    wrong = [i for i in instance_ids
             if i not in current or current[i]["IamInstanceProfile"]["Arn"].rsplit("/", 1)[-1] != profile]
    if wrong:
        return "%d of %d instances without profile %s (e.g. %s)" % (len(wrong), len(instance_ids), profile, wrong[0])
    return ""


def without_association(aws, instance_ids):
    current = active_associations(aws.client("ec2"), instance_ids)
    if current:
        return "%d instances were associated" % len(current)
    return ""


def identity_made(aws, role, profile):
    """'' when the role holds the managed policy and the profile holds the role, else what is missing."""
    iam = aws.client("iam")
    try:
        attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
        roles = iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]["Roles"]
    except iam.exceptions.NoSuchEntityException as error:
        return "missing: %s" % error
    if [p["PolicyArn"] for p in attached] != [MANAGED_POLICY_ARN]:
        return "role %s has policies %s" % (role, [p["PolicyArn"] for p in attached])
    if [r["RoleName"] for r in roles] != [role]:
        return "profile %s holds %s" % (profile, [r["RoleName"] for r in roles])
    return ""


def identity_absent(aws, role, profile):
    """'' when neither the role nor the profile exists (what check mode must leave)."""
    iam = aws.client("iam")
    found = []
    for label, call, key in (("role", iam.get_role, "RoleName"),
                             ("profile", iam.get_instance_profile, "InstanceProfileName")):
        try:
            call(**{key: role if label == "role" else profile})
            found.append(label)
        except iam.exceptions.NoSuchEntityException:
            pass
    return ("%s created" % " and ".join(found)) if found else ""


def writes(actions):
    return [action for action in actions if is_write(action)]
