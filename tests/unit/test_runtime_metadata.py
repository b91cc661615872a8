"""meta/runtime.yml: the action group names exactly the collection's modules, and
`module_defaults: group/iamkit.ec2.aws` really reaches them in a playbook."""

import json
import os
import subprocess
import sys

import pytest
import yaml
from ansible.release import __version__ as ansible_core_version
from embedded_aws import EmbeddedAWS
from embedded_aws import is_write
from packaging.specifiers import SpecifierSet

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULE_DIR = os.path.join(ROOT, "plugins", "modules")
MODULES = sorted(name[:-3] for name in os.listdir(MODULE_DIR) if name.endswith(".py") and name != "__init__.py")
PREFIX = "iamkit.ec2."
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


@pytest.fixture(scope="module")
def runtime():
    with open(os.path.join(ROOT, "meta", "runtime.yml")) as handle:
        return yaml.safe_load(handle)


def talks_to_aws(module):
    """Built on AnsibleAWSModule, so it takes the connection options the group's defaults set."""
    with open(os.path.join(MODULE_DIR, module + ".py")) as handle:
        return "AnsibleAWSModule(" in handle.read()


def test_action_group_lists_exactly_the_aws_modules(runtime):
    group = runtime["action_groups"]["aws"]
    names = [name[len(PREFIX):] if name.startswith(PREFIX) else name for name in group]
    assert len(names) == len(set(names)), "duplicates in action group aws: %s" % group
    # Modules that never call AWS stay out: group defaults would hand them options they refuse.
    assert sorted(names) == [module for module in MODULES if talks_to_aws(module)]
    assert [module for module in MODULES if talks_to_aws(module)], "no AWS module found in plugins/modules"


def test_installed_ansible_core_meets_requires_ansible(runtime):
    assert SpecifierSet(runtime["requires_ansible"]).contains(ansible_core_version)


def clean_environment(tmp_path):
    """No AWS settings but the playbook's: credentials, region and endpoint can only come from the group.

    Without them botocore finds no credentials and fails before sending anything, so a broken group
    cannot reach the real AWS either.
    """
    env = dict((key, value) for key, value in os.environ.items() if not key.startswith("AWS_"))
    env.update(
        AWS_CONFIG_FILE=str(tmp_path / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, "tests", "output", "collections"),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
        ANSIBLE_NOCOLOR="1",
        # The json callback reports each task's result with the arguments the module received.
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
    )
    return env


def test_module_defaults_group_reaches_the_modules(tmp_path):
    role_name = "iamkit-group-defaults"
    aws = EmbeddedAWS.start(str(tmp_path / "aws.json"))
    try:
        aws.client("iam").create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                           "Action": "sts:AssumeRole"}],
        }))
        aws.reset_calls()
        playbook = tmp_path / "playbook.yml"
        playbook.write_text(PLAYBOOK)
        extra_vars = tmp_path / "vars.json"
        extra_vars.write_text(json.dumps({
            "endpoint": aws.endpoint, "access_key": aws.access_key, "secret_key": aws.secret_key,
            "role_name": role_name,
            "ansible_python_interpreter": sys.executable,
        }))
        command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), str(playbook),
                   "-i", "localhost,", "-e", "@%s" % extra_vars]
        run = subprocess.run(command, env=clean_environment(tmp_path), cwd=str(tmp_path), capture_output=True,
                             text=True, timeout=300, check=False)
        assert run.returncode == 0, run.stdout[-10000:] + run.stderr[-5000:]
        calls = aws.calls()
    finally:
        aws.stop()

    described = json.loads(run.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
    assert [role["role_name"] for role in described["iam_roles"]] == [role_name]
    arguments = described["invocation"]["module_args"]
    assert arguments["endpoint_url"] == aws.endpoint
    assert arguments["region"] == GROUP_REGION
    # The requests reached the embedded AWS, and none of them changed anything.
    assert ("iam", "GetRole", 200) in [(call["service"], call["action"], call["status"]) for call in calls]
    assert [call["action"] for call in calls if is_write(call["action"])] == []
