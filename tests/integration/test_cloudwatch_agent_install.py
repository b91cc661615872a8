"""The cloudwatch_agent role installs its package with the package manager of each host's OS family.

The role's own tasks (roles/cloudwatch_agent/tasks/install.yml, and the package choice of
iamkit.ec2.cloudwatch_agent_package_info before it) run against hosts whose facts are those of Debian, Ubuntu,
RHEL/CentOS 7, RHEL 8 and 9, Amazon Linux 2 and 2023, SUSE and Fedora (a module in the play's library/ returns
them as `setup` would, so they become the host's ansible_facts). No such host can be made here, so on PATH
each package manager is a recorder that notes how it was called. The rpm path with the real agent's .rpm is
exercised in the world layer (tests/world/test_agent_packages.py), where that package is built.
"""

import json
import os

import pytest

from tests.support import ansible_cli
from tests.support.paths import COLLECTIONS

# host -> (facts as `setup` reports them, the manager the role must choose, the command it must run)
FAMILIES = {
    "debian12": (("Debian", "Debian", "12"), "deb", ["apt-get", "install", "-y", "--allow-downgrades"]),
    "ubuntu2204": (("Ubuntu", "Debian", "22"), "deb", ["apt-get", "install", "-y", "--allow-downgrades"]),
    "rhel7": (("RedHat", "RedHat", "7"), "rpm", ["yum", "install", "-y", "--nogpgcheck"]),
    "centos7": (("CentOS", "RedHat", "7"), "rpm", ["yum", "install", "-y", "--nogpgcheck"]),
    "rhel8": (("RedHat", "RedHat", "8"), "rpm", ["dnf", "install", "-y", "--nogpgcheck"]),
    "rhel9": (("RedHat", "RedHat", "9"), "rpm", ["dnf", "install", "-y", "--nogpgcheck"]),
    "amzn2": (("Amazon", "RedHat", "2"), "rpm", ["yum", "install", "-y", "--nogpgcheck"]),
    "amzn2023": (("Amazon", "RedHat", "2023"), "rpm", ["dnf", "install", "-y", "--nogpgcheck"]),
    "sles15": (("SLES", "Suse", "15"), "rpm", ["zypper", "--non-interactive", "--no-gpg-checks", "install",
                                               "--oldpackage"]),
    "fedora40": (("Fedora", "RedHat", "40"), "rpm", ["dnf", "install", "-y", "--nogpgcheck"]),
}
MANAGERS = ("apt-get", "dnf", "yum", "zypper", "rpm")

PLAYBOOK = """
- name: Install the agent's package as the role does
  hosts: all
  gather_facts: false
  tasks:
    - name: Take the facts of the family this host stands for
      host_facts:
        facts: "{{ family_facts }}"

    - name: Choose the package from the host's facts, as the role's package.yml does
      iamkit.ec2.cloudwatch_agent_package_info:
        distribution: "{{ ansible_facts.distribution }}"
        os_family: "{{ ansible_facts.os_family }}"
        architecture: "{{ ansible_facts.architecture }}"
        version: "1.300064.0"
      register: cloudwatch_agent_package

    - name: Run the role's install tasks
      ansible.builtin.include_role:
        name: iamkit.ec2.cloudwatch_agent
        tasks_from: install.yml
      vars:
        # The package is already on the host (no copy); its name says which host and type it is.
        cloudwatch_agent_download_on_controller: false
        cloudwatch_agent_fetched: >-
          {{ package_dir }}/{{ inventory_hostname }}.{{ cloudwatch_agent_package.package_type }}
        # The restart handler is for a real agent; here it must not touch the controller's systemd.
        cloudwatch_agent_fetch_config: {changed: true}
"""

# A stand-in for `setup`: returns the given facts as ansible_facts, which Ansible then keeps as the host's facts.
FACTS_MODULE = """#!/usr/bin/python
import json
from ansible.module_utils.basic import AnsibleModule
module = AnsibleModule(argument_spec=dict(facts=dict(type="dict", required=True)), supports_check_mode=True)
module.exit_json(changed=False, ansible_facts=dict(module.params["facts"]))
"""

RECORDER = """#!/bin/sh
# Records how the package manager was called; installs nothing.
echo "$(basename "$0") $*" >> %(record)s
"""


def family_facts(distribution, family, major):
    return {"ansible_distribution": distribution, "ansible_os_family": family,
            "ansible_distribution_major_version": major, "ansible_architecture": "x86_64"}


def write_inventory(path, hosts, extra=None):
    """Local hosts, each with the facts of its family (FAMILIES) and any extra variables."""
    inventory = {}
    for host in hosts:
        inventory[host] = dict({"ansible_connection": "local", "family_facts": family_facts(*FAMILIES[host][0])},
                               **(extra or {}))
    with open(path, "w") as handle:
        json.dump({"all": {"hosts": inventory}}, handle)


def play_env(tmp_path, stubs):
    env = ansible_cli.clean_env(tmp_path, COLLECTIONS)
    env["PATH"] = str(stubs) + os.pathsep + env["PATH"]
    return env


def make_recorders(folder, record):
    os.makedirs(folder, exist_ok=True)
    for name in MANAGERS:
        path = os.path.join(folder, name)
        with open(path, "w") as handle:
            handle.write(RECORDER % {"record": record})
        os.chmod(path, 0o755)


def run_play(tmp_path, hosts, env, check_mode=False, extra=None):
    playbook = tmp_path / "install.yml"
    playbook.write_text(PLAYBOOK)
    os.makedirs(str(tmp_path / "library"), exist_ok=True)
    (tmp_path / "library" / "host_facts.py").write_text(FACTS_MODULE)
    inventory = tmp_path / "inventory.json"
    write_inventory(str(inventory), hosts, extra)
    command = ansible_cli.playbook_command(str(playbook), str(inventory), check_mode=check_mode,
                                           extra_vars=["package_dir=%s" % (tmp_path / "packages")])
    return ansible_cli.run(command, env)


def recorded(record):
    if not os.path.exists(record):
        return []
    with open(record) as handle:
        return sorted(line.split() for line in handle if line.strip())


@pytest.fixture
def recording_world(tmp_path):
    """Recorders on PATH, and the file they record into."""
    record = str(tmp_path / "calls.txt")
    make_recorders(str(tmp_path / "bin"), record)
    return record, play_env(tmp_path, tmp_path / "bin")


def test_each_family_gets_its_package_manager(tmp_path, recording_world):
    record, env = recording_world
    run_play(tmp_path, FAMILIES, env)
    package_dir = str(tmp_path / "packages")
    expected = sorted(command + ["%s/%s.%s" % (package_dir, host, package_type)]
                      for host, (_facts, package_type, command) in FAMILIES.items())
    assert recorded(record) == expected


def test_check_mode_runs_no_package_manager(tmp_path, recording_world):
    record, env = recording_world
    result = run_play(tmp_path, FAMILIES, env, check_mode=True)
    assert recorded(record) == []
    assert "failed=0" in result.stdout


def test_a_chosen_manager_wins_over_the_facts(tmp_path, recording_world):
    record, env = recording_world
    run_play(tmp_path, ["rhel9"], env, extra={"cloudwatch_agent_package_manager": "rpm"})
    assert recorded(record) == [["rpm", "-U", "--oldpackage", "--replacepkgs",
                                 "%s/rhel9.rpm" % (tmp_path / "packages")]]
