"""ansible-playbook runs of the reliability playbooks against an embedded AWS, on hosts that stand for instances."""

import os
import subprocess

from tests.support.ansible_cli import aws_env
from tests.support.ansible_cli import playbook_command
from tests.support.paths import ROOT

PLAYBOOKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "playbooks")


def inventory(path, instance_ids):
    """An inventory whose hosts stand for the instances (local connection, instance id as a variable)."""
    lines = ["[instances]"]
    for n, instance_id in enumerate(instance_ids):
        lines.append("instance%d instance_role_instance_id=%s" % (n, instance_id))
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


def start(aws, tmp, playbook, inventory_path, extra_vars=(), keys=None, verbosity=0):
    command = playbook_command(os.path.join(PLAYBOOKS, playbook), inventory_path, extra_vars, verbosity)
    return subprocess.Popen(command, env=aws_env(tmp, aws, keys=keys), cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def run(aws, tmp, playbook, inventory_path, extra_vars=(), keys=None, verbosity=0, timeout=600):
    process = start(aws, tmp, playbook, inventory_path, extra_vars, keys, verbosity)
    output = process.communicate(timeout=timeout)[0]
    return process.returncode, output
