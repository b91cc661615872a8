"""instance_role's SDK profiles (instance_role_assume_profiles) written into a host's AWS config, the way users
run the role, against the embedded AWS; the host is this machine (local connection), its config a temporary file.

The file is judged from outside: as text (the lines a person wrote are kept byte for byte) and as botocore's own
config loader reads it (each profile has role_arn and credential_source = Ec2InstanceMetadata). Every change is
checked again for idempotence and in check mode; bad input fails before any call that changes AWS.
"""

import json
import os

import botocore.configloader
import pytest

from tests.support.ansible_cli import clean_env
from tests.support.ansible_cli import playbook_command
from tests.support.ansible_cli import run
from tests.support.ansible_cli import write_calls
from tests.support.embedded_aws import ami_id
from tests.support.paths import COLLECTIONS

ROLE = "iamkit-profiles-host"
CENTRAL = "arn:aws:iam::111122223333:role/central-writer"
AUDIT = "arn:aws:iam::444455556666:role/audit/reader"
BY_HAND = "[default]\nregion = eu-west-1\n\n[profile mine]\nregion = eu-central-1\noutput = json\n"

PLAYBOOK = """---
- name: instance_role with SDK profiles on this machine
  hosts: localhost
  connection: local
  gather_facts: false
  module_defaults:
    group/iamkit.ec2.aws:
      endpoint_url: "{{ endpoint }}"
      region: us-east-1
      access_key: "{{ access_key }}"
      secret_key: "{{ secret_key }}"
  roles:
    - role: iamkit.ec2.instance_role
      instance_role_name: %s
      instance_role_associate: false
""" % ROLE


@pytest.fixture
def apply_role(embedded_aws, tmp_path):
    """apply_role(check_mode=False, **role_vars) -> (returncode, output, changed task names)."""
    playbook = tmp_path / "playbook.yml"
    playbook.write_text(PLAYBOOK)

    def apply(check_mode=False, **role_vars):
        extra = tmp_path / "vars.json"
        extra.write_text(json.dumps(dict(role_vars, endpoint=embedded_aws.endpoint, access_key=embedded_aws.access_key,
                                         secret_key=embedded_aws.secret_key)))
        env = clean_env(tmp_path, collections_path=COLLECTIONS)
        env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.posix.json"
        embedded_aws.reset_calls()
        result = run(playbook_command(str(playbook), "localhost,", ["@%s" % extra], check_mode=check_mode), env,
                     cwd=str(tmp_path), check=False)
        report = json.loads(result.stdout)
        changed = [task["task"]["name"].split(" : ", 1)[-1] for play in report["plays"] for task in play["tasks"]
                   if task["hosts"].get("localhost", {}).get("changed")]
        failed = [task["hosts"]["localhost"] for play in report["plays"] for task in play["tasks"]
                  if task["hosts"].get("localhost", {}).get("failed")]
        # A failed loop says "One or more items failed"; each item's own message is in its results.
        messages = [str(item.get("msg", "")) for host in failed for item in [host] + host.get("results", [])]
        return result.returncode, " ".join(messages), changed

    return apply


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "aws" / "config"
    path.parent.mkdir()
    path.write_text(BY_HAND)
    os.chmod(path, 0o644)
    return path


def profiles_of(path):
    return botocore.configloader.load_config(str(path))["profiles"]


def assert_converged(apply, embedded_aws, **role_vars):
    code, _output, changed = apply(**role_vars)
    assert code == 0 and changed == [], changed
    assert write_calls(embedded_aws) == []
    code, _output, changed = apply(check_mode=True, **role_vars)
    assert code == 0 and changed == [], changed


