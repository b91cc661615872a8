"""Wrong input is refused before any AWS call, with a message naming the option and what is allowed.

Modules run in this process: the in-process call log must stay empty (no call at all, so certainly no write).
Roles run with ansible-playbook: meta/argument_specs.yml refuses wrong variable types before any task, and the
embedded AWS's call log shows no write.
"""

import json

import pytest

from tests.reliability import playbook_runner
from tests.reliability.support import connection
from tests.reliability.support import server_writes
from tests.support.embedded_aws import ami_id

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
ID = "i-0123456789abcdef0"

# (module, arguments, words the message must contain: the option, and what is allowed)
MODULE_CASES = [
    ("iam_role", dict(name="bad name", trusted_services=["ec2.amazonaws.com"]), ["name", "+=,.@_-"]),
    ("iam_role", dict(name="x" * 65, trusted_services=["ec2.amazonaws.com"]), ["name", "64"]),
    ("iam_role", dict(name="r", path="no-slash", trusted_services=["ec2.amazonaws.com"]),
     ["path", "path must begin and end with /"]),
    ("iam_role", dict(name="r", assume_role_policy_document="{not json"), ["assume_role_policy_document"]),
    ("iam_role", dict(name="r", trusted_services=["ec2.amazonaws.com"], max_session_duration=60),
     ["max_session_duration", "max_session_duration must be between", "3600 and 43200"]),
    ("iam_role", dict(name="r", trusted_services=["ec2.amazonaws.com"], max_session_duration=50000),
     ["max_session_duration", "max_session_duration must be between", "3600 and 43200"]),
    ("iam_role", dict(name="r", trusted_services=["ec2.amazonaws.com"], boundary="not-an-arn"),
     ["boundary", "arn:aws:iam::"]),
    ("iam_role", dict(name="r", trusted_services=["ec2.amazonaws.com"], managed_policies=["arn:aws:s3:::bucket"]),
     ["managed_policies", "arn:aws:iam::"]),
    ("iam_role", dict(name="r", trusted_services=["ec2.amazonaws.com"], inline_policies={"p": "{broken"}),
     ["inline_policies.p"]),
    ("iam_role", dict(name="r", trusted_services=["ec2.amazonaws.com"], inline_policies={"bad name": {}}),
     ["inline_policies", "+=,.@_-"]),
    ("iam_role", dict(name="r", trusted_services=[]), ["trusted_services", "ec2.amazonaws.com"]),
    ("iam_role", dict(name="r", trusted_services=["ec2.amazonaws.com"], assume_role_policy_document=TRUST),
     ["mutually exclusive", "assume_role_policy_document", "trusted_services"]),
    ("iam_role", dict(name="r", trusted_services=["ec2.amazonaws.com"], state="gone"), ["state", "present, absent"]),
    ("iam_role", dict(name="r", trusted_services=["ec2.amazonaws.com"], wait_timeout=-1), ["wait_timeout", "0 to"]),
    ("iam_role_info", dict(name="bad name"), ["name"]),
    ("iam_instance_profile", dict(name="bad/name"), ["name", "+=,.@_-"]),
    ("iam_instance_profile", dict(name="p" * 129), ["name", "128"]),
    ("iam_instance_profile", dict(name="p", path="nope"), ["path", "path must begin and end with /"]),
    ("iam_instance_profile", dict(name="p", role="arn:aws:iam::123456789012:user/bob"), ["role", "role/<name>"]),
    ("iam_instance_profile", dict(name="p", role="team/web"), ["role", "name"]),
    ("iam_instance_profile", dict(name="p", wait_timeout=-1), ["wait_timeout", "0 to 3600"]),
    ("iam_instance_profile_info", dict(path_prefix="/te am/"), ["path_prefix", "path must begin and end with /"]),
    ("instance_profile_association", dict(instance_ids=["i-xyz"], instance_profile="p"),
     ["instance_ids", "hexadecimal"]),
    ("instance_profile_association", dict(instance_ids=["web-1"], instance_profile="p"), ["instance_ids", "i-"]),
    ("instance_profile_association", dict(instance_ids=[ID], instance_profile="arn:aws:iam::1:role/x"),
     ["instance_profile", "instance-profile/"]),
    ("instance_profile_association", dict(instance_ids=[ID], instance_profile="bad name"),
     ["instance_profile", "+=,.@_-"]),
    ("instance_profile_association", dict(instance_ids=[ID]), ["instance_profile"]),
    ("instance_profile_association", dict(instance_ids=[ID], filters={"tag:a": "b"}, instance_profile="p"),
     ["mutually exclusive", "instance_ids", "filters"]),
    ("instance_profile_association", dict(instance_profile="p"), ["instance_ids", "filters"]),
    ("instance_profile_association", dict(instance_ids=[ID], instance_profile="p", max_concurrency=0),
     ["max_concurrency", "1 to 64"]),
    ("instance_profile_association", dict(instance_ids=[ID], instance_profile="p", propagation_timeout=99999),
     ["propagation_timeout", "0 to 3600"]),
    ("instance_profile_association_info", dict(instance_ids=["i-nope"]), ["instance_ids"]),
]

# Refused after reading (the input is well-formed, AWS says it names nothing): no write call.
AFTER_READ_CASES = [
    ("iam_role", dict(name="r-unknown-policy", trusted_services=["ec2.amazonaws.com"],
                      managed_policies=["NoSuchPolicyAnywhere"]), ["managed_policies", "NoSuchPolicyAnywhere"]),
    ("iam_instance_profile", dict(name="p-missing-role", role="no-such-role"), ["role", "create it first"]),
    ("instance_profile_association", dict(instance_ids=[ID], instance_profile="no-such-profile"),
     ["instance_profile", "no-such-profile"]),
]


