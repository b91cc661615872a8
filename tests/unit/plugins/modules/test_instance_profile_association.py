"""The two modules run in-process (main()) against moto in-process with the aws_fidelity patches."""

import os
from unittest import mock

import boto3
import pytest
from moto import mock_aws

from tests.support.aws_fidelity import patched_moto
from tests.support.embedded_aws import ami_id

REGION = "us-east-1"


@pytest.fixture
def aws_clients():
    """moto without the managed policies conftest's fixture loads; module_runner uses this one here."""
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}
    with mock.patch.dict(os.environ, env), mock_aws(), patched_moto():
        yield lambda service: boto3.client(service, region_name=REGION)


@pytest.fixture
def world(aws_clients):
    ec2, iam = aws_clients("ec2"), aws_clients("iam")
    ami = ami_id(ec2)
    arns = dict((n, iam.create_instance_profile(InstanceProfileName=n)["InstanceProfile"]["Arn"])
                for n in ("web", "db"))

    def instances(count, role="web"):
        tags = [{"ResourceType": "instance", "Tags": [{"Key": "Role", "Value": role}]}]
        answer = ec2.run_instances(ImageId=ami, MinCount=count, MaxCount=count, TagSpecifications=tags)
        return [i["InstanceId"] for i in answer["Instances"]]

    def profiles(ids):
        found = ec2.describe_iam_instance_profile_associations(
            Filters=[{"Name": "instance-id", "Values": ids}, {"Name": "state", "Values": ["associated"]}])
        current = dict((a["InstanceId"], a["IamInstanceProfile"]["Arn"])
                       for a in found["IamInstanceProfileAssociations"])
        return [current.get(i) for i in ids]

    return dict(ec2=ec2, arns=arns, instances=instances, profiles=profiles)


@pytest.mark.parametrize("args, words", [
    (dict(instance_ids=["i-xyz"], instance_profile="web"), ["instance_ids", "'i-xyz'"]),
    (dict(instance_ids=["i-0123456789abcdef0"], instance_profile="no spaces"), ["instance_profile"]),
    (dict(instance_ids=["i-0123456789abcdef0"]), ["instance_profile"]),
    (dict(instance_ids=["i-0123456789abcdef0"], instance_profile="web", max_concurrency=100),
     ["max_concurrency", "1 to 64"]),
    (dict(instance_profile="web"), ["instance_ids", "filters"]),
    (dict(instance_ids=["i-0123456789abcdef0"], filters={"tag:Role": "web"}, instance_profile="web"),
     ["mutually exclusive"]),
    (dict(instance_ids=["i-0123456789abcdef0"], instance_profile="web", state="gone"), ["state", "present, absent"]),
])
def test_bad_input_fails_before_any_call(module_runner, calls, args, words):
    result = module_runner("instance_profile_association", args)
    assert result["failed"]
    for word in words:
        assert word in result["msg"]
    assert calls.actions == []


def test_present_then_idempotent_with_diff(module_runner, calls, world):
    ids = world["instances"](3)
    args = dict(instance_ids=ids, instance_profile="web")
    preview = module_runner("instance_profile_association", args, check_mode=True, diff=True)
    assert preview["changed"] and calls.writes == [] and world["profiles"](ids) == [None] * 3
    assert preview["diff"]["after"] == dict((i, {"instance_profile_arn": world["arns"]["web"]}) for i in ids)

    result = module_runner("instance_profile_association", args, diff=True)
    assert result["changed"] and result["diff"] == preview["diff"]
    assert [(e["instance_id"], e["action"], e["state"], e["done"]) for e in result["associations"]] == [
        (i, "associate", "associated", True) for i in ids]
    assert result["instance_profile_arn"] == world["arns"]["web"]
    assert len(result["changes"]) == 3 and len(calls.writes) == 3
    assert world["profiles"](ids) == [world["arns"]["web"]] * 3

    again = module_runner("instance_profile_association", args, diff=True)
    # A no-op reads only EC2: the instances and their associations (the profile is known from them).
    assert not again["changed"] and calls.writes == []
    assert calls.actions == ["DescribeInstances", "DescribeIamInstanceProfileAssociations"]
    assert again["diff"] == {"before": {}, "after": {}}
    check_again = module_runner("instance_profile_association", args, check_mode=True)
    assert not check_again["changed"] and calls.writes == []


