"""Host tasks of the cloudwatch_agent role need root: the playbook's plays become, and the role's tasks that
run on the controller (delegated to localhost) say become: false, so the controller is never asked for sudo.
Read from the YAML files themselves."""

import os

import pytest
import yaml

from tests.support.paths import ROOT

PLAYBOOK = os.path.join(ROOT, "playbooks", "cloudwatch_agent.yml")
TASKS = os.path.join(ROOT, "roles", "cloudwatch_agent", "tasks")


def tasks_of(data):
    """Every task of a task file, including those inside block/rescue/always."""
    for task in data or []:
        yield task
        for section in ("block", "rescue", "always"):
            yield from tasks_of(task.get(section))


def role_tasks():
    for name in sorted(os.listdir(TASKS)):
        with open(os.path.join(TASKS, name)) as handle:
            for task in tasks_of(yaml.safe_load(handle)):
                yield name, task


def test_every_play_of_the_playbook_becomes():
    with open(PLAYBOOK) as handle:
        plays = yaml.safe_load(handle)
    assert plays, "the playbook has no play"
    for play in plays:
        assert play.get("become") is True, play["name"]


def test_the_role_has_tasks_delegated_to_the_controller():
    """The next test would pass on a role without them; it has them."""
    delegated = [task["name"] for _name, task in role_tasks() if task.get("delegate_to") == "localhost"]
    assert len(delegated) >= 5, delegated


@pytest.mark.parametrize("file_name,task", [(name, task) for name, task in role_tasks()
                                            if task.get("delegate_to") == "localhost"],
                         ids=lambda value: value["name"] if isinstance(value, dict) else value)
def test_controller_tasks_do_not_become(file_name, task):
    assert task.get("become") is False, "%s: %s" % (file_name, task["name"])


def test_tasks_that_may_run_on_the_controller_do_not_become_there():
    """A task delegated to where the package is fetched runs on the controller by default: its become is
    false then, and the play's (omit) on a host."""
    dynamic = [(name, task) for name, task in role_tasks()
               if "delegate_to" in task and task["delegate_to"] != "localhost"]
    assert dynamic
    for name, task in dynamic:
        assert "cloudwatch_agent_download_on_controller" in str(task.get("become")), (name, task["name"])
        assert "omit" in str(task.get("become")), (name, task["name"])


def test_the_instance_role_include_does_not_become():
    """instance_role's tasks are AWS calls from the controller and a metadata read."""
    with open(os.path.join(TASKS, "iam.yml")) as handle:
        includes = [task for task in tasks_of(yaml.safe_load(handle)) if "ansible.builtin.include_role" in task]
    assert includes
    for task in includes:
        assert task["ansible.builtin.include_role"]["apply"]["become"] is False
