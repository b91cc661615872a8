"""The fault layer itself (tests/support/faults.py): each fault answers as AWS does, and only when asked."""

import json
import threading

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support.embedded_aws import ami_id

NO_RETRIES = Config(retries={"total_max_attempts": 1})
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def error_code(raised):
    return raised.value.response["Error"]["Code"]


@pytest.fixture
def world(fresh, unique):
    ec2 = fresh.client("ec2", config=NO_RETRIES)
    iam = fresh.client("iam", config=NO_RETRIES)
    ami = ami_id(ec2)

    def instance():
        return ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]

    def name(suffix):
        return "%s-%s" % (unique, suffix)

    return fresh, ec2, iam, instance, name


def test_the_state_file_says_the_extension_is_loaded(fresh):
    assert fresh.state["extras"]["faults"] is True


def test_counted_invalid_profile_then_success(world):
    server, ec2, iam, instance, name = world
    iam.create_instance_profile(InstanceProfileName=name("web"))
    target = instance()
    pending = server.control("faults", "POST", {"action": "AssociateIamInstanceProfile", "count": 2,
                                                "kind": "invalid_profile"})
    assert pending == [{"action": "AssociateIamInstanceProfile", "count": 2, "kind": "invalid_profile"}]
    for _attempt in range(2):
        with pytest.raises(ClientError) as raised:
            ec2.associate_iam_instance_profile(IamInstanceProfile={"Name": name("web")}, InstanceId=target)
        assert error_code(raised) == "InvalidParameterValue"
        assert "Invalid IAM Instance Profile name" in str(raised.value)
        assert "(%s)" % name("web") in str(raised.value)
    assert server.control("faults") == []
    ec2.associate_iam_instance_profile(IamInstanceProfile={"Name": name("web")}, InstanceId=target)


def test_counted_throttle_is_a_503_request_limit_exceeded(world):
    server, ec2, _iam, _instance, _name = world
    server.control("faults", "POST", {"action": "DescribeInstances", "count": 1, "kind": "throttle"})
    server.reset_calls()
    with pytest.raises(ClientError) as raised:
        ec2.describe_instances()
    assert error_code(raised) == "RequestLimitExceeded"
    assert [(c["action"], c["status"]) for c in server.calls()] == [("DescribeInstances", 503)]


def test_counted_custom_fault_after_some_requests_and_clearing(world):
    server, ec2, _iam, _instance, _name = world
    server.control("faults", "POST", {"action": "DescribeInstances", "count": 3, "after": 1, "status": 403,
                                      "code": "UnauthorizedOperation", "message": "You are not authorized"})
    ec2.describe_instances()
    with pytest.raises(ClientError) as raised:
        ec2.describe_instances()
    assert error_code(raised) == "UnauthorizedOperation"
    assert server.control("faults")[0]["count"] == 2
    assert server.control("faults", "DELETE") == []
    ec2.describe_instances()
    assert "error" in server.control("faults", "POST", {"action": "X", "kind": "nonsense"})


def statuses_with_share(server, client, seed, requests=40):
    server.control("fault_shares", "POST", {"share": 0.2, "seed": seed})
    answers = []
    for _n in range(requests):
        try:
            client.list_roles()
            answers.append("ok")
        except ClientError as error:
            answers.append("%s %s" % (error.response["ResponseMetadata"]["HTTPStatusCode"],
                                      error.response["Error"]["Code"]))
    server.control("fault_shares", "DELETE")
    return answers


def test_shares_fail_about_the_chosen_share_the_same_way_for_the_same_seed(world):
    server, _ec2, iam, _instance, name = world
    first = statuses_with_share(server, iam, seed=7)
    again = statuses_with_share(server, iam, seed=7)
    other = statuses_with_share(server, iam, seed=8)
    assert first == again and first != other
    failed = [a for a in first if a != "ok"]
    assert 2 <= len(failed) <= 16
    assert set(failed) == {"400 Throttling", "503 ServiceUnavailable"}
    iam.list_roles()  # stopped: nothing fails any more


