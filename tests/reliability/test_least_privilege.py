"""Each module runs under moto's enforced IAM authorization with exactly its documented policy; with any one action
removed, it fails with a message naming that action. The policies are the ones in docs/permissions.md and in the
modules' notes (tests/reliability/permissions.py is their single source)."""

import importlib
import itertools
import re

import pytest

from tests.reliability.permissions import POLICIES
from tests.reliability.permissions import SCENARIOS
from tests.reliability.permissions import policy_document

COUNTER = itertools.count()


@pytest.fixture(scope="module")
def users(enforced_aws):
    """One user per module, whose only policy is replaced before every run."""
    admin = enforced_aws.client("iam")
    keys = {}
    for module in POLICIES:
        name = "lp-%s" % module.replace("_", "-")
        admin.create_user(UserName=name)
        key = admin.create_access_key(UserName=name)["AccessKey"]
        keys[module] = (name, key["AccessKeyId"], key["SecretAccessKey"])
    return keys


def run_scenario(enforced_aws, users, module_runner, module, actions):
    """Run the module's steps as its user holding `actions`; return (step index, result) of the first failure."""
    admin_iam = enforced_aws.client("iam")
    user, access_key, secret_key = users[module]
    admin_iam.put_user_policy(UserName=user, PolicyName="only", PolicyDocument=policy_document(actions))
    n = next(COUNTER)
    names = {"role": "lp-role-%d" % n, "profile": "lp-profile-%d" % n, "policy": "lp-policy-%d" % n,
             "boundary": "lp-boundary-%d" % n}
    for index, (_description, setup, args) in enumerate(SCENARIOS[module]):
        setup(enforced_aws.client, names)
        result = module_runner(module, dict(args(names), endpoint_url=enforced_aws.endpoint, access_key=access_key,
                                            secret_key=secret_key))
        if result.get("failed"):
            return index, result
    return None, None


@pytest.mark.parametrize("module", sorted(POLICIES))
def test_the_documented_policy_is_enough(enforced_aws, users, module_runner, module, figures):
    step, result = run_scenario(enforced_aws, users, module_runner, module, POLICIES[module])
    assert step is None, (SCENARIOS[module][step][0], result["msg"])
    figures.add("policies proven")


@pytest.mark.parametrize("module,action", [(m, a) for m in sorted(POLICIES) for a in POLICIES[m]])
def test_each_action_is_needed_and_named_when_missing(enforced_aws, users, module_runner, module, action, figures):
    without = [a for a in POLICIES[module] if a != action]
    step, result = run_scenario(enforced_aws, users, module_runner, module, without)
    assert step is not None, "%s ran through every step without %s" % (module, action)
    assert action in result["msg"], result["msg"]
    figures.add("actions proven needed")


@pytest.mark.parametrize("module", sorted(POLICIES))
def test_the_module_notes_list_exactly_the_policy(module):
    """The permission line of each module's notes is the tested policy."""
    import yaml

    target = importlib.import_module("ansible_collections.iamkit.ec2.plugins.modules.%s" % module)
    notes = yaml.safe_load(target.DOCUMENTATION)["notes"]
    lines = [note for note in notes if note.startswith("Permissions needed")]
    assert len(lines) == 1, notes
    listed = re.findall(r"\b(iam|ec2|sts):([A-Za-z]+)", lines[0])
    assert sorted("%s:%s" % pair for pair in listed if pair != ("iam", "PassRole")) == sorted(POLICIES[module])
