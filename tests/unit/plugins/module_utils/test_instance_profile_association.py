"""module_utils/instance_profile_association.py against moto in-process, with the aws_fidelity patches applied
so moto pages, refuses and reports as AWS does (see tests/support/aws_fidelity.py)."""

import pytest
from botocore.exceptions import ClientError

from ansible_collections.iamkit.ec2.plugins.module_utils import instance_profile_association as assoc
from ansible_collections.iamkit.ec2.plugins.module_utils.validate import InvalidInput
from tests.support.aws_fidelity import patched_moto


def no_sleep(seconds):
    """Backoff without waiting: moto has no delay to wait out."""


class World:
    """Clients, profiles and instances in moto: the state the planner reads and changes."""

    def __init__(self, aws_clients):
        self.ec2 = aws_clients("ec2")
        self.iam = aws_clients("iam")
        self.ami = self.ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        self.arn = {}
        for name in ("web", "db"):
            self.arn[name] = self.iam.create_instance_profile(InstanceProfileName=name)["InstanceProfile"]["Arn"]

    def instances(self, count, **tags):
        spec = [{"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}] if tags else []
        answer = self.ec2.run_instances(ImageId=self.ami, MinCount=count, MaxCount=count, TagSpecifications=spec)
        return [i["InstanceId"] for i in answer["Instances"]]

    def associate(self, ids, profile):
        for instance_id in ids:
            self.ec2.associate_iam_instance_profile(IamInstanceProfile={"Name": profile}, InstanceId=instance_id)

    def profiles(self, ids):
        """{instance id: profile ARN or None} from the associations API."""
        found = dict((i, None) for i in ids)
        pages = self.ec2.get_paginator("describe_iam_instance_profile_associations").paginate(
            Filters=[{"Name": "state", "Values": ["associating", "associated"]}])
        for page in pages:
            for a in page["IamInstanceProfileAssociations"]:
                if a["InstanceId"] in found:
                    found[a["InstanceId"]] = a["IamInstanceProfile"]["Arn"]
        return found

    def ensure(self, check_mode=False, **params):
        return assoc.ensure(self.ec2, self.ec2, self.iam, params, check_mode=check_mode, sleep=no_sleep)


@pytest.fixture
def aws_clients():
    """moto in-process without the managed policies conftest's fixture loads (these tests need none; 5 s each)."""
    import os
    from unittest import mock

    import boto3
    from moto import mock_aws

    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    with mock.patch.dict(os.environ, env), mock_aws():
        yield lambda service: boto3.client(service, region_name="us-east-1")


@pytest.fixture
def world(aws_clients):
    with patched_moto():
        yield World(aws_clients)


# --------------------------------------------------------------------------------------------- input

@pytest.mark.parametrize("params, words", [
    (dict(instance_ids=["i-123", "i-0123456789abcdef0"], instance_profile="web"),
     ["instance_ids", "'i-123'", "hexadecimal"]),
    (dict(instance_ids=[], instance_profile="bad name!"), ["instance_profile", "letters, digits"]),
    (dict(instance_ids=[], instance_profile="arn:aws:iam::123456789012:role/web"),
     ["instance_profile", "instance-profile/"]),
    (dict(instance_ids=[], state="present"), ["instance_profile is required", "name or ARN"]),
    (dict(instance_ids=[], instance_profile="web", max_concurrency=0), ["max_concurrency", "1 to 64"]),
    (dict(instance_ids=[], instance_profile="web", propagation_timeout=-1), ["propagation_timeout", "0 to 3600"]),
])
def test_bad_input_names_the_option_and_what_is_allowed(params, words):
    with pytest.raises(InvalidInput) as error:
        assoc.check_params(params)
    for word in words:
        assert word in str(error.value)


def test_good_input_passes():
    assoc.check_params(dict(instance_ids=["i-0123456789abcdef0", "i-01234567"],
                            instance_profile="arn:aws:iam::123456789012:instance-profile/path/web",
                            max_concurrency=8, propagation_timeout=120, wait_timeout=300))
    assoc.check_params(dict(instance_ids=["i-01234567"], state="absent"))


def test_chunks_hold_at_most_200_values():
    assert [len(c) for c in assoc.chunked(range(450))] == [200, 200, 50]
    assert assoc.chunked([]) == []


# --------------------------------------------------------------------------------------------- reads

def test_profile_lookup_by_name_and_by_arn_is_one_call(world, calls):
    assert world.arn["web"] == assoc.get_instance_profile(world.iam, "web")["arn"]
    assert assoc.get_instance_profile(world.iam, world.arn["web"])["name"] == "web"
    assert calls.actions == ["GetInstanceProfile", "GetInstanceProfile"]


@pytest.mark.parametrize("name_or_arn", ["missing", "arn:aws:iam::123456789012:instance-profile/other/web",
                                         "arn:aws:iam::123456789012:instance-profile/missing"])
def test_missing_profile_is_reported(world, name_or_arn):
    with pytest.raises(assoc.ProfileNotFound):
        assoc.get_instance_profile(world.iam, name_or_arn)


def test_missing_and_terminated_instances_are_named(world):
    ids = world.instances(3)
    world.ec2.terminate_instances(InstanceIds=ids[:1])
    with pytest.raises(assoc.InstancesNotFound) as error:
        assoc.instances_by_ids(world.ec2, ids + ["i-0000000000000dead"])
    assert error.value.instance_ids == sorted([ids[0], "i-0000000000000dead"])


def test_instances_are_read_in_chunks_of_200(world, calls):
    ids = world.instances(250)
    calls.clear()
    states = assoc.instances_by_ids(world.ec2, ids)
    assert set(states) == set(ids) and set(states.values()) == {"running"}
    assert calls.actions == ["DescribeInstances", "DescribeInstances"]


def test_associations_follow_next_token(world, calls, monkeypatch):
    ids = world.instances(12)
    world.associate(ids, "web")
    monkeypatch.setattr(assoc, "PAGE_SIZE", 5)
    calls.clear()
    found = assoc.active_associations(world.ec2, ids)
    assert sorted(found) == sorted(ids)
    assert calls.actions == ["DescribeIamInstanceProfileAssociations"] * 3
    assert [c[2]["MaxResults"] for c in calls.calls] == [5, 5, 5]


def test_many_instances_use_the_region_listing_when_it_is_fewer_calls(world, calls):
    ids = world.instances(450)
    world.associate(ids[:300], "web")
    calls.clear()
    found = assoc.active_associations(world.ec2, ids)
    assert sorted(found) == sorted(ids[:300])
    # 450 ids would take 3 filtered calls; the region's 300 associations fit one page.
    assert calls.actions == ["DescribeIamInstanceProfileAssociations"]
    assert calls.calls[0][2]["Filters"] == [{"Name": "state", "Values": ["associating", "associated"]}]


def test_region_listing_is_abandoned_when_it_would_cost_more(world, calls, monkeypatch):
    ids = world.instances(450)
    world.associate(ids, "web")
    monkeypatch.setattr(assoc, "PAGE_SIZE", 200)
    calls.clear()
    found = assoc.active_associations(world.ec2, ids)
    assert sorted(found) == sorted(ids)
    # 2 region pages (the budget) were not enough for 450; then 3 filtered calls of at most 200 ids.
    assert len(calls.actions) == 5
    filtered = [c[2]["Filters"][0]["Values"] for c in calls.calls[2:]]
    assert [len(v) for v in filtered] == [200, 200, 50]


# --------------------------------------------------------------------------------------------- present

def test_associate_fresh_instances_then_nothing_to_do(world, calls):
    ids = world.instances(5)
    calls.clear()
    changed, result, diff = world.ensure(instance_ids=ids, instance_profile="web")
    assert changed
    assert [e["action"] for e in result["associations"]] == ["associate"] * 5
    assert all(e["done"] and e["association_id"].startswith("iip-assoc-") for e in result["associations"])
    assert sorted(calls.writes) == ["AssociateIamInstanceProfile"] * 5
    # Three reads to plan (the profile last, once a change is needed), one to see the writes reach `associated`.
    reads = [a for a in calls.actions if a not in calls.writes]
    assert reads == ["DescribeInstances", "DescribeIamInstanceProfileAssociations", "GetInstanceProfile",
                     "DescribeIamInstanceProfileAssociations"]
    assert [e["state"] for e in result["associations"]] == ["associated"] * 5
    assert world.profiles(ids) == dict((i, world.arn["web"]) for i in ids)
    assert diff["before"] == dict((i, {"instance_profile_arn": None}) for i in ids)

    calls.clear()
    changed, result, _diff = world.ensure(instance_ids=ids, instance_profile="web")
    assert not changed and calls.writes == []
    # Every instance holds the profile already: its ARN comes from the associations, no IAM lookup.
    assert calls.actions == ["DescribeInstances", "DescribeIamInstanceProfileAssociations"]
    assert [e["action"] for e in result["associations"]] == ["none"] * 5


def test_without_wait_there_is_no_read_after_the_writes(world, calls):
    ids = world.instances(2)
    calls.clear()
    changed, result, _diff = world.ensure(instance_ids=ids, instance_profile="web", wait=False)
    assert changed and calls.actions[-2:] == ["AssociateIamInstanceProfile"] * 2
    assert [e["state"] for e in result["associations"]] == ["associating"] * 2


def test_check_mode_predicts_without_writing(world, calls):
    ids = world.instances(2)
    world.associate(ids[:1], "db")
    calls.clear()
    changed, result, diff = world.ensure(check_mode=True, instance_ids=ids, instance_profile="web")
    assert changed and calls.writes == []
    assert world.profiles(ids) == {ids[0]: world.arn["db"], ids[1]: None}
    assert [(e["action"], e["done"]) for e in result["associations"]] == [("replace", False), ("associate", False)]
    assert diff == {"before": {ids[0]: {"instance_profile_arn": world.arn["db"]},
                               ids[1]: {"instance_profile_arn": None}},
                    "after": {ids[0]: {"instance_profile_arn": world.arn["web"]},
                              ids[1]: {"instance_profile_arn": world.arn["web"]}}}


def test_replace_on_running_and_disassociate_associate_on_stopped(world, calls):
    ids = world.instances(2)
    world.associate(ids, "db")
    world.ec2.stop_instances(InstanceIds=ids[1:])
    calls.clear()
    changed, result, _diff = world.ensure(instance_ids=ids, instance_profile=world.arn["web"])
    assert changed
    assert [e["action"] for e in result["associations"]] == ["replace", "disassociate_associate"]
    assert sorted(calls.writes) == ["AssociateIamInstanceProfile", "DisassociateIamInstanceProfile",
                                    "ReplaceIamInstanceProfileAssociation"]
    assert world.profiles(ids) == dict((i, world.arn["web"]) for i in ids)
    # DescribeInstances agrees after the replace (as on AWS).
    reservation = world.ec2.describe_instances(InstanceIds=ids[:1])["Reservations"][0]
    assert reservation["Instances"][0]["IamInstanceProfile"]["Arn"] == world.arn["web"]

    calls.clear()
    changed, _result, _diff = world.ensure(instance_ids=ids, instance_profile="web")
    assert not changed and calls.writes == []


def test_replace_refused_after_the_read_falls_back(world, calls):
    """The instance stopped between read and write: AWS answers IncorrectState and the writer goes round."""
    ids = world.instances(1)
    world.associate(ids, "db")
    current = assoc.active_associations(world.ec2, ids)[ids[0]]
    world.ec2.stop_instances(InstanceIds=ids)
    with pytest.raises(ClientError) as refused:
        world.ec2.replace_iam_instance_profile_association(IamInstanceProfile={"Name": "web"},
                                                           AssociationId=current["association_id"])
    assert refused.value.response["Error"]["Code"] == "IncorrectState"
    writer = assoc.Writer(world.ec2, world.arn["web"], sleep=no_sleep)
    action, association = writer.replace(ids[0], current["association_id"])
    assert action == "disassociate_associate" and association["instance_profile_arn"] == world.arn["web"]
    assert world.profiles(ids) == {ids[0]: world.arn["web"]}


def test_filters_choose_the_instances(world):
    web = world.instances(3, Role="web")
    other = world.instances(2, Role="db")
    changed, result, _diff = world.ensure(filters=[{"Name": "tag:Role", "Values": ["web"]}], instance_profile="web")
    assert changed and sorted(e["instance_id"] for e in result["associations"]) == sorted(web)
    assert world.profiles(web + other) == dict([(i, world.arn["web"]) for i in web] + [(i, None) for i in other])
    changed, _result, _diff = world.ensure(filters=[{"Name": "tag:Role", "Values": ["web"]}], instance_profile="web")
    assert not changed


def test_missing_profile_or_instance_fails_before_any_write(world, calls):
    ids = world.instances(1)
    calls.clear()
    with pytest.raises(assoc.ProfileNotFound):
        world.ensure(instance_ids=ids, instance_profile="nope")
    with pytest.raises(assoc.InstancesNotFound) as error:
        world.ensure(instance_ids=ids + ["i-0000000000000beef"], instance_profile="web")
    assert error.value.instance_ids == ["i-0000000000000beef"]
    assert calls.writes == [] and world.profiles(ids) == {ids[0]: None}


# --------------------------------------------------------------------------------------------- absent

def test_absent_with_a_profile_removes_only_that_profile(world, calls):
    ids = world.instances(3)
    world.associate(ids[:2], "web")
    world.associate(ids[2:], "db")
    calls.clear()
    changed, result, _diff = world.ensure(check_mode=True, instance_ids=ids, state="absent", instance_profile="web")
    assert changed and calls.writes == [] and world.profiles(ids)[ids[0]] == world.arn["web"]
    changed, result, diff = world.ensure(instance_ids=ids, state="absent", instance_profile="web")
    assert changed
    assert [e["action"] for e in result["associations"]] == ["disassociate", "disassociate", "none"]
    assert world.profiles(ids) == {ids[0]: None, ids[1]: None, ids[2]: world.arn["db"]}
    assert diff["after"] == {ids[0]: {"instance_profile_arn": None}, ids[1]: {"instance_profile_arn": None}}
    calls.clear()
    changed, _result, _diff = world.ensure(instance_ids=ids, state="absent", instance_profile="web")
    assert not changed and calls.writes == []


def test_absent_without_a_profile_removes_any(world, calls):
    ids = world.instances(2)
    world.associate(ids[:1], "web")
    world.associate(ids[1:], "db")
    changed, _result, _diff = world.ensure(instance_ids=ids, state="absent")
    assert changed and world.profiles(ids) == {ids[0]: None, ids[1]: None}
    calls.clear()
    changed, _result, _diff = world.ensure(instance_ids=ids, state="absent")
    assert not changed and calls.writes == []
    assert "GetInstanceProfile" not in calls.actions


# --------------------------------------------------------------------------------------------- apply and wait

def test_failed_change_stops_new_ones_and_reports_each_instance():
    """The pool's bookkeeping, with plain functions as appliers: one fails, later ones are not started."""
    plan = assoc.plan_present({"i-01": "running", "i-02": "running", "i-03": "running"}, {}, "arn:p")

    def associate(instance_id, association_id=None):
        if instance_id == "i-02":
            raise RuntimeError("boom")
        return "associate", {"association_id": "iip-assoc-" + instance_id, "instance_profile_arn": "arn:p",
                             "state": "associated"}

    outcomes = assoc.apply_concurrently(plan, {"associate": associate}, max_concurrency=1)
    results = assoc.planned_results({"i-01": "running", "i-02": "running", "i-03": "running"}, {}, plan, "arn:p")
    errors = assoc.merge_outcomes(results, outcomes)
    assert errors == {"i-02": "boom"}
    assert [(e["instance_id"], e["done"]) for e in results] == [("i-01", True), ("i-02", False), ("i-03", False)]
    assert results[2]["error"].startswith("not attempted")
    message = assoc._failure_message(results, errors)
    assert "1 of 3 changes failed" in message and "i-02: boom" in message and "Re-run" in message


def test_wait_polls_until_associated(world, calls):
    ids = world.instances(2)
    world.associate(ids, "web")
    current = assoc.active_associations(world.ec2, ids)
    results = [dict(current[i], action="associate", done=True, state="associating") for i in ids]
    calls.clear()
    assert assoc.wait_for_associated(world.ec2, results, timeout=10, sleep=no_sleep)
    assert [e["state"] for e in results] == ["associated", "associated"]
    assert calls.actions == ["DescribeIamInstanceProfileAssociations"]


def test_wait_needs_no_read_when_aws_answered_associated(world, calls):
    results = [{"instance_id": "i-01", "association_id": "x", "state": "associated", "done": True}]
    assert assoc.wait_for_associated(world.ec2, results, timeout=10, sleep=no_sleep)
    assert calls.actions == []


# --------------------------------------------------------------------------------------------- info

def test_describe_by_ids_profile_filters_and_state(world):
    web = world.instances(2, Role="web")
    db = world.instances(1, Role="db")
    world.associate(web, "web")
    world.associate(db, "db")
    by_ids = assoc.describe(world.ec2, dict(instance_ids=web + db, state=["associated"]))
    assert sorted(a["instance_id"] for a in by_ids) == sorted(web + db)
    by_profile = assoc.describe(world.ec2, dict(instance_profile="web", state=None))
    assert sorted(a["instance_id"] for a in by_profile) == sorted(web)
    by_arn = assoc.describe(world.ec2, dict(instance_profile=world.arn["db"]))
    assert [a["instance_id"] for a in by_arn] == db
    by_filter = assoc.describe(world.ec2, dict(filters=[{"Name": "tag:Role", "Values": ["db"]}]))
    assert [(a["instance_id"], a["instance_profile_arn"]) for a in by_filter] == [(db[0], world.arn["db"])]
    assert assoc.describe(world.ec2, dict(instance_ids=web, state=["disassociated"])) == []