@pytest.mark.parametrize("module,args,words", MODULE_CASES,
                         ids=["%s-%d" % (c[0], n) for n, c in enumerate(MODULE_CASES)])
def test_bad_module_input_fails_before_any_aws_call(fresh, module_runner, calls, module, args, words, figures):
    result = module_runner(module, connection(fresh, **args))
    assert result.get("failed"), result
    for word in words:
        assert word in result["msg"], (word, result["msg"])
    assert calls.actions == [] and fresh.calls() == []
    figures.add("bad inputs refused (modules, before any call)")


@pytest.mark.parametrize("module,args,words", AFTER_READ_CASES, ids=[c[0] for c in AFTER_READ_CASES])
def test_input_naming_nothing_fails_with_no_write(fresh, module_runner, calls, module, args, words, figures):
    if module == "instance_profile_association":
        ec2 = fresh.client("ec2")
        ami = ami_id(ec2)
        args = dict(args, instance_ids=[ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1)[
            "Instances"][0]["InstanceId"]])
        fresh.reset_calls()
    result = module_runner(module, connection(fresh, **args))
    assert result.get("failed"), result
    for word in words:
        assert word in result["msg"], (word, result["msg"])
    assert calls.writes == [] and server_writes(fresh) == []
    figures.add("bad inputs refused (modules, after reading)")


def test_missing_instances_are_refused_with_no_write(fresh, module_runner, calls, unique, figures):
    fresh.client("iam").create_instance_profile(InstanceProfileName=unique)
    result = module_runner("instance_profile_association",
                           connection(fresh, instance_ids=[ID], instance_profile=unique))
    assert result["failed"] and "instance_ids" in result["msg"] and ID in result["msg"]
    assert result["missing_instance_ids"] == [ID] and calls.writes == []
    figures.add("bad inputs refused (modules, after reading)")


# (role, variables, words the failure must contain)
ROLE_CASES = [
    ("instance_role", {"instance_role_name": "r", "instance_role_trusted_services": {"a": 1}},
     ["instance_role_trusted_services"]),
    ("instance_role", {"instance_role_name": "r", "instance_role_state": "gone"}, ["instance_role_state",
                                                                                   "present, absent"]),
    ("instance_role", {"instance_role_name": "r", "instance_role_associate": "perhaps"}, ["instance_role_associate"]),
    ("instance_role", {"instance_role_name": "r", "instance_role_managed_policies": {"a": 1}},
     ["instance_role_managed_policies"]),
    ("instance_role", {"instance_role_name": "r", "instance_role_tags": ["a"]}, ["instance_role_tags"]),
    ("instance_role", {"instance_role_name": "r", "instance_role_wait_timeout": "soon"},
     ["instance_role_wait_timeout"]),
    ("instance_role", {}, ["instance_role_name"]),
    ("cloudwatch_agent", {"cloudwatch_agent_state": "gone"}, ["cloudwatch_agent_state"]),
    ("cloudwatch_agent", {"cloudwatch_agent_mode": "cloud"}, ["cloudwatch_agent_mode"]),
    ("cloudwatch_agent", {"cloudwatch_agent_verify_signature": "maybe"}, ["cloudwatch_agent_verify_signature"]),
]


def role_case_play(index, role, variables, report):
    """One play per case: the role with the wrong variables, its failure message written to a file."""
    return {
        "name": "case %d" % index, "hosts": "instances", "connection": "local", "gather_facts": False,
        "vars": variables,
        "tasks": [{"block": [
            {"ansible.builtin.include_role": {"name": "iamkit.ec2.%s" % role}},
            {"ansible.builtin.copy": {"content": "PASSED", "dest": "%s.%d" % (report, index)}},
        ], "rescue": [
            {"ansible.builtin.copy": {"content": "FAILED: {{ ansible_failed_result.msg }}",
                                      "dest": "%s.%d" % (report, index)}},
        ]}],
    }


@pytest.fixture(scope="module")
def role_failures(embedded_aws, tmp_path_factory):
    """Every role case in one ansible-playbook run, one play each; the failure messages are collected."""
    tmp = tmp_path_factory.mktemp("bad-role-input")
    report = str(tmp / "message")
    plays = [role_case_play(n, role, variables, report) for n, (role, variables, _w) in enumerate(ROLE_CASES)]
    playbook = tmp / "bad_role_input.yml"
    playbook.write_text(json.dumps(plays))
    inventory = playbook_runner.inventory(str(tmp / "hosts.ini"), [ID])
    embedded_aws.reset_calls()
    code, output = playbook_runner.run(embedded_aws, tmp, str(playbook), inventory)
    assert code == 0, output[-6000:]
    messages = []
    for n in range(len(ROLE_CASES)):
        with open("%s.%d" % (report, n)) as handle:
            messages.append(handle.read())
    return messages, server_writes(embedded_aws)


@pytest.mark.parametrize("index", range(len(ROLE_CASES)), ids=["%s-%d" % (c[0], n) for n, c in enumerate(ROLE_CASES)])
def test_wrong_role_variables_fail_before_any_task(role_failures, index, figures):
    messages, writes = role_failures
    role, variables, words = ROLE_CASES[index]
    message = messages[index]
    assert message.startswith("FAILED:"), (role, variables, message)
    for word in words:
        assert word in message, (word, message)
    assert writes == []
    figures.add("bad inputs refused (roles)")