def test_shares_speak_each_service_s_language_and_can_be_limited_to_actions(world):
    server, ec2, iam, _instance, _name = world
    server.control("fault_shares", "POST", {"share": 1.0, "kinds": ["throttle"], "actions": ["DescribeInstances"]})
    with pytest.raises(ClientError) as raised:
        ec2.describe_instances()
    assert error_code(raised) == "RequestLimitExceeded"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    iam.list_roles()
    server.control("fault_shares", "POST", {"share": 1.0, "kinds": ["throttle"], "actions": ["ListRoles"]})
    with pytest.raises(ClientError) as raised:
        iam.list_roles()
    assert error_code(raised) == "Throttling"
    assert "error" in server.control("fault_shares", "POST", {"share": 2})


def test_rate_limits_are_ec2_token_buckets_per_kind_of_action(world):
    """A bucket of 3 for mutating actions and 2 for Describe*, refilled far slower than the test runs: the
    requests beyond each bucket get RequestLimitExceeded (HTTP 503); the two kinds never share tokens; IAM is
    not limited."""
    server, ec2, iam, instance, name = world
    target = instance()
    iam.create_instance_profile(InstanceProfileName=name("rl"))
    limits = server.control("rate_limits", "POST", {"buckets": {"mutating": [3, 0.001], "non_mutating": [2, 0.001]}})
    try:
        assert limits == {"mutating": {"capacity": 3, "refill": 0.001},
                          "non_mutating": {"capacity": 2, "refill": 0.001}}
        server.reset_calls()
        outcomes = []
        for _n in range(4):
            try:
                ec2.describe_instances(InstanceIds=[target])
                outcomes.append("ok")
            except ClientError as error:
                outcomes.append(error_code_of(error))
        for _n in range(3):
            ec2.create_tags(Resources=[target], Tags=[{"Key": "n", "Value": str(_n)}])
        with pytest.raises(ClientError) as refused:
            ec2.create_tags(Resources=[target], Tags=[{"Key": "n", "Value": "4"}])
        iam.list_roles()
        assert outcomes == ["ok", "ok", "RequestLimitExceeded", "RequestLimitExceeded"]
        assert error_code(refused) == "RequestLimitExceeded"
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    finally:
        server.control("rate_limits", "DELETE")
    ec2.describe_instances(InstanceIds=[target])
    assert [c["status"] for c in server.calls() if c["action"] == "CreateTags"] == [200, 200, 200, 503]


def error_code_of(error):
    return error.response["Error"]["Code"]


def test_botocore_retries_what_the_shares_inject(world, virtual_clock):
    server, _ec2, _iam, _instance, name = world
    retrying = server.client("iam", config=Config(retries={"mode": "standard", "max_attempts": 10}))
    server.control("fault_shares", "POST", {"share": 0.5, "seed": 3})
    server.reset_calls()
    for _n in range(10):
        retrying.list_roles()
    statuses = [c["status"] for c in server.calls()]
    assert statuses.count(200) == 10 and len(statuses) > 10


