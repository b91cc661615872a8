"""Nothing the user did not describe is detached, deleted or disassociated; deleting what is in use needs force.
Secrets given as options never appear in module output or in ansible-playbook -vvv output."""

import json
import os
import subprocess
import sys

import pytest

from tests.reliability.support import connection
from tests.reliability.support import server_writes
from tests.support.embedded_aws import ami_id

CWASP = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
INLINE = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                             "Resource": "*"}]})


@pytest.fixture
def used(fresh, unique):
    """A role with a policy, an inline policy and tags, in a profile associated with two instances."""
    iam, ec2 = fresh.client("iam"), fresh.client("ec2")
    iam.create_role(RoleName=unique, AssumeRolePolicyDocument=TRUST, Tags=[{"Key": "keep", "Value": "me"}])
    iam.attach_role_policy(RoleName=unique, PolicyArn=CWASP)
    iam.put_role_policy(RoleName=unique, PolicyName="inline", PolicyDocument=INLINE)
    iam.create_instance_profile(InstanceProfileName=unique, Tags=[{"Key": "keep", "Value": "me"}])
    iam.add_role_to_instance_profile(InstanceProfileName=unique, RoleName=unique)
    ami = ami_id(ec2)
    ids = [i["InstanceId"] for i in ec2.run_instances(ImageId=ami, MinCount=2, MaxCount=2)["Instances"]]
    for instance_id in ids:
        ec2.associate_iam_instance_profile(IamInstanceProfile={"Name": unique}, InstanceId=instance_id)
    fresh.reset_calls()
    return fresh, unique, ids


def snapshot(server, name, ids):
    iam, ec2 = server.client("iam"), server.client("ec2")
    role = iam.get_role(RoleName=name)["Role"]
    profile = iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
    found = ec2.describe_iam_instance_profile_associations(
        Filters=[{"Name": "instance-id", "Values": ids}, {"Name": "state", "Values": ["associated"]}])
    return {
        "role_tags": role.get("Tags"),
        "attached": [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]],
        "inline": iam.list_role_policies(RoleName=name)["PolicyNames"],
        "profile_roles": [r["RoleName"] for r in profile["Roles"]], "profile_tags": profile.get("Tags"),
        "associations": sorted(a["InstanceId"] for a in found["IamInstanceProfileAssociations"]),
    }


OMITTING = [
    ("iam_role: no managed_policies, inline_policies or tags", "iam_role",
     lambda n, ids: dict(name=n, description="only this")),
    ("iam_instance_profile: no role, no tags", "iam_instance_profile", lambda n, ids: dict(name=n)),
    ("instance_profile_association: one instance of two", "instance_profile_association",
     lambda n, ids: dict(instance_ids=ids[:1], instance_profile=n)),
]


@pytest.mark.parametrize("case", OMITTING, ids=[c[0].split(":")[0] for c in OMITTING])
def test_what_a_task_omits_is_left_alone(used, module_runner, calls, case, figures):
    server, name, ids = used
    before = snapshot(server, name, ids)
    _title, module, args = case
    result = module_runner(module, connection(server, **args(name, ids)))
    assert not result.get("failed"), result
    assert snapshot(server, name, ids) == before
    assert not any(w.startswith(("Detach", "Delete", "Disassociate", "Remove", "Untag")) for w in calls.writes)
    figures.add("nothing-lost checks")


REFUSED = [
    ("iam_role", lambda n: dict(name=n, state="absent"), ["in use", "force"]),
    ("iam_instance_profile", lambda n: dict(name=n, state="absent"), ["in use", "force: true"]),
]


@pytest.mark.parametrize("module,args,words", REFUSED, ids=[c[0] for c in REFUSED])
def test_deleting_what_is_in_use_needs_force(used, module_runner, calls, module, args, words, figures):
    server, name, ids = used
    before = snapshot(server, name, ids)
    checked = module_runner(module, connection(server, **args(name)), check_mode=True)
    refused = module_runner(module, connection(server, **args(name)))
    for result in (checked, refused):
        assert result.get("failed") and all(w in result["msg"] for w in words), result
        assert ids[0] in result["msg"]
    assert calls.writes == [] and server_writes(server) == []
    assert snapshot(server, name, ids) == before
    forced = module_runner(module, connection(server, force=True, **args(name)))
    assert forced["changed"] and not forced.get("failed"), forced
    assert "DisassociateIamInstanceProfile" in calls.writes
    figures.add("nothing-lost checks")


SECRET = "iamkitSECRETvalue0123456789abcdefSECRET"
TOKEN = "iamkitTOKENvalue0123456789abcdefTOKEN"


def test_secret_options_never_appear_in_vvv_output(used, tmp_path, figures):
    """moto accepts any key until authorization is enforced, so the secret values can be real options here."""
    server, name, _ids = used
    playbook = tmp_path / "secrets.yml"
    tasks = [
        {"iamkit.ec2.%s" % module: dict(args, endpoint_url=server.endpoint, access_key=server.access_key,
                                        secret_key=SECRET, session_token=TOKEN, region="us-east-1"),
         "register": "out_%s" % module}
        for module, args in [("iam_role", {"name": name}), ("iam_role_info", {"name": name}),
                             ("iam_instance_profile", {"name": name}), ("iam_instance_profile_info", {"name": name}),
                             ("instance_profile_association_info", {"filters": {"instance-state-name": "running"}})]
    ]
    tasks.append({"ansible.builtin.debug": {"var": "out_iam_role"}})
    playbook.write_text(json.dumps([{"hosts": "localhost", "connection": "local", "gather_facts": False,
                                     "tasks": tasks}]))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(os.getcwd(), "tests", "output", "collections"),
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_NOCOLOR="1")
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.pop(key, None)
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), str(playbook), "-i", "localhost,",
               "-e", "ansible_python_interpreter=%s" % sys.executable, "-vvv"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in output  # -vvv did print the module arguments, masked
    assert SECRET not in output and TOKEN not in output
    figures.add("secret scans (-vvv)")
