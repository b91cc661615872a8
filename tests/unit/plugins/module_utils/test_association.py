"""The association resource through the engine (engine.execute, no Ansible) on moto in-process: reads in as
few calls as AWS allows, one write per instance, replace or disassociate-then-associate, settling."""

import pytest
from botocore.exceptions import ClientError

from ansible_collections.iamkit.ec2.plugins.module_utils import ec2_calls
from ansible_collections.iamkit.ec2.plugins.module_utils import engine
from ansible_collections.iamkit.ec2.plugins.module_utils.resources import association
from ansible_collections.iamkit.ec2.plugins.modules.instance_profile_association import RESOURCE
from tests.support.embedded_aws import ami_id

DEFAULTS = dict(instance_ids=None, filters=None, state="present", wait=True, wait_timeout=300,
                propagation_timeout=120, max_concurrency=8)


class Instances:
    """Profiles web and db, instances made on demand, and what the associations API says about them."""

    def __init__(self, aws_clients):
        self.ec2, self.iam = aws_clients("ec2"), aws_clients("iam")
        self.arn = dict((n, self.iam.create_instance_profile(InstanceProfileName=n)["InstanceProfile"]["Arn"])
                        for n in ("web", "db"))

    def make(self, count):
        answer = self.ec2.run_instances(ImageId=ami_id(self.ec2), MinCount=count, MaxCount=count)
        return [i["InstanceId"] for i in answer["Instances"]]

    def associate(self, ids, profile):
        for instance_id in ids:
            self.ec2.associate_iam_instance_profile(IamInstanceProfile={"Name": profile}, InstanceId=instance_id)

    def profiles(self, ids):
        found = dict((i, None) for i in ids)
        for page in self.ec2.get_paginator("describe_iam_instance_profile_associations").paginate(
                Filters=[{"Name": "state", "Values": ["associating", "associated"]}]):
            for a in page["IamInstanceProfileAssociations"]:
                if a["InstanceId"] in found:
                    found[a["InstanceId"]] = a["IamInstanceProfile"]["Arn"]
        return found


@pytest.fixture
def instances(aws_clients):
    return Instances(aws_clients)


def execute(aws_connection, check_mode=False, **params):
    return engine.execute(aws_connection, RESOURCE, dict(DEFAULTS, **params), check_mode=check_mode, diff=True)


def test_instances_are_read_in_chunks_of_200(aws_connection, instances, calls):
    ids = instances.make(250)
    calls.clear()
    states = association.instances_by_ids(aws_connection, ids)
    assert list(states) == ids and set(states.values()) == {"running"}
    assert calls.actions == ["DescribeInstances", "DescribeInstances"]


def test_missing_and_terminated_instances_are_named_before_any_write(aws_connection, instances, calls):
    ids = instances.make(3)
    instances.ec2.terminate_instances(InstanceIds=ids[:1])
    calls.clear()
    with pytest.raises(engine.Failed) as failed:
        execute(aws_connection, instance_ids=ids + ["i-0000000000000dead"], instance_profile="web")
    assert failed.value.result["missing_instance_ids"] == sorted([ids[0], "i-0000000000000dead"])
    assert calls.writes == []


def test_many_instances_use_the_region_listing_when_it_is_fewer_calls(aws_connection, instances, calls):
    ids = instances.make(450)
    instances.associate(ids[:300], "web")
    calls.clear()
    found = association.active_associations(aws_connection, ids)
    assert sorted(found) == sorted(ids[:300])
    # 450 ids would take 3 filtered calls; the region's 300 associations fit one page.
    assert calls.actions == ["DescribeIamInstanceProfileAssociations"]
    assert calls.calls[0][2]["Filters"] == [{"Name": "state", "Values": ["associating", "associated"]}]


def test_region_listing_is_abandoned_when_it_would_cost_more(aws_connection, instances, calls, monkeypatch):
    ids = instances.make(450)
    instances.associate(ids, "web")
    monkeypatch.setattr(ec2_calls, "PAGE_SIZE", 200)
    calls.clear()
    found = association.active_associations(aws_connection, ids)
    assert sorted(found) == sorted(ids)
    # 2 region pages (the budget) were not enough for 450; then 3 filtered calls of at most 200 ids.
    assert len(calls.actions) == 5
    assert [len(c[2]["Filters"][0]["Values"]) for c in calls.calls[2:]] == [200, 200, 50]


