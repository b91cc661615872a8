"""Running one benchmark playbook with ansible-playbook, as a user would, against the embedded AWS."""

import json
import os
import subprocess
import sys

from benchmarks.fixtures import HERE
from benchmarks.fixtures import TRUST_POLICY
from tests.support.paths import COLLECTIONS

PLAYBOOKS = os.path.join(HERE, "playbooks")


def environment(aws, tasks_file):
    env = dict(os.environ, **aws.env())
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_CALLBACK_PLUGINS": os.path.join(HERE, "callback_plugins"),
        "ANSIBLE_CALLBACKS_ENABLED": "bench_calls",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        "ANSIBLE_RETRY_FILES_ENABLED": "false",
        "IAMKIT_BENCH_CALLS_URL": aws.endpoint + "/_iamkit/calls",
        "IAMKIT_BENCH_TASKS_FILE": tasks_file,
    })
    return env


def write_inventory(folder, instance_ids):
    """Local-connection hosts, one per instance, each carrying its `instance_id` hostvar (as the aws_ec2
    inventory plugin gives it)."""
    hosts = {}
    for index, instance_id in enumerate(instance_ids):
        hosts["bench-host-%03d" % index] = {"instance_id": instance_id, "ansible_connection": "local",
                                            "ansible_python_interpreter": sys.executable}
    path = os.path.join(folder, "inventory-%d.json" % len(instance_ids))
    with open(path, "w") as handle:
        json.dump({"all": {"children": {"bench_hosts": {"hosts": hosts}}}}, handle)
    return path


def run(aws, folder, playbook, variables, inventory=None, check=False):
    """Run benchmarks/playbooks/<playbook>.yml; return (problem, tasks) where problem is '' on success and
    tasks is the callback's per-task record (name, actions, wall, changed, failed, ...)."""
    tasks_file = os.path.join(folder, "tasks.json")
    vars_file = os.path.join(folder, "vars.json")
    if os.path.exists(tasks_file):
        os.remove(tasks_file)
    base = {"bench_endpoint": aws.endpoint, "bench_region": aws.region, "bench_trust_policy": TRUST_POLICY}
    with open(vars_file, "w") as handle:
        json.dump(dict(base, **variables), handle)
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
               os.path.join(PLAYBOOKS, playbook + ".yml"), "-e", "@" + vars_file,
               "-i", inventory or "localhost,"]
    if check:
        command.append("--check")
    log_path = os.path.join(folder, "ansible.log")
    with open(log_path, "a") as log:
        log.write("\n==== %s\n" % " ".join(command))
        log.flush()
        code = subprocess.call(command, env=environment(aws, tasks_file), cwd=folder, stdout=log,
                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    tasks = []
    if os.path.exists(tasks_file):
        with open(tasks_file) as handle:
            tasks = json.load(handle)
    if code != 0:
        errors = [error for task in tasks for error in task.get("errors", [])]
        return "ansible-playbook exited %d: %s" % (code, errors[0] if errors else "see " + log_path), tasks
    return "", tasks
