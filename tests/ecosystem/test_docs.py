"""Documentation users read: `ansible-doc` renders every module and role of the installed collection as text,
every module's EXAMPLES block parses as a task list, and the examples run against the embedded AWS.

How the examples run: in module order, in one playbook, each task as written. An example that changes AWS
runs three times, as the charter asks of every state-changing case: in check mode (no write call), as
written, and again (changed=false, no write call). Instance ids in the examples are placeholders; they are
replaced by instances launched in the embedded AWS, tagged as the examples expect, and the profile the
association examples name (web-server) is made first, with what a running agent would have sent (a metric
and a log event), so the delivery examples find it rather than wait out their timeout. Nothing else is changed
in the examples.
"""

import ast
import json
import os
import re
import time

import pytest
import yaml

from tests.support.ansible_cli import run
from tests.support.ansible_cli import tool
from tests.support.embedded_aws import ami_id
from tests.support.paths import ROOT

MODULES_DIR = os.path.join(ROOT, "plugins", "modules")
MODULES = sorted(name[:-3] for name in os.listdir(MODULES_DIR) if name.endswith(".py") and name != "__init__.py")
ROLES = sorted(name for name in os.listdir(os.path.join(ROOT, "roles")) if not name.startswith("."))
# The order the examples run in: each module's examples may use what an earlier module's examples made.
EXAMPLE_ORDER = ["iam_role", "iam_role_info", "iam_instance_profile", "iam_instance_profile_info",
                 "instance_profile_association", "instance_profile_association_info",
                 "cloudwatch_agent_config", "cloudwatch_agent_package_info", "cloudwatch_agent_delivery_info"]
# Modules whose examples change AWS (the others only read, or do not call AWS at all).
WRITERS = {"iamkit.ec2.iam_role", "iamkit.ec2.iam_instance_profile", "iamkit.ec2.instance_profile_association"}
PLACEHOLDER_INSTANCES = ["i-0123456789abcdef0", "i-0fedcba9876543210"]
EXAMPLE_PROFILE = "web-server"
WRITE_PATTERN = ("^(Create|Delete|Put|Update|Attach|Detach|Add|Remove|Tag|Untag|Associate|Disassociate|Replace"
                 "|Run|Terminate|Start|Stop|Set)")


def doc_string(module, name):
    with open(os.path.join(MODULES_DIR, module + ".py")) as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == name:
            return node.value.value
    raise AssertionError("%s has no %s" % (module, name))


def examples(module):
    return yaml.safe_load(doc_string(module, "EXAMPLES"))


def task_module(task):
    """The module (action) name of a task: its one key that is not a task keyword."""
    keywords = {"name", "register", "delegate_to", "when", "loop", "vars", "check_mode", "changed_when",
                "failed_when", "tags", "become", "run_once", "ignore_errors", "environment", "no_log"}
    actions = [key for key in task if key not in keywords]
    assert len(actions) == 1, "a task must name one module: %s" % task
    return actions[0]


def test_every_module_and_role_is_covered():
    assert sorted(EXAMPLE_ORDER) == MODULES
    assert ROLES == ["cloudwatch_agent", "instance_role"]


@pytest.mark.parametrize("module", MODULES)
def test_examples_parse_as_named_tasks(module):
    tasks = examples(module)
    assert isinstance(tasks, list) and tasks, module
    own = [task for task in tasks if task_module(task) == "iamkit.ec2." + module]
    assert own, "the EXAMPLES of %s never use it" % module
    for task in tasks:
        assert task.get("name"), "unnamed example task in %s: %s" % (module, task)
        assert task_module(task).count(".") == 2, "examples use FQCNs: %s" % task_module(task)