def test_propagation_delay_refuses_a_new_profile_until_its_seconds_pass(world):
    server, ec2, iam, instance, name = world
    target = instance()
    iam.create_instance_profile(InstanceProfileName=name("old"))
    server.control("propagation", "POST", {"seconds": 30})
    iam.create_instance_profile(InstanceProfileName=name("new"))
    iam.create_role(RoleName=name("new-role"), AssumeRolePolicyDocument=TRUST)
    with pytest.raises(ClientError) as raised:
        ec2.associate_iam_instance_profile(IamInstanceProfile={"Name": name("new")}, InstanceId=target)
    assert error_code(raised) == "InvalidParameterValue" and "Invalid IAM Instance Profile name" in str(raised.value)
    with pytest.raises(ClientError) as raised:
        iam.add_role_to_instance_profile(InstanceProfileName=name("old"), RoleName=name("new-role"))
    assert error_code(raised) == "NoSuchEntity" and name("new-role") in str(raised.value)
    server.control("fault_clock", "POST", {"advance": 29})
    with pytest.raises(ClientError):
        ec2.associate_iam_instance_profile(IamInstanceProfile={"Name": name("new")}, InstanceId=target)
    server.control("fault_clock", "POST", {"advance": 1.5})
    ec2.associate_iam_instance_profile(IamInstanceProfile={"Name": name("new")}, InstanceId=target)
    iam.add_role_to_instance_profile(InstanceProfileName=name("old"), RoleName=name("new-role"))
    assert server.control("fault_stats") == {"propagation AssociateIamInstanceProfile": 2,
                                             "propagation AddRoleToInstanceProfile": 1}


def test_a_profile_made_before_the_delay_was_switched_on_is_not_delayed(world):
    server, ec2, iam, instance, name = world
    iam.create_instance_profile(InstanceProfileName=name("early"))
    server.control("propagation", "POST", {"seconds": 30})
    ec2.associate_iam_instance_profile(IamInstanceProfile={"Name": name("early")}, InstanceId=instance())


def test_race_holds_the_creates_until_both_arrive_and_one_meets_entity_already_exists(world):
    server, _ec2, _iam, _instance, name = world
    server.control("race", "POST", {"actions": ["CreateRole"], "parties": 2, "timeout": 30})
    outcomes = []

    def create():
        try:
            client = server.client("iam", config=NO_RETRIES)
            client.create_role(RoleName=name("raced"), AssumeRolePolicyDocument=TRUST)
            outcomes.append("created")
        except ClientError as error:
            outcomes.append(error.response["Error"]["Code"])

    threads = [threading.Thread(target=create) for _n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    race = server.control("race")
    assert sorted(outcomes) == ["EntityAlreadyExists", "created"]
    assert race["released"] == {"CreateRole": 1} and race["timed_out"] == {} and race["waiting"] == {}


def test_race_gives_up_holding_after_its_timeout(world):
    server, _ec2, iam, _instance, name = world
    server.control("race", "POST", {"actions": ["CreateRole"], "parties": 2, "timeout": 0.2})
    iam.create_role(RoleName=name("alone"), AssumeRolePolicyDocument=TRUST)
    assert server.control("race")["timed_out"] == {"CreateRole": 1}


def test_refusals_of_cbor_and_json_requests_are_in_their_protocol(enforced_aws):
    """moto refuses in XML; botocore reads a CBOR/JSON answer only, and would report the bare HTTP status."""
    admin = enforced_aws.client("iam")
    user = "cbor-%s" % enforced_aws.endpoint.rsplit(":", 1)[-1]
    admin.create_user(UserName=user)
    admin.put_user_policy(UserName=user, PolicyName="only-logs", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:DescribeLogGroups",
                                                "Resource": "*"}]}))
    key = admin.create_access_key(UserName=user)["AccessKey"]
    keys = dict(aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
                config=NO_RETRIES)
    cloudwatch = enforced_aws.client("cloudwatch", **keys)
    assert cloudwatch.meta.service_model.protocol == "smithy-rpc-v2-cbor"
    with pytest.raises(ClientError) as raised:
        cloudwatch.put_metric_data(Namespace="CWAgent", MetricData=[{"MetricName": "m", "Value": 1.0}])
    assert error_code(raised) == "AccessDenied" and "cloudwatch:PutMetricData" in str(raised.value)
    logs = enforced_aws.client("logs", **keys)
    logs.describe_log_groups()
    with pytest.raises(ClientError) as raised:
        logs.create_log_group(logGroupName="denied")
    assert error_code(raised) == "AccessDenied" and "logs:CreateLogGroup" in str(raised.value)
