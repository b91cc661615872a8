"""instance_profile_association against the embedded AWS server with faults AWS produces and moto does not:
the "Invalid IAM Instance Profile" error after a profile is created, throttling, a write failing mid-way."""

import pytest

from tests.support.embedded_aws import ami_id

ACTION = "AssociateIamInstanceProfile"


@pytest.fixture
def faulty_instances(embedded_aws, module_runner):
    """(make instances, run the module, statuses of AssociateIamInstanceProfile, associated ids), on the
    session's embedded AWS, wiped, with no fault switched on yet (and none left on after: see
    fixtures.no_fault_outlives_its_test)."""
    server = embedded_aws
    server.reset()
    server.control("faults", "DELETE")
    ec2 = server.client("ec2")
    server.client("iam").create_instance_profile(InstanceProfileName="web")
    ami = ami_id(ec2)

    def instances(count):
        return [i["InstanceId"] for i in ec2.run_instances(ImageId=ami, MinCount=count, MaxCount=count)["Instances"]]

    def run(**args):
        server.reset_calls()
        args.update(endpoint_url=server.endpoint, access_key=server.access_key, secret_key=server.secret_key)
        return module_runner("instance_profile_association", args)

    def statuses(action=ACTION):
        return sorted(c["status"] for c in server.calls() if c["action"] == action)

    def associated(ids):
        found = ec2.describe_iam_instance_profile_associations(Filters=[{"Name": "instance-id", "Values": ids}])
        return sorted(a["InstanceId"] for a in found["IamInstanceProfileAssociations"])

    return instances, run, statuses, associated


def writes(embedded_aws):
    from tests.support.embedded_aws import is_write

    return [c["action"] for c in embedded_aws.calls() if is_write(c["action"])]


def test_new_profile_error_is_retried_until_it_goes_away(embedded_aws, faulty_instances):
    instances, run, statuses, associated = faulty_instances
    ids = instances(2)
    with embedded_aws.fault("faults", {"action": ACTION, "count": 2, "kind": "invalid_profile"}):
        result = run(instance_ids=ids, instance_profile="web")
    assert result["changed"] and not result.get("failed")
    assert all(e["done"] and e["action"] == "associate" for e in result["associations"])
    assert statuses() == [200, 200, 400, 400]
    assert associated(ids) == sorted(ids)
    again = run(instance_ids=ids, instance_profile="web")
    assert not again["changed"] and writes(embedded_aws) == []


def test_new_profile_error_past_the_timeout_fails_clearly_and_a_rerun_completes(embedded_aws, faulty_instances):
    instances, run, statuses, associated = faulty_instances
    ids = instances(1)
    with embedded_aws.fault("faults", {"action": ACTION, "count": 5, "kind": "invalid_profile"}):
        result = run(instance_ids=ids, instance_profile="web", propagation_timeout=0)
    assert result["failed"] and "Invalid IAM Instance Profile ARN" in result["msg"] and ids[0] in result["msg"]
    assert "propagation_timeout" in result["msg"]
    assert [(e["instance_id"], e["done"]) for e in result["associations"]] == [(ids[0], False)]
    assert associated(ids) == []
    assert run(instance_ids=ids, instance_profile="web")["changed"] and associated(ids) == ids


def test_throttled_writes_complete_with_nothing_failed(embedded_aws, faulty_instances):
    instances, run, statuses, associated = faulty_instances
    ids = instances(6)
    with embedded_aws.fault("faults", {"action": ACTION, "count": 5, "kind": "throttle"}):
        result = run(instance_ids=ids, instance_profile="web", max_concurrency=3)
    assert result["changed"] and not result.get("failed")
    assert [e["done"] for e in result["associations"]] == [True] * 6
    assert not any("error" in e for e in result["associations"])
    assert statuses() == [200] * 6 + [503] * 5
    assert associated(ids) == sorted(ids)
    again = run(instance_ids=ids, instance_profile="web")
    assert not again["changed"] and writes(embedded_aws) == []


def test_failure_mid_way_reports_done_and_not_done_and_a_rerun_completes(embedded_aws, faulty_instances):
    instances, run, statuses, associated = faulty_instances
    ids = instances(4)
    refusal = {"action": ACTION, "count": 1, "after": 2, "code": "UnauthorizedOperation",
               "message": "You are not authorized to perform this operation.", "status": 403}
    with embedded_aws.fault("faults", refusal):
        result = run(instance_ids=ids, instance_profile="web", max_concurrency=1)
    assert result["failed"] and result["changed"]
    assert [e["done"] for e in result["associations"]] == [True, True, False, False]
    assert "UnauthorizedOperation" in result["associations"][2]["error"]
    assert result["associations"][3]["error"].startswith("not attempted")
    assert "failed after 2 of 4 changes" in result["msg"] and "UnauthorizedOperation" in result["msg"]
    assert "Running the task again completes the rest" in result["msg"]
    # The state reached, as AWS shows it: two associated, the two others with no association at all.
    assert [e["state"] for e in result["associations"]] == ["associated", "associated", None, None]
    assert result["pending_changes"] == ["associate %s with %s" % (i, result["instance_profile_arn"]) for i in ids[2:]]
    assert result["error"]["code"] == "UnauthorizedOperation"
    assert associated(ids) == sorted(ids[:2])

    rerun = run(instance_ids=ids, instance_profile="web")
    assert rerun["changed"]
    assert [e["action"] for e in rerun["associations"]] == ["none", "none", "associate", "associate"]
    assert sorted(writes(embedded_aws)) == [ACTION, ACTION] and associated(ids) == sorted(ids)
    assert not run(instance_ids=ids, instance_profile="web")["changed"] and writes(embedded_aws) == []
