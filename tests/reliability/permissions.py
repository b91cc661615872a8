"""The minimal IAM policy of each module and role: the single source of docs/permissions.md, of the modules'
permission notes (a test compares them) and of the least-privilege tests.

Each module has a scenario: steps that together make every call the module can make. Under moto's enforced
authorization the scenario runs with exactly the module's policy, then once per action with that action removed.
"""

import json

from tests.support.embedded_aws import ami_id

CWASP = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
INLINE = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}

# Actions a module needs on AWS that moto does not check; documented, not testable here.
UNCHECKED = {
    "iam:PassRole": "AssociateIamInstanceProfile and ReplaceIamInstanceProfileAssociation need iam:PassRole on the "
                    "role inside the profile (AWS checks it; moto does not).",
}

POLICIES = {
    "iam_role": [
        "iam:GetRole", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:GetRolePolicy",
        "iam:GetPolicy", "iam:ListPolicies", "iam:CreateRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy",
        "iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary", "iam:TagRole", "iam:UntagRole",
        "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:PutRolePolicy", "iam:DeleteRolePolicy",
        "iam:GetInstanceProfile", "iam:CreateInstanceProfile", "iam:AddRoleToInstanceProfile",
        "iam:ListInstanceProfilesForRole", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile",
        "iam:DeleteRole", "ec2:DescribeIamInstanceProfileAssociations", "ec2:DisassociateIamInstanceProfile",
    ],
    "iam_role_info": [
        "iam:GetRole", "iam:ListRoles", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies",
        "iam:ListInstanceProfilesForRole",
    ],
    "iam_instance_profile": [
        "iam:GetInstanceProfile", "iam:GetRole", "iam:CreateInstanceProfile", "iam:AddRoleToInstanceProfile",
        "iam:RemoveRoleFromInstanceProfile", "iam:TagInstanceProfile", "iam:UntagInstanceProfile",
        "iam:DeleteInstanceProfile", "ec2:DescribeIamInstanceProfileAssociations",
        "ec2:DisassociateIamInstanceProfile",
    ],
    "iam_instance_profile_info": [
        "iam:GetInstanceProfile", "iam:ListInstanceProfiles", "ec2:DescribeIamInstanceProfileAssociations",
    ],
    "instance_profile_association": [
        "iam:GetInstanceProfile", "ec2:DescribeInstances", "ec2:DescribeIamInstanceProfileAssociations",
        "ec2:AssociateIamInstanceProfile", "ec2:ReplaceIamInstanceProfileAssociation",
        "ec2:DisassociateIamInstanceProfile",
    ],
    "instance_profile_association_info": [
        "ec2:DescribeInstances", "ec2:DescribeIamInstanceProfileAssociations",
    ],
}

# The roles' controller-side policies: what their tasks call (the union of the modules' calls they make).
ROLE_POLICIES = {
    "instance_role": [
        "iam:GetRole", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:GetPolicy", "iam:CreateRole",
        "iam:TagRole", "iam:AttachRolePolicy", "iam:GetInstanceProfile", "iam:CreateInstanceProfile",
        "iam:AddRoleToInstanceProfile", "iam:TagInstanceProfile", "ec2:DescribeInstances",
        "ec2:DescribeIamInstanceProfileAssociations", "ec2:AssociateIamInstanceProfile",
        "ec2:ReplaceIamInstanceProfileAssociation",
    ],
}

# What the instances themselves need to run the CloudWatch agent (AWS's managed CloudWatchAgentServerPolicy).
AGENT_ACTIONS = [
    "cloudwatch:PutMetricData", "ec2:DescribeVolumes", "ec2:DescribeTags", "logs:PutLogEvents",
    "logs:DescribeLogStreams", "logs:DescribeLogGroups", "logs:CreateLogStream", "logs:CreateLogGroup",
    "logs:PutRetentionPolicy", "xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
    "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries", "ssm:GetParameter",
]


def policy_document(actions):
    return json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Action": sorted(actions), "Resource": "*"}]})


# ----------------------------------------------------------------------------------------------- scenarios
# A step is (description, setup(admin, names) run with the admin's keys, module arguments from names).

def _instances(admin, names, count=2):
    ec2 = admin("ec2")
    ami = ami_id(ec2)
    launched = ec2.run_instances(ImageId=ami, MinCount=count, MaxCount=count)["Instances"]
    names["ids"] = [i["InstanceId"] for i in launched]


