"""For every module, a table of cases run three ways: in check mode, for real, and again.

Check mode predicts `changed` with zero writes and AWS untouched; `diff.before != diff.after` exactly when
`changed`; check mode and the real run report the same changes and the same diff; the second run writes
nothing and reports no change. AWS is read with boto3 (outside the collection) before and after.
"""

import json

import pytest

from tests.support.embedded_aws import ami_id
from tests.support.fixtures import EC2_TRUST_JSON
from tests.support.fixtures import make_role

CW = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"
SSM = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
S3_READ = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                   "Resource": "arn:aws:s3:::seed/*"}]}
ACCOUNT_TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                         "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}]}


def snapshot(aws_clients):
    """Everything these modules can change, as AWS holds it."""
    iam, ec2 = aws_clients("iam"), aws_clients("ec2")
    roles = {}
    for role in iam.list_roles()["Roles"]:
        name = role["RoleName"]
        full = iam.get_role(RoleName=name)["Role"]
        roles[name] = {
            "trust": full["AssumeRolePolicyDocument"], "description": full.get("Description"),
            "duration": full["MaxSessionDuration"], "boundary": full.get("PermissionsBoundary"),
            "tags": full.get("Tags", []),
            "managed": sorted(p["PolicyArn"]
                              for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]),
            "inline": dict((p, iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"])
                           for p in iam.list_role_policies(RoleName=name)["PolicyNames"]),
        }
    profiles = {}
    for listed in iam.list_instance_profiles()["InstanceProfiles"]:
        profile = iam.get_instance_profile(InstanceProfileName=listed["InstanceProfileName"])["InstanceProfile"]
        profiles[profile["InstanceProfileName"]] = (profile["Path"], [r["RoleName"] for r in profile["Roles"]],
                                                    profile.get("Tags", []))
    associations = sorted((a["InstanceId"], a["IamInstanceProfile"]["Arn"])
                          for a in ec2.describe_iam_instance_profile_associations()["IamInstanceProfileAssociations"]
                          if a["State"] in ("associating", "associated"))
    return {"roles": roles, "profiles": profiles, "associations": associations}


def instance(aws_clients, profile=None, stopped=False):
    ec2 = aws_clients("ec2")
    instance_id = ec2.run_instances(ImageId=ami_id(ec2), MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    if profile:
        ec2.associate_iam_instance_profile(IamInstanceProfile={"Name": profile}, InstanceId=instance_id)
    if stopped:
        ec2.stop_instances(InstanceIds=[instance_id])
    return instance_id


def profile_with_role(iam, name, role):
    make_role(iam, role)
    iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=role)


def role_with_everything(iam, name="r"):
    make_role(iam, name)
    iam.attach_role_policy(RoleName=name, PolicyArn=CW)
    iam.put_role_policy(RoleName=name, PolicyName="read", PolicyDocument=json.dumps(S3_READ))
    iam.tag_role(RoleName=name, Tags=[{"Key": "team", "Value": "a"}])


def no_setup(aws_clients):
    return {}


ROLE = dict(name="r", create_instance_profile=False)