def test_associate_reads_three_times_writes_once_each_then_nothing_to_do(aws_connection, instances, calls):
    ids = instances.make(5)
    calls.clear()
    result = execute(aws_connection, instance_ids=ids, instance_profile="web")
    assert result["changed"] and sorted(calls.writes) == ["AssociateIamInstanceProfile"] * 5
    # Three reads to plan (the profile last, once a change is needed), one to see the writes reach `associated`.
    reads = [a for a in calls.actions if a not in calls.writes]
    assert reads == ["DescribeInstances", "DescribeIamInstanceProfileAssociations", "GetInstanceProfile",
                     "DescribeIamInstanceProfileAssociations"]
    assert [(e["action"], e["state"], e["done"]) for e in result["associations"]] == [
        ("associate", "associated", True)] * 5
    assert instances.profiles(ids) == dict((i, instances.arn["web"]) for i in ids)

    calls.clear()
    again = execute(aws_connection, instance_ids=ids, instance_profile="web")
    assert not again["changed"] and calls.writes == []
    # Every instance holds the profile already: its ARN comes from the associations, no IAM lookup.
    assert calls.actions == ["DescribeInstances", "DescribeIamInstanceProfileAssociations"]


def test_without_wait_there_is_no_read_after_the_writes(aws_connection, instances, calls):
    ids = instances.make(2)
    calls.clear()
    result = execute(aws_connection, instance_ids=ids, instance_profile="web", wait=False)
    assert result["changed"] and calls.actions[-2:] == ["AssociateIamInstanceProfile"] * 2
    assert [e["state"] for e in result["associations"]] == ["associating"] * 2


def test_check_mode_reports_the_current_state_and_the_action_to_take(aws_connection, instances, calls):
    ids = instances.make(2)
    instances.associate(ids[:1], "db")
    calls.clear()
    result = execute(aws_connection, check_mode=True, instance_ids=ids, instance_profile="web")
    assert result["changed"] and calls.writes == []
    assert instances.profiles(ids) == {ids[0]: instances.arn["db"], ids[1]: None}
    # Nothing is "associating" in check mode: the state is today's, the action says what a run would do.
    assert [(e["action"], e["done"], e["state"]) for e in result["associations"]] == [
        ("replace", False, "associated"), ("associate", False, None)]
    assert result["diff"] == {"before": {ids[0]: {"instance_profile_arn": instances.arn["db"]},
                                         ids[1]: {"instance_profile_arn": None}},
                              "after": {ids[0]: {"instance_profile_arn": instances.arn["web"]},
                                        ids[1]: {"instance_profile_arn": instances.arn["web"]}}}


def test_replace_refused_after_the_read_falls_back_to_disassociate_associate(aws_connection, instances):
    """The instance stopped between read and write: AWS answers IncorrectState and the step goes round."""
    ids = instances.make(1)
    instances.associate(ids, "db")
    current = association.active_associations(aws_connection, ids)[ids[0]]
    instances.ec2.stop_instances(InstanceIds=ids)
    with pytest.raises(ClientError) as refused:
        instances.ec2.replace_iam_instance_profile_association(IamInstanceProfile={"Name": "web"},
                                                               AssociationId=current["association_id"])
    assert refused.value.response["Error"]["Code"] == "IncorrectState"
    action, new = association._replace(aws_connection, 10, ids[0], current["association_id"], instances.arn["web"])
    assert action == "disassociate_associate" and new["instance_profile_arn"] == instances.arn["web"]
    assert instances.profiles(ids) == {ids[0]: instances.arn["web"]}


def test_filters_that_match_nothing_warn(aws_connection, instances, calls):
    warnings = []
    result = engine.execute(aws_connection, RESOURCE, dict(DEFAULTS, filters={"tag:Role": "none"},
                                                           instance_profile="web"), warnings=warnings)
    assert not result["changed"] and result["associations"] == [] and calls.writes == []
    assert any("match no" in w for w in warnings), warnings


def test_absent_removes_only_the_named_profile(aws_connection, instances, calls):
    ids = instances.make(3)
    instances.associate(ids[:2], "web")
    instances.associate(ids[2:], "db")
    result = execute(aws_connection, instance_ids=ids, state="absent", instance_profile="web")
    assert [e["action"] for e in result["associations"]] == ["disassociate", "disassociate", "none"]
    assert instances.profiles(ids) == {ids[0]: None, ids[1]: None, ids[2]: instances.arn["db"]}
    calls.clear()
    again = execute(aws_connection, instance_ids=ids, state="absent")
    assert again["changed"] and instances.profiles(ids) == dict((i, None) for i in ids)
    assert "GetInstanceProfile" not in calls.actions


def test_describe_by_ids_profile_filters_and_state(aws_connection, instances):
    web, db = instances.make(2), instances.make(1)
    instances.associate(web, "web")
    instances.associate(db, "db")

    def describe(**params):
        return association.describe(aws_connection, dict(dict(instance_ids=None, filters=None,
                                                              instance_profile=None, state=None), **params))
    assert sorted(a["instance_id"] for a in describe(instance_ids=web + db, state=["associated"])) == sorted(web + db)
    assert sorted(a["instance_id"] for a in describe(instance_profile="web")) == sorted(web)
    assert [a["instance_id"] for a in describe(instance_profile=instances.arn["db"])] == db
    assert describe(instance_ids=web, state=["disassociated"]) == []
