"""instance_role in check mode however it is asked for: `--check`, or the `check_mode: true` keyword on the play
(which leaves ansible_check_mode false). Either way nothing is written to AWS, and each host's summary says
what the association would become; the real run then does it and says so without "would"; the run after that
changes nothing. AWS is read with boto3, the host is this machine (local connection)."""

import json

import pytest

from tests.support.ansible_cli import clean_env
from tests.support.ansible_cli import playbook_command
from tests.support.ansible_cli import run
from tests.support.ansible_cli import write_calls
from tests.support.embedded_aws import ami_id
from tests.support.paths import COLLECTIONS

PLAYBOOK = """---
- name: instance_role for this machine, as an EC2 instance
  hosts: localhost
  connection: local
  gather_facts: false{play_keywords}
  module_defaults:
    group/iamkit.ec2.aws:
      endpoint_url: "{{{{ endpoint }}}}"
      region: us-east-1
      access_key: "{{{{ access_key }}}}"
      secret_key: "{{{{ secret_key }}}}"
  roles:
    - role: iamkit.ec2.instance_role
      instance_role_name: {role}
      instance_role_instance_id: {instance_id}
"""


def run_role(embedded_aws, tmp_path, role, instance_id, cli_check=False, play_check=False):
    """Run the role; returns (summary line of the host, names of the tasks that changed)."""
    playbook = tmp_path / "playbook.yml"
    # Only `check_mode: true` is written: `check_mode: false` would make the play run for real under --check.
    playbook.write_text(PLAYBOOK.format(play_keywords="\n  check_mode: true" if play_check else "", role=role,
                                        instance_id=instance_id))
    extra = json.dumps({"endpoint": embedded_aws.endpoint, "access_key": embedded_aws.access_key,
                        "secret_key": embedded_aws.secret_key})
    env = clean_env(tmp_path, collections_path=COLLECTIONS)
    env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.posix.json"
    embedded_aws.reset_calls()
    result = run(playbook_command(str(playbook), "localhost,", [extra], check_mode=cli_check), env,
                 cwd=str(tmp_path), check=False)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-3000:]
    tasks = [task for play in json.loads(result.stdout)["plays"] for task in play["tasks"]]
    summaries = [task["hosts"]["localhost"]["msg"] for task in tasks
                 if task["task"]["name"].endswith("Summary per host")]
    changed = [task["task"]["name"] for task in tasks if task["hosts"].get("localhost", {}).get("changed")]
    assert len(summaries) == 1, summaries
    return summaries[0], changed


def role_exists(embedded_aws, role):
    return any(item["RoleName"] == role for item in embedded_aws.client("iam").list_roles()["Roles"])


def associations_of(embedded_aws, instance_id):
    answer = embedded_aws.client("ec2").describe_iam_instance_profile_associations(
        Filters=[{"Name": "instance-id", "Values": [instance_id]}, {"Name": "state", "Values": ["associated"]}])
    return [item["IamInstanceProfile"]["Arn"].rsplit("/", 1)[-1] for item in answer["IamInstanceProfileAssociations"]]


@pytest.mark.parametrize("asked_by", ["--check", "play keyword"])
def test_check_mode_however_asked_writes_nothing_and_says_would(embedded_aws, tmp_path, asked_by):
    ec2 = embedded_aws.client("ec2")
    instance_id = ec2.run_instances(ImageId=ami_id(ec2), MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    role = "iamkit-check-mode-" + asked_by.strip("-").replace(" ", "-")

    summary, changed = run_role(embedded_aws, tmp_path, role, instance_id, cli_check=asked_by == "--check",
                                play_check=asked_by == "play keyword")
    assert "(would associate)" in summary, summary
    assert changed, "check mode predicted no change"
    assert write_calls(embedded_aws) == []
    assert not role_exists(embedded_aws, role) and associations_of(embedded_aws, instance_id) == []

    summary, changed = run_role(embedded_aws, tmp_path, role, instance_id)
    assert "(associate)" in summary and "would" not in summary, summary
    assert associations_of(embedded_aws, instance_id) == [role]

    summary, changed = run_role(embedded_aws, tmp_path, role, instance_id)
    assert changed == [] and write_calls(embedded_aws) == []
    assert "association associated" in summary and "(" not in summary.split("association", 1)[1], summary
