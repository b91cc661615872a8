"""ansible-playbook runs of the reliability playbooks against an embedded AWS, on hosts that stand for instances."""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PLAYBOOKS = os.path.join(HERE, "playbooks")


def inventory(path, instance_ids):
    """An inventory whose hosts stand for the instances (local connection, instance id as a variable)."""
    lines = ["[instances]"]
    for n, instance_id in enumerate(instance_ids):
        lines.append("instance%d instance_role_instance_id=%s" % (n, instance_id))
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


def command(playbook, inventory_path, extra_vars=(), verbosity=0):
    args = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), os.path.join(PLAYBOOKS, playbook),
            "-i", inventory_path, "-e", "ansible_python_interpreter=%s" % sys.executable]
    for item in extra_vars:
        args += ["-e", item]
    if verbosity:
        args.append("-" + "v" * verbosity)
    return args


def environment(aws, tmp, keys=None):
    env = dict(os.environ)
    env.update(aws.env())
    if keys:
        env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"] = keys
    env["ANSIBLE_COLLECTIONS_PATH"] = os.path.join(ROOT, "tests", "output", "collections")
    env["ANSIBLE_LOCAL_TEMP"] = os.path.join(str(tmp), "ansible-tmp")
    env["ANSIBLE_NOCOLOR"] = "1"
    env["ANSIBLE_FORCE_COLOR"] = "0"
    return env


def start(aws, tmp, playbook, inventory_path, extra_vars=(), keys=None, verbosity=0):
    return subprocess.Popen(command(playbook, inventory_path, extra_vars, verbosity), env=environment(aws, tmp, keys),
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def run(aws, tmp, playbook, inventory_path, extra_vars=(), keys=None, verbosity=0, timeout=600):
    process = start(aws, tmp, playbook, inventory_path, extra_vars, keys, verbosity)
    output = process.communicate(timeout=timeout)[0]
    return process.returncode, output
