"""The cloudwatch_agent role's common-config.toml: with a proxy, the no_proxy the agent gets always holds the
instance metadata addresses (169.254.169.254, fd00:ec2::254 and the host of cloudwatch_agent_metadata_url),
added to what the user listed. The agent sets the proxy for every HTTP call of its process, metadata included
(translator/util/proxyutil.go), so without them it would ask the metadata service through the proxy.

The role's own template is rendered by Ansible on the controller with the role's defaults and vars, and the
file is read with a TOML parser, as the agent reads it.
"""

import json

import pytest
import tomllib
import yaml

from tests.support.ansible_cli import clean_env
from tests.support.ansible_cli import playbook_command
from tests.support.ansible_cli import run
from tests.support.paths import COLLECTIONS
from tests.support.paths import ROOT

ROLE = ROOT + "/roles/cloudwatch_agent"
METADATA = ["169.254.169.254", "fd00:ec2::254"]


def render(tmp_path, **role_vars):
    """Render templates/common-config.toml.j2 twice, as configure.yml writes it, with the role's variables
    given as extra vars (over the role's files); (parsed file, changed of each run)."""
    dest = tmp_path / "common-config.toml"
    play = [{
        "name": "Render the agent's common-config.toml", "hosts": "localhost", "gather_facts": False,
        "vars_files": [ROLE + "/defaults/main.yml", ROLE + "/vars/main.yml"],
        "tasks": [{"name": "Write it", "ansible.builtin.template": {
            "src": ROLE + "/templates/common-config.toml.j2", "dest": str(dest), "mode": "0644"}}],
    }]
    playbook = tmp_path / "render.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    inventory = tmp_path / "inventory.json"
    inventory.write_text(json.dumps({"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}))
    env = clean_env(tmp_path, collections_path=COLLECTIONS)
    env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.posix.json"
    changed = []
    for _run in range(2):
        command = playbook_command(str(playbook), str(inventory), extra_vars=[json.dumps(role_vars)])
        output = json.loads(run(command, env).stdout)
        changed.append(output["stats"]["localhost"]["changed"])
    with open(dest, "rb") as handle:
        return tomllib.load(handle), changed


def no_proxy_of(common):
    return common["proxy"]["no_proxy"].split(",")


def test_a_proxy_alone_gets_the_metadata_addresses(tmp_path):
    common, changed = render(tmp_path, cloudwatch_agent_https_proxy="http://proxy.example:3128")
    assert common["proxy"]["https_proxy"] == "http://proxy.example:3128"
    assert no_proxy_of(common) == METADATA
    assert changed == [1, 0]


def test_the_users_entries_are_kept_and_the_metadata_addresses_added(tmp_path):
    common, _changed = render(tmp_path, cloudwatch_agent_http_proxy="http://proxy.example:3128",
                              cloudwatch_agent_no_proxy="internal.example, 10.0.0.0/8",
                              cloudwatch_agent_metadata_url="http://127.0.0.1:8111")
    assert common["proxy"]["http_proxy"] == "http://proxy.example:3128"
    assert no_proxy_of(common) == ["internal.example", "10.0.0.0/8"] + METADATA + ["127.0.0.1"]


@pytest.mark.parametrize("given", ["169.254.169.254", "fd00:ec2::254,169.254.169.254"])
def test_an_address_the_user_listed_is_not_repeated(tmp_path, given):
    common, _changed = render(tmp_path, cloudwatch_agent_http_proxy="http://proxy.example:3128",
                              cloudwatch_agent_no_proxy=given)
    hosts = no_proxy_of(common)
    assert sorted(hosts) == sorted(METADATA)
    assert hosts[:len(given.split(","))] == given.split(",")


def test_without_proxy_settings_there_is_no_proxy_section(tmp_path):
    common, changed = render(tmp_path)
    assert "proxy" not in common
    assert changed == [1, 0]


def test_on_premise_names_the_credentials_beside_the_proxy(tmp_path):
    common, _changed = render(tmp_path, cloudwatch_agent_mode="onPremise",
                              cloudwatch_agent_https_proxy="http://proxy.example:3128")
    assert common["credentials"] == {"shared_credential_profile": "AmazonCloudWatchAgent",
                                     "shared_credential_file": "/opt/aws/amazon-cloudwatch-agent/etc/credentials"}
    assert no_proxy_of(common) == METADATA
