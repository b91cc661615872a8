"""`module_defaults` reach the collection's AWS modules in a playbook: credentials, region and endpoint come
from the action group's defaults and nowhere else."""

import json

from tests.support.ansible_cli import clean_env
from tests.support.ansible_cli import playbook_command
from tests.support.ansible_cli import run
from tests.support.ansible_cli import write_calls
from tests.support.fixtures import EC2_TRUST_JSON
from tests.support.paths import COLLECTIONS

# A region no default would give: the module can only have it from the group's defaults.
GROUP_REGION = "eu-west-3"

PLAYBOOK = """---
- name: Module defaults through the action group
  hosts: localhost
  connection: local
  gather_facts: false
  module_defaults:
    group/iamkit.ec2.aws:
      endpoint_url: "{{ endpoint }}"
      region: "%s"
      access_key: "{{ access_key }}"
      secret_key: "{{ secret_key }}"
  tasks:
    - name: Describe the role with nothing but the group's defaults to reach AWS
      iamkit.ec2.iam_role_info:
        name: "{{ role_name }}"
""" % GROUP_REGION


def test_module_defaults_group_reaches_the_modules(embedded_aws, tmp_path):
    role_name = "iamkit-group-defaults"
    embedded_aws.client("iam").create_role(RoleName=role_name, AssumeRolePolicyDocument=EC2_TRUST_JSON)
    embedded_aws.reset_calls()
    playbook = tmp_path / "playbook.yml"
    playbook.write_text(PLAYBOOK)
    extra_vars = tmp_path / "vars.json"
    extra_vars.write_text(json.dumps({"endpoint": embedded_aws.endpoint, "access_key": embedded_aws.access_key,
                                      "secret_key": embedded_aws.secret_key, "role_name": role_name}))
    # No AWS setting in the environment: without the group's defaults botocore finds no credentials and fails
    # before sending anything, so a broken group cannot reach the real AWS either.
    env = clean_env(tmp_path, collections_path=COLLECTIONS)
    # The json callback reports each task's result with the arguments the module received.
    env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.posix.json"
    result = run(playbook_command(str(playbook), "localhost,", ["@%s" % extra_vars]), env, cwd=str(tmp_path))

    described = json.loads(result.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
    assert [role["role_name"] for role in described["iam_roles"]] == [role_name]
    arguments = described["invocation"]["module_args"]
    assert arguments["endpoint_url"] == embedded_aws.endpoint
    assert arguments["region"] == GROUP_REGION
    # The requests reached the embedded AWS, and none of them changed anything.
    assert ("iam", "GetRole", 200) in [(c["service"], c["action"], c["status"]) for c in embedded_aws.calls()]
    assert write_calls(embedded_aws) == []