def test_ansible_doc_renders_every_module(collections_path, ansible_env):
    names = ["iamkit.ec2." + module for module in MODULES]
    output = run([tool("ansible-doc")] + names, env=ansible_env).stdout
    sections = re.split(r"^> MODULE ", output, flags=re.M)[1:]
    assert [section.split()[0] for section in sections] == names
    installed = os.path.join(collections_path, "ansible_collections", "iamkit", "ec2")
    for section in sections:
        name = section.split()[0]
        module = name.rsplit(".", 1)[1]
        assert "(%s" % installed in section.splitlines()[0], "not the installed copy: " + name
        for heading in ("OPTIONS", "EXAMPLES:", "RETURN VALUES:"):
            assert heading in section, "%s has no %s" % (name, heading)
        description = yaml.safe_load(doc_string(module, "DOCUMENTATION"))["description"]
        first = description[0] if isinstance(description, list) else description
        assert " ".join(first.split()[:4]) in " ".join(section.split()), name


def test_ansible_doc_renders_every_role(ansible_env):
    names = ["iamkit.ec2." + role for role in ROLES]
    output = run([tool("ansible-doc"), "-t", "role"] + names, env=ansible_env).stdout
    sections = re.split(r"^> ROLE: ", output, flags=re.M)[1:]
    assert sorted(section.split()[0].strip("*") for section in sections) == names
    for section in sections:
        assert "ENTRY POINT: *main*" in section and "Options (" in section, section[:300]
    for role in ROLES:
        with open(os.path.join(ROOT, "roles", role, "meta", "argument_specs.yml")) as handle:
            variables = yaml.safe_load(handle)["argument_specs"]["main"]["options"]
        rendered = [section for section in sections if section.startswith("*iamkit.ec2.%s*" % role)][0]
        missing = [variable for variable in variables if variable not in rendered]
        assert missing == [], "%s: variables not rendered: %s" % (role, missing)


# ------------------------------------------------------------------------------------------ running examples

def mark_calls(aws_calls_url, label):
    """Remember how long the embedded AWS call log is (a lookup: it runs in the controller, no module)."""
    log = "lookup('ansible.builtin.url', '%s', split_lines=False) | from_json" % aws_calls_url
    return {"name": "Mark the call log before: " + label,
            "ansible.builtin.set_fact": {"example_mark": "{{ %s | length }}" % log}}


def no_writes_since_mark(aws_calls_url, label, extra=()):
    log = "lookup('ansible.builtin.url', '%s', split_lines=False) | from_json" % aws_calls_url
    actions = "(%s)[example_mark | int:] | map(attribute='action')" % log
    return {"name": "No write call was made by: " + label,
            "ansible.builtin.assert": {
                "that": ["%s | select('match', '%s') | list | length == 0" % (actions, WRITE_PATTERN)] + list(extra),
                "fail_msg": "calls: {{ %s | list }}" % actions}}


def checked_example(task, index, aws_calls_url):
    """An example that changes AWS: check mode (no write), as written (its own register), again (no change)."""
    label = "%s (example %d)" % (task["name"], index)
    check = dict(task, name="Check mode: " + task["name"], check_mode=True, register="example_check_%d" % index)
    again = dict(task, name="Again: " + task["name"], register="example_again_%d" % index)
    again.pop("check_mode", None)
    return [mark_calls(aws_calls_url, "check mode of " + label), check,
            no_writes_since_mark(aws_calls_url, "check mode of " + label),
            task,
            mark_calls(aws_calls_url, "second run of " + label), again,
            no_writes_since_mark(aws_calls_url, "second run of " + label,
                                 extra=["example_again_%d is not changed" % index])]


def read_example(task, index):
    """An example that only reads: run as written, and it reports no change."""
    register = task.get("register", "example_read_%d" % index)
    task = dict(task, register=register)
    if task_module(task) == "ansible.builtin.debug":
        return [task]
    return [task, {"name": "Reading changed nothing: %s (example %d)" % (task["name"], index),
                   "ansible.builtin.assert": {"that": "%s is not changed" % register}}]


def examples_playbook(instance_ids, aws_calls_url):
    tasks, index = [], 0
    for module in EXAMPLE_ORDER:
        text = doc_string(module, "EXAMPLES")
        for placeholder, instance_id in zip(PLACEHOLDER_INSTANCES, instance_ids):
            text = text.replace(placeholder, instance_id)
        for task in yaml.safe_load(text):
            index += 1
            if task_module(task) in WRITERS:
                tasks.extend(checked_example(task, index, aws_calls_url))
            else:
                tasks.extend(read_example(task, index))
    return [{"name": "Every module's EXAMPLES, as written", "hosts": "localhost", "connection": "local",
             "gather_facts": True, "tasks": tasks}]