def test_replace_and_stopped_instance_report_what_was_done(module_runner, calls, world):
    ids = world["instances"](2)
    for i in ids:
        world["ec2"].associate_iam_instance_profile(IamInstanceProfile={"Name": "db"}, InstanceId=i)
    world["ec2"].stop_instances(InstanceIds=ids[1:])
    args = dict(instance_ids=ids, iam_instance_profile=world["arns"]["web"])
    preview = module_runner("instance_profile_association", args, check_mode=True)
    assert [e["action"] for e in preview["associations"]] == ["replace", "disassociate_associate"]
    assert calls.writes == [] and world["profiles"](ids) == [world["arns"]["db"]] * 2
    result = module_runner("instance_profile_association", args)
    assert [e["action"] for e in result["associations"]] == ["replace", "disassociate_associate"]
    assert world["profiles"](ids) == [world["arns"]["web"]] * 2
    again = module_runner("instance_profile_association", args)
    assert not again["changed"] and calls.writes == []


def test_absent_with_filters(module_runner, calls, world):
    web = world["instances"](2, role="web")
    db = world["instances"](1, role="db")
    for i in web + db:
        world["ec2"].associate_iam_instance_profile(IamInstanceProfile={"Name": "web"}, InstanceId=i)
    args = dict(filters={"tag:Role": "web"}, instance_profile="web", state="absent")
    preview = module_runner("instance_profile_association", args, check_mode=True)
    assert preview["changed"] and calls.writes == [] and world["profiles"](web) == [world["arns"]["web"]] * 2
    result = module_runner("instance_profile_association", args)
    assert result["changed"] and sorted(e["instance_id"] for e in result["associations"]) == sorted(web)
    assert world["profiles"](web + db) == [None, None, world["arns"]["web"]]
    again = module_runner("instance_profile_association", args)
    assert not again["changed"] and calls.writes == []


def test_missing_instance_and_missing_profile_are_named(module_runner, calls, world):
    ids = world["instances"](1)
    missing = module_runner("instance_profile_association",
                            dict(instance_ids=ids + ["i-0000000000000dead"], instance_profile="web"))
    assert missing["failed"] and "i-0000000000000dead" in missing["msg"] and ids[0] not in missing["msg"]
    assert missing["missing_instance_ids"] == ["i-0000000000000dead"] and calls.writes == []
    no_profile = module_runner("instance_profile_association", dict(instance_ids=ids, instance_profile="ghost"))
    assert no_profile["failed"] and "instance_profile" in no_profile["msg"] and "ghost" in no_profile["msg"]
    assert calls.writes == [] and world["profiles"](ids) == [None]


def test_info_by_ids_profile_filters_and_state(module_runner, calls, world):
    web = world["instances"](2, role="web")
    db = world["instances"](1, role="db")
    for i in web:
        world["ec2"].associate_iam_instance_profile(IamInstanceProfile={"Name": "web"}, InstanceId=i)
    world["ec2"].associate_iam_instance_profile(IamInstanceProfile={"Name": "db"}, InstanceId=db[0])

    by_ids = module_runner("instance_profile_association_info", dict(instance_ids=web))
    assert not by_ids["changed"] and calls.writes == []
    assert [(a["instance_id"], a["instance_profile_arn"], a["state"]) for a in by_ids["associations"]] == [
        (i, world["arns"]["web"], "associated") for i in sorted(web)]
    assert all(a["association_id"].startswith("iip-assoc-") for a in by_ids["associations"])
    by_profile = module_runner("instance_profile_association_info", dict(instance_profile="db"))
    assert [a["instance_id"] for a in by_profile["associations"]] == db
    by_filter = module_runner("instance_profile_association_info", dict(filters={"tag:Role": "db"}, state=[]))
    assert [a["instance_id"] for a in by_filter["associations"]] == db
    none = module_runner("instance_profile_association_info", dict(instance_ids=web, state=["disassociating"]))
    assert none["associations"] == [] and calls.writes == []
    bad = module_runner("instance_profile_association_info", dict(instance_ids=["i-bad"]))
    assert bad["failed"] and "instance_ids" in bad["msg"] and calls.actions == []


def test_check_mode_predicts_a_profile_an_earlier_task_would_create(module_runner, calls, aws_clients):
    """In a check-mode play, iam_instance_profile reports the profile it would create; no failure here."""
    ec2 = aws_clients("ec2")
    image = ami_id(ec2)
    instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    args = dict(instance_ids=[instance], instance_profile="not-created-yet")
    result = module_runner("instance_profile_association", args, check_mode=True)
    assert result["changed"] is True, result
    assert any("not-created-yet" in str(w) and "check mode" in str(w) for w in result["warnings"])
    assert calls.writes == []
    assert ec2.describe_iam_instance_profile_associations()["IamInstanceProfileAssociations"] == []
    refused = module_runner("instance_profile_association", args)
    assert refused["failed"] is True and "not-created-yet" in refused["msg"]
    assert calls.writes == []