def test_profiles_are_written_beside_what_a_person_wrote_and_converge(apply_role, embedded_aws, config):
    profiles = [{"name": "central", "role_arn": CENTRAL, "region": "us-east-1", "external_id": "seed-7"},
                {"name": "audit", "role_arn": AUDIT}]
    role_vars = dict(instance_role_assume_profiles=profiles, instance_role_aws_config_path=str(config))

    code, failure, changed = apply_role(check_mode=True, **role_vars)
    assert code == 0, failure
    assert "Write each SDK profile" in changed
    assert config.read_text() == BY_HAND
    assert write_calls(embedded_aws) == []

    code, failure, changed = apply_role(**role_vars)
    assert code == 0, failure
    assert "Write each SDK profile" in changed
    text = config.read_text()
    assert text.startswith(BY_HAND)
    read = profiles_of(config)
    assert read["central"] == {"role_arn": CENTRAL, "credential_source": "Ec2InstanceMetadata",
                               "region": "us-east-1", "external_id": "seed-7"}
    assert read["audit"] == {"role_arn": AUDIT, "credential_source": "Ec2InstanceMetadata"}
    assert read["mine"] == {"region": "eu-central-1", "output": "json"}
    assert read["default"] == {"region": "eu-west-1"}
    # The file existed: its mode is the person's, not the role's.
    assert oct(os.stat(config).st_mode & 0o777) == "0o644"
    assert_converged(apply_role, embedded_aws, **role_vars)


def test_the_list_is_exclusive_over_the_profiles_the_role_wrote_only(apply_role, embedded_aws, config):
    both = [{"name": "central", "role_arn": CENTRAL}, {"name": "audit", "role_arn": AUDIT}]
    assert apply_role(instance_role_assume_profiles=both, instance_role_aws_config_path=str(config))[0] == 0

    one = dict(instance_role_assume_profiles=both[:1], instance_role_aws_config_path=str(config))
    code, _output, changed = apply_role(check_mode=True, **one)
    assert code == 0 and "Remove the SDK profiles this role wrote that are no longer listed" in changed
    assert sorted(profiles_of(config)) == ["audit", "central", "default", "mine"]
    assert apply_role(**one)[0] == 0
    assert sorted(profiles_of(config)) == ["central", "default", "mine"]
    assert_converged(apply_role, embedded_aws, **one)

    # Omitted: the file is left alone.
    assert apply_role(instance_role_aws_config_path=str(config))[2] == []
    assert sorted(profiles_of(config)) == ["central", "default", "mine"]

    none = dict(instance_role_assume_profiles=[], instance_role_aws_config_path=str(config))
    assert apply_role(**none)[0] == 0
    assert config.read_text() == BY_HAND
    assert_converged(apply_role, embedded_aws, **none)


def test_a_new_config_file_is_created_private(apply_role, embedded_aws, tmp_path):
    path = tmp_path / "fresh" / ".aws" / "config"
    role_vars = dict(instance_role_assume_profiles=[{"name": "central", "role_arn": CENTRAL}],
                     instance_role_aws_config_path=str(path))
    code, failure, _changed = apply_role(check_mode=True, **role_vars)
    assert code == 0, failure
    assert not path.exists()
    assert apply_role(**role_vars)[0] == 0
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    assert profiles_of(path)["central"]["role_arn"] == CENTRAL
    assert_converged(apply_role, embedded_aws, **role_vars)


def test_a_hand_written_profile_of_that_name_is_refused_before_anything_changes(apply_role, embedded_aws, config):
    role_vars = dict(instance_role_assume_profiles=[{"name": "mine", "role_arn": CENTRAL}],
                     instance_role_aws_config_path=str(config))
    code, failure, changed = apply_role(**role_vars)
    assert code != 0
    assert "instance_role_assume_profiles" in failure and "mine" in failure and "by hand" in failure
    assert changed == []
    assert config.read_text() == BY_HAND
    assert write_calls(embedded_aws) == []


@pytest.mark.parametrize("profile, words", [
    ({"name": "central", "role_arn": "arn:aws:iam::111122223333:user/central"}, ["role_arn", "IAM role ARN"]),
    ({"name": "central", "role_arn": "arn:aws:iam::1111:role/central"}, ["role_arn"]),
    ({"name": "has space", "role_arn": CENTRAL}, ["name must be"]),
    ({"name": "central", "role_arn": CENTRAL, "region": "Europe"}, ["region"]),
    ({"name": "central", "role_arn": CENTRAL, "external_id": "x"}, ["external_id"]),
])
def test_bad_profiles_fail_before_any_change(apply_role, embedded_aws, config, profile, words):
    role_vars = dict(instance_role_assume_profiles=[profile], instance_role_aws_config_path=str(config))
    code, failure, changed = apply_role(**role_vars)
    assert code != 0
    for word in ["instance_role_assume_profiles"] + words:
        assert word in failure, failure
    assert changed == []
    assert config.read_text() == BY_HAND
    assert write_calls(embedded_aws) == []