def prepare_examples_world(aws):
    """What the examples assume exists: two instances tagged Role=web, the profile web-server, and what a running
    agent on the first instance has sent (so the delivery examples find it at once instead of waiting out their
    3-minute timeout)."""
    ec2, iam = aws.client("ec2"), aws.client("iam")
    image = ami_id(ec2)
    reservation = ec2.run_instances(
        ImageId=image, MinCount=2, MaxCount=2,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Role", "Value": "web"}]}])
    trust = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": '
             '"ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}')
    iam.create_role(RoleName=EXAMPLE_PROFILE, AssumeRolePolicyDocument=trust)
    iam.create_instance_profile(InstanceProfileName=EXAMPLE_PROFILE)
    iam.add_role_to_instance_profile(InstanceProfileName=EXAMPLE_PROFILE, RoleName=EXAMPLE_PROFILE)
    instance_ids = sorted(instance["InstanceId"] for instance in reservation["Instances"])
    send_as_an_agent(aws, instance_ids[0])
    return instance_ids


def send_as_an_agent(aws, instance_id):
    """A metric in CWAgent with the instance's dimension, and one event in the log stream app/<instance id>."""
    aws.client("cloudwatch").put_metric_data(Namespace="CWAgent", MetricData=[{
        "MetricName": "mem_used_percent", "Value": 42.0, "Unit": "Percent",
        "Dimensions": [{"Name": "InstanceId", "Value": instance_id}]}])
    logs = aws.client("logs")
    logs.create_log_group(logGroupName="app")
    logs.create_log_stream(logGroupName="app", logStreamName=instance_id)
    logs.put_log_events(logGroupName="app", logStreamName=instance_id,
                        logEvents=[{"timestamp": int(time.time() * 1000), "message": "application started"}])


def associations(aws):
    found = aws.client("ec2").describe_iam_instance_profile_associations()["IamInstanceProfileAssociations"]
    return sorted((item["InstanceId"], item["State"]) for item in found if item["State"] == "associated")


def test_module_examples_run_against_the_embedded_aws(ansible_env, embedded_aws, tmp_path):
    aws = embedded_aws
    instance_ids = prepare_examples_world(aws)
    playbook, found_file = str(tmp_path / "examples.yml"), str(tmp_path / "delivery.json")
    plays = examples_playbook(instance_ids, aws.endpoint + "/_iamkit/calls")
    found = ("{{ {'delivery': [delivery.delivered, delivery.metrics], "
             "'log_delivery': [log_delivery.delivered, log_delivery.log_events]} | to_json }}")
    plays[0]["tasks"].append({"name": "Keep what the delivery examples found",
                              "ansible.builtin.copy": {"dest": found_file, "content": found}})
    with open(playbook, "w") as handle:
        yaml.safe_dump(plays, handle, sort_keys=False)

    syntax = run([tool("ansible-playbook"), "--syntax-check", "-i", "localhost,", playbook], env=ansible_env)
    assert "ERROR" not in syntax.stderr
    run([tool("ansible-playbook"), "-i", "localhost,", playbook], env=ansible_env)

    # What the examples leave behind, as their own words say: the removal examples removed what they
    # named, and the last association example left the first placeholder instance without a profile.
    iam = aws.client("iam")
    roles = sorted(role["RoleName"] for role in iam.list_roles()["Roles"])
    assert "seed-writer" not in roles and "CloudWatchAgentServerRole" in roles
    profiles = [item["InstanceProfileName"] for item in iam.list_instance_profiles()["InstanceProfiles"]]
    assert "ExampleAppProfile" not in profiles and "seed-writer" not in profiles
    assert associations(aws) == []
    with open(found_file) as handle:
        assert json.load(handle) == {"delivery": [True, ["mem_used_percent"]], "log_delivery": [True, 1]}
