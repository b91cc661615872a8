"""meta/runtime.yml: the action group names exactly the collection's AWS modules, and the ansible-core it
requires is the one installed (tests/integration/test_module_defaults.py runs the group in a playbook)."""

import os

import pytest
import yaml
from ansible.release import __version__ as ansible_core_version
from packaging.specifiers import SpecifierSet

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULE_DIR = os.path.join(ROOT, "plugins", "modules")
MODULES = sorted(name[:-3] for name in os.listdir(MODULE_DIR) if name.endswith(".py") and name != "__init__.py")
PREFIX = "iamkit.ec2."


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