def test_an_unknown_key_in_a_profile_is_refused_by_the_argument_spec(apply_role, embedded_aws, config):
    role_vars = dict(instance_role_assume_profiles=[{"name": "central", "role_arn": CENTRAL, "rolearn": CENTRAL}],
                     instance_role_aws_config_path=str(config))
    code, failure, changed = apply_role(**role_vars)
    assert code != 0 and "rolearn" in failure, failure
    assert config.read_text() == BY_HAND
    assert write_calls(embedded_aws) == []


def test_state_absent_removes_the_profiles_the_role_wrote(apply_role, embedded_aws, config):
    written = dict(instance_role_assume_profiles=[{"name": "central", "role_arn": CENTRAL}],
                   instance_role_aws_config_path=str(config))
    assert apply_role(**written)[0] == 0
    # This machine is no EC2 instance: the instance the role disassociates from is named, not read from IMDS.
    ec2 = embedded_aws.client("ec2")
    instance_id = ec2.run_instances(ImageId=ami_id(ec2), MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    absent = dict(instance_role_state="absent", instance_role_aws_config_path=str(config),
                  instance_role_instance_id=instance_id)
    code, failure, changed = apply_role(check_mode=True, **absent)
    assert code == 0, failure
    assert "central" in profiles_of(config)
    code, failure, _changed = apply_role(**absent)
    assert code == 0, failure
    assert config.read_text() == BY_HAND
    assert_converged(apply_role, embedded_aws, **absent)


# state absent in check mode with the play's instance associated: the disassociation is only predicted, so the
# profile and role deletions see the instance still holding the profile. That must read as "would be removed",
# while an instance outside the play that uses the profile still fails the run (nothing another user relies on
# is removed without force).

def associated_instance(embedded_aws, profile=None):
    ec2 = embedded_aws.client("ec2")
    instance_id = ec2.run_instances(ImageId=ami_id(ec2), MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    if profile:
        ec2.associate_iam_instance_profile(InstanceId=instance_id, IamInstanceProfile={"Name": profile})
    return instance_id


def profile_holders(embedded_aws):
    answer = embedded_aws.client("ec2").describe_iam_instance_profile_associations()
    return sorted(a["InstanceId"] for a in answer["IamInstanceProfileAssociations"]
                  if a["IamInstanceProfile"]["Arn"].endswith(":instance-profile/" + ROLE))


def test_state_absent_in_check_mode_predicts_the_removal_of_an_associated_role(apply_role, embedded_aws, config):
    instance_id = associated_instance(embedded_aws)
    placed = dict(instance_role_associate=True, instance_role_instance_id=instance_id,
                  instance_role_aws_config_path=str(config))
    code, failure, _changed = apply_role(**placed)
    assert code == 0, failure
    assert profile_holders(embedded_aws) == [instance_id]

    absent = dict(placed, instance_role_state="absent")
    code, failure, changed = apply_role(check_mode=True, **absent)
    assert code == 0, failure
    assert {"Disassociate the profile from the play's instances, in one call", "Remove the instance profile",
            "Remove the IAM role"} <= set(changed), changed
    assert write_calls(embedded_aws) == []
    assert profile_holders(embedded_aws) == [instance_id]
    assert embedded_aws.client("iam").get_role(RoleName=ROLE)["Role"]["RoleName"] == ROLE

    code, failure, _changed = apply_role(**absent)
    assert code == 0, failure
    assert profile_holders(embedded_aws) == []
    assert_converged(apply_role, embedded_aws, **absent)


def test_state_absent_in_check_mode_still_refuses_for_an_instance_outside_the_play(apply_role, embedded_aws,
                                                                                   config):
    instance_id = associated_instance(embedded_aws)
    placed = dict(instance_role_associate=True, instance_role_instance_id=instance_id,
                  instance_role_aws_config_path=str(config))
    assert apply_role(**placed)[0] == 0
    other = associated_instance(embedded_aws, profile=ROLE)

    code, failure, _changed = apply_role(check_mode=True, **dict(placed, instance_role_state="absent"))
    assert code != 0
    assert "in use" in failure and other in failure, failure
    assert write_calls(embedded_aws) == []
    assert profile_holders(embedded_aws) == sorted([instance_id, other])
