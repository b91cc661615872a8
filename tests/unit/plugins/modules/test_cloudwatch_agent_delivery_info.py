"""cloudwatch_agent_delivery_info against moto in-process: what arrived in CloudWatch since a moment, read only."""

import datetime

from moto.core import set_initial_no_auth_action_count

from ansible_collections.iamkit.ec2.plugins.module_utils import cloudwatch_delivery as delivery

MODULE = "cloudwatch_agent_delivery_info"
INSTANCE = {"Name": "InstanceId", "Value": "i-0123456789abcdef0"}


def stamp(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


def put_metric(cloudwatch, name, dimensions, namespace="CWAgent"):
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=[
        {"MetricName": name, "Value": 1.0, "Unit": "Percent", "Dimensions": dimensions}])


def test_metrics_with_the_dimension_since_the_start_are_delivered(aws_clients, module_runner, calls):
    cloudwatch = aws_clients("cloudwatch")
    start = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=5)
    put_metric(cloudwatch, "mem_used_percent", [INSTANCE])
    put_metric(cloudwatch, "disk_used_percent", [INSTANCE, {"Name": "path", "Value": "/"}])
    put_metric(cloudwatch, "mem_used_percent", [{"Name": "InstanceId", "Value": "i-other"}], namespace="Other")
    result = module_runner(MODULE, {"namespace": "CWAgent", "dimensions": {"InstanceId": INSTANCE["Value"]},
                                    "since": stamp(start)})
    assert not result.get("failed"), result
    assert result["delivered"] is True and result["access_denied"] is False
    assert result["metrics"] == ["disk_used_percent", "mem_used_percent"] and result["changed"] is False
    assert calls.writes == []


def test_older_data_or_another_instance_is_not_a_delivery(aws_clients, module_runner):
    cloudwatch = aws_clients("cloudwatch")
    put_metric(cloudwatch, "mem_used_percent", [INSTANCE])
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=10)
    result = module_runner(MODULE, {"namespace": "CWAgent", "dimensions": {"InstanceId": INSTANCE["Value"]},
                                    "since": stamp(later)})
    assert result["delivered"] is False and result["metrics"] == []
    assert "nothing yet: no metrics [] of CWAgent" in result["message"]
    other = module_runner(MODULE, {"namespace": "CWAgent", "dimensions": {"InstanceId": "i-not-this-one"}})
    assert other["delivered"] is False


def test_log_events_since_the_start(aws_clients, module_runner):
    logs = aws_clients("logs")
    logs.create_log_group(logGroupName="app")
    logs.create_log_stream(logGroupName="app", logStreamName="i-0123456789abcdef0")
    now = datetime.datetime.now(datetime.timezone.utc)
    logs.put_log_events(logGroupName="app", logStreamName="i-0123456789abcdef0",
                        logEvents=[{"timestamp": int(now.timestamp() * 1000), "message": "hello"}])
    found = module_runner(MODULE, {"log_group_name": "app", "log_stream_name": "i-0123456789abcdef0",
                                   "since": stamp(now - datetime.timedelta(seconds=5))})
    assert (found["delivered"], found["log_events"]) == (True, 1)
    missing = module_runner(MODULE, {"log_group_name": "app", "log_stream_name": "i-absent"})
    assert (missing["delivered"], missing["log_events"]) == (False, 0)


@set_initial_no_auth_action_count(2)
def test_a_refused_read_is_reported_not_failed(aws_clients, module_runner):
    iam = aws_clients("iam")
    iam.create_user(UserName="no-read")
    key = iam.create_access_key(UserName="no-read")["AccessKey"]
    result = module_runner(MODULE, {"namespace": "CWAgent", "access_key": key["AccessKeyId"],
                                    "secret_key": key["SecretAccessKey"]})
    assert not result.get("failed"), result
    assert result["access_denied"] is True and result["delivered"] is False
    assert "is not authorized to perform" in result["message"]


def test_bad_input_fails_naming_the_option(aws_clients, module_runner, calls):
    result = module_runner(MODULE, {"namespace": "CWAgent", "since": "yesterday"})
    assert result["failed"] and "since='yesterday' is neither ISO 8601" in result["msg"]
    result = module_runner(MODULE, {"log_group_name": "app"})
    assert result["failed"] and "log_stream_name" in result["msg"]
    assert calls.actions == []


def test_wait_for_looks_until_found_or_timeout_with_an_injected_clock():
    moments = iter([0, 0, 5, 10])
    slept = []
    answers = iter([[], [], ["mem_used_percent"]])
    result, waited = delivery.wait_for(lambda: next(answers), timeout=60, delay=5, clock=lambda: next(moments),
                                       sleep=slept.append)
    assert result == ["mem_used_percent"] and waited == 10 and slept == [5, 5]
    ticks = iter(range(0, 100, 4))
    result, waited = delivery.wait_for(lambda: [], timeout=10, delay=4, clock=lambda: next(ticks),
                                       sleep=lambda seconds: None)
    assert result == [] and waited >= 10


def test_parse_moment_reads_status_starttime_and_epoch():
    assert delivery.parse_moment("2024-05-01T10:00:00+0000").timestamp() == 1714557600
    assert delivery.parse_moment("2024-05-01T10:00:00Z").timestamp() == 1714557600
    assert delivery.parse_moment("1714557600").timestamp() == 1714557600
    assert delivery.parse_moment("") is None