def _customer_policy(admin, names):
    iam = admin("iam")
    iam.create_policy(PolicyName=names["policy"], Path="/team/", PolicyDocument=json.dumps(INLINE))
    iam.create_policy(PolicyName=names["boundary"], PolicyDocument=json.dumps(INLINE))
    _instances(admin, names, 1)


def _associate_role_profile(admin, names):
    admin("ec2").associate_iam_instance_profile(IamInstanceProfile={"Name": names["role"]},
                                                InstanceId=names["ids"][0])


def _nothing(admin, names):
    return None


def _boundary_arn(names):
    return "arn:aws:iam::123456789012:policy/%s" % names["boundary"]


SCENARIOS = {
    "iam_role": [
        ("create with policies by name, inline policy, tags and its profile", _customer_policy, lambda n: dict(
            name=n["role"], assume_role_policy_document=json.dumps(TRUST), description="first",
            managed_policies=["CloudWatchAgentServerPolicy", n["policy"]], inline_policies={"one": INLINE},
            tags={"a": "1", "b": "2"}, create_instance_profile=True)),
        ("update everything", _nothing, lambda n: dict(
            name=n["role"], trusted_services=["ec2.amazonaws.com", "ssm.amazonaws.com"], description="second",
            boundary=_boundary_arn(n), managed_policies=["CloudWatchAgentServerPolicy"],
            inline_policies={"one": INLINE, "two": INLINE}, tags={"a": "1", "c": "3"})),
        ("remove the boundary and an inline policy", _nothing, lambda n: dict(
            name=n["role"], boundary="", inline_policies={"two": INLINE})),
        ("delete while in use, with force", _associate_role_profile, lambda n: dict(
            name=n["role"], state="absent", force=True, delete_instance_profile=True)),
    ],
    "iam_role_info": [
        ("one role, then roles under a path", lambda admin, n: admin("iam").create_role(
            RoleName=n["role"], Path="/team/", AssumeRolePolicyDocument=json.dumps(TRUST)),
         lambda n: dict(name=n["role"])),
        ("roles under a path", _nothing, lambda n: dict(path_prefix="/team/")),
    ],
    "iam_instance_profile": [
        ("create with a role and tags", lambda admin, n: [
            admin("iam").create_role(RoleName=n["role"], AssumeRolePolicyDocument=json.dumps(TRUST)),
            admin("iam").create_role(RoleName=n["role"] + "-2", AssumeRolePolicyDocument=json.dumps(TRUST)),
            _instances(admin, n, 1)],
         lambda n: dict(name=n["profile"], role=n["role"], tags={"a": "1", "b": "2"})),
        ("swap the role and the tags", _nothing, lambda n: dict(
            name=n["profile"], role=n["role"] + "-2", tags={"a": "1", "c": "3"})),
        ("delete while in use, with force", lambda admin, n: admin("ec2").associate_iam_instance_profile(
            IamInstanceProfile={"Name": n["profile"]}, InstanceId=n["ids"][0]),
         lambda n: dict(name=n["profile"], state="absent", force=True)),
    ],
    "iam_instance_profile_info": [
        ("one profile", lambda admin, n: admin("iam").create_instance_profile(InstanceProfileName=n["profile"]),
         lambda n: dict(name=n["profile"])),
        ("every profile, with the instances using them", _nothing, lambda n: dict(include_instances=True)),
    ],
    "instance_profile_association": [
        ("associate, and replace another profile", lambda admin, n: [
            _instances(admin, n, 2),
            admin("iam").create_instance_profile(InstanceProfileName=n["profile"]),
            admin("iam").create_instance_profile(InstanceProfileName=n["profile"] + "-old"),
            admin("ec2").associate_iam_instance_profile(IamInstanceProfile={"Name": n["profile"] + "-old"},
                                                        InstanceId=n["ids"][0])],
         lambda n: dict(instance_ids=n["ids"], instance_profile=n["profile"])),
        ("disassociate", _nothing,
         lambda n: dict(instance_ids=n["ids"], instance_profile=n["profile"], state="absent")),
    ],
    "instance_profile_association_info": [
        ("by instance ids", lambda admin, n: _instances(admin, n, 1), lambda n: dict(instance_ids=n["ids"])),
        ("by filters", _nothing, lambda n: dict(filters={"instance-state-name": "running"})),
    ],
}