# (case, module, setup(aws_clients) -> extra args, args)
CASES = [
    ("role: create", "iam_role", no_setup, dict(ROLE, trusted_services=["ec2.amazonaws.com"], managed_policies=[CW],
                                                inline_policies={"read": S3_READ}, tags={"team": "a"})),
    ("role: trust policy", "iam_role", lambda a: make_role(a("iam"), "r") and {},
     dict(ROLE, assume_role_policy_document=ACCOUNT_TRUST)),
    ("role: description and duration", "iam_role", lambda a: make_role(a("iam"), "r") and {},
     dict(ROLE, description="agent", max_session_duration=7200)),
    ("role: boundary set", "iam_role", lambda a: make_role(a("iam"), "r") and {}, dict(ROLE, boundary=READ_ONLY)),
    ("role: boundary removed", "iam_role",
     lambda a: a("iam").create_role(RoleName="r", AssumeRolePolicyDocument=EC2_TRUST_JSON,
                                    PermissionsBoundary=READ_ONLY) and {}, dict(ROLE, boundary="")),
    ("role: tags", "iam_role", lambda a: role_with_everything(a("iam")) or {}, dict(ROLE, tags={"env": "prod"})),
    ("role: managed policies", "iam_role", lambda a: role_with_everything(a("iam")) or {},
     dict(ROLE, managed_policies=[SSM, "ReadOnlyAccess"])),
    ("role: inline policies", "iam_role", lambda a: role_with_everything(a("iam")) or {},
     dict(ROLE, inline_policies={"other": S3_READ})),
    ("role: same-name profile", "iam_role", lambda a: make_role(a("iam"), "r") and {},
     dict(name="r", create_instance_profile=True)),
    ("role: delete", "iam_role", lambda a: role_with_everything(a("iam")) or {}, dict(name="r", state="absent")),
    ("role: forced delete", "iam_role",
     lambda a: profile_with_role(a("iam"), "r", "r") or instance(a, "r") and {},
     dict(name="r", state="absent", force=True, delete_instance_profile=True)),
    ("profile: create with role", "iam_instance_profile", lambda a: make_role(a("iam"), "r") and {},
     dict(name="p", role="r", tags={"team": "a"})),
    ("profile: role swap", "iam_instance_profile", lambda a: profile_with_role(a("iam"), "p", "old") or
     make_role(a("iam"), "new") and {}, dict(name="p", role="new")),
    ("profile: role emptied", "iam_instance_profile", lambda a: profile_with_role(a("iam"), "p", "old") or {},
     dict(name="p", role="")),
    ("profile: tags", "iam_instance_profile", lambda a: profile_with_role(a("iam"), "p", "old") or {},
     dict(name="p", tags={"team": "b"})),
    ("profile: delete", "iam_instance_profile", lambda a: profile_with_role(a("iam"), "p", "old") or {},
     dict(name="p", state="absent")),
    ("profile: forced delete", "iam_instance_profile",
     lambda a: profile_with_role(a("iam"), "p", "old") or instance(a, "p") and {},
     dict(name="p", state="absent", force=True)),
    ("association: associate", "instance_profile_association",
     lambda a: profile_with_role(a("iam"), "p", "r") or {"instance_ids": [instance(a), instance(a)]},
     dict(instance_profile="p")),
    ("association: replace", "instance_profile_association",
     lambda a: profile_with_role(a("iam"), "p", "r") or profile_with_role(a("iam"), "q", "s") or
     {"instance_ids": [instance(a, "q")]}, dict(instance_profile="p")),
    ("association: stopped instance", "instance_profile_association",
     lambda a: profile_with_role(a("iam"), "p", "r") or profile_with_role(a("iam"), "q", "s") or
     {"instance_ids": [instance(a, "q", stopped=True)]}, dict(instance_profile="p")),
    ("association: disassociate", "instance_profile_association",
     lambda a: profile_with_role(a("iam"), "p", "r") or {"instance_ids": [instance(a, "p"), instance(a)]},
     dict(instance_profile="p", state="absent")),
]


@pytest.mark.parametrize("case, module, setup, args", CASES, ids=[c[0] for c in CASES])
def test_check_mode_diff_and_changed_agree_and_the_second_run_writes_nothing(
        case, module, setup, args, module_runner, calls, aws_clients):
    args = dict(args, **setup(aws_clients))
    before = snapshot(aws_clients)

    checked = module_runner(module, args, check_mode=True, diff=True)
    assert not checked.get("failed"), checked
    assert checked["changed"] is True and calls.writes == []
    assert snapshot(aws_clients) == before, "check mode changed AWS"
    assert checked["diff"]["before"] != checked["diff"]["after"]

    done = module_runner(module, args, diff=True)
    assert not done.get("failed"), done
    assert done["changed"] is True and calls.writes
    assert done["changes"] == checked["changes"] and len(calls.writes) >= len(done["changes"])
    assert done["diff"] == checked["diff"]
    assert snapshot(aws_clients) != before

    after = snapshot(aws_clients)
    again = module_runner(module, args, diff=True)
    assert again["changed"] is False and calls.writes == [] and again["changes"] == []
    assert again["diff"]["before"] == again["diff"]["after"]
    assert snapshot(aws_clients) == after
