"""The instance-metadata endpoint and the test agent, against the real embedded AWS (moto server, IAM enforced),
without containers: the same outcomes the podman world shows, checked on the development machine.

A host without an instance profile gets 404 and sends nothing; after the association it publishes with its
instance id as dimension; with a role lacking CloudWatchAgentServerPolicy the embedded AWS refuses.
"""

import importlib.util
import json
import os
import urllib.error
import urllib.request

import pytest

from tests.support.embedded_aws import EmbeddedAWS
from tests.support.embedded_aws import ami_id
from tests.support.paths import ROOT

AGENT = os.path.join(ROOT, "tests", "support", "agent_package", "agent.py")
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
AGENT_POLICY = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"


@pytest.fixture(scope="module")
def world_aws(tmp_path_factory):
    aws = EmbeddedAWS.start(str(tmp_path_factory.mktemp("aws") / "aws.json"), enforce_iam=True, extensions=["imds"])
    yield aws
    aws.stop()


def make_profile(aws, name, policy=AGENT_POLICY):
    iam = aws.client("iam")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
    if policy:
        iam.attach_role_policy(RoleName=name, PolicyArn=policy)
    iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
    return name


AMIS = {}


def new_instance(aws):
    ec2 = aws.client("ec2")
    if aws.endpoint not in AMIS:  # listing moto's AMIs under IAM enforcement takes seconds: once per server
        AMIS[aws.endpoint] = ami_id(ec2)
    ami = AMIS[aws.endpoint]
    instance_id = ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    endpoint = aws.control("imds", "POST", {"instance_id": instance_id})
    return instance_id, endpoint["url"]


def token(url, ttl="60"):
    request = urllib.request.Request(url + "/latest/api/token", method="PUT",
                                     headers={"X-aws-ec2-metadata-token-ttl-seconds": ttl})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.read().decode()


def get(url, path, session_token=None):
    """(status, body) of a metadata GET, with the IMDSv2 token when given."""
    headers = {"X-aws-ec2-metadata-token": session_token} if session_token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url + path, headers=headers), timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def role_credentials(url):
    session_token = token(url)
    status, role = get(url, "/latest/meta-data/iam/security-credentials/", session_token)
    assert status == 200
    status, body = get(url, "/latest/meta-data/iam/security-credentials/" + role, session_token)
    assert status == 200
    return role, json.loads(body)


def test_imdsv1_is_refused_and_token_ttl_checked(world_aws):
    instance_id, url = new_instance(world_aws)
    assert get(url, "/latest/meta-data/instance-id") == (401, "")
    assert get(url, "/latest/meta-data/instance-id", "not-a-token") == (401, "")
    for bad_ttl in ("0", "21601", "x"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            token(url, bad_ttl)
        assert refused.value.code == 400
    assert get(url, "/latest/meta-data/instance-id", token(url)) == (200, instance_id)


def test_identity_of_the_paired_instance(world_aws):
    instance_id, url = new_instance(world_aws)
    session_token = token(url)
    document = json.loads(get(url, "/latest/dynamic/instance-identity/document", session_token)[1])
    described = world_aws.client("ec2").describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    assert document["instanceId"] == instance_id
    assert document["imageId"] == described["ImageId"]
    assert document["availabilityZone"] == described["Placement"]["AvailabilityZone"]
    assert document["region"] == "us-east-1"
    assert get(url, "/latest/meta-data/placement/region", session_token) == (200, "us-east-1")


def test_credentials_only_while_associated_and_follow_a_replace(world_aws):
    ec2 = world_aws.client("ec2")
    instance_id, url = new_instance(world_aws)
    first, second = make_profile(world_aws, "imds-first"), make_profile(world_aws, "imds-second")
    session_token = token(url)
    assert get(url, "/latest/meta-data/iam/security-credentials/", session_token)[0] == 404
    assert get(url, "/latest/meta-data/iam/info", session_token)[0] == 404

    association = ec2.associate_iam_instance_profile(InstanceId=instance_id, IamInstanceProfile={"Name": first})
    role, credentials = role_credentials(url)
    assert role == first
    assert credentials["Code"] == "Success" and credentials["Token"]
    sts = world_aws.client("sts", aws_access_key_id=credentials["AccessKeyId"],
                           aws_secret_access_key=credentials["SecretAccessKey"],
                           aws_session_token=credentials["Token"])
    assert sts.get_caller_identity()["Arn"].endswith(":assumed-role/%s/%s" % (first, instance_id))

    association_id = association["IamInstanceProfileAssociation"]["AssociationId"]
    replaced = ec2.replace_iam_instance_profile_association(AssociationId=association_id,
                                                            IamInstanceProfile={"Name": second})
    assert role_credentials(url)[0] == second

    ec2.disassociate_iam_instance_profile(
        AssociationId=replaced["IamInstanceProfileAssociation"]["AssociationId"])
    assert get(url, "/latest/meta-data/iam/security-credentials/", token(url))[0] == 404
    assert get(url, "/latest/meta-data/iam/security-credentials/" + second, token(url))[0] == 404


def test_each_endpoint_answers_for_its_own_instance(world_aws):
    first_id, first_url = new_instance(world_aws)
    second_id, second_url = new_instance(world_aws)
    assert first_url != second_url
    assert get(first_url, "/latest/meta-data/instance-id", token(first_url))[1] == first_id
    assert get(second_url, "/latest/meta-data/instance-id", token(second_url))[1] == second_id
    listed = dict((entry["instance_id"], entry["url"]) for entry in world_aws.control("imds"))
    assert listed[first_id] == first_url and listed[second_id] == second_url


# ------------------------------------------------------------------------------ the test agent's daemon


@pytest.fixture
def agent(tmp_path, monkeypatch):
    """The test agent's code, installed under a temporary root (as the package lays it out)."""
    root = tmp_path / "opt"
    for folder in ("bin", "etc/amazon-cloudwatch-agent.d", "logs", "var"):
        (root / folder).mkdir(parents=True)
    (root / "bin" / "CWAGENT_VERSION").write_text("1.0.test\n")
    monkeypatch.setenv("CWAGENT_ROOT", str(root))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    spec = importlib.util.spec_from_file_location("iamkit_test_agent", AGENT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.log_text = (root / "logs" / "amazon-cloudwatch-agent.log").read_text
    return module


def agent_config(namespace):
    return {"agent": {"metrics_collection_interval": 5},
            "metrics": {"namespace": namespace, "append_dimensions": {"InstanceId": "${aws:InstanceId}"},
                        "metrics_collected": {"mem": {"measurement": ["mem_used_percent"]}}}}


def translated(agent, config, mode="ec2"):
    """(state, config) as the daemon runs them: translated as the real agent does (mode, region, credentials)."""
    agent.translate(mode, {"test.json": json.dumps(config)}, agent.Metadata())
    return agent.generated()


def run_cycle(agent, aws, url, namespace, monkeypatch):
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", url)
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws.endpoint)
    aws.reset_calls()
    agent.Daemon().cycle(*translated(agent, agent_config(namespace)))
    return [call for call in aws.calls() if call["action"] == "PutMetricData"]


def test_agent_auto_mode_is_ec2_where_metadata_answers_with_its_region(world_aws, agent, monkeypatch):
    _instance_id, url = new_instance(world_aws)
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", url)
    state, _config = translated(agent, agent_config("WorldUnitAuto"), mode="auto")
    assert (state["mode"], state["region"]) == ("ec2", "us-east-1")


def metrics_in(aws, namespace):
    return aws.client("cloudwatch").list_metrics(Namespace=namespace)["Metrics"]


def test_agent_without_profile_sends_nothing_then_publishes_after_association(world_aws, agent, monkeypatch):
    instance_id, url = new_instance(world_aws)
    profile = make_profile(world_aws, "agent-good")

    assert run_cycle(agent, world_aws, url, "WorldUnitNoProfile", monkeypatch) == []
    assert "no credentials, nothing sent" in agent.log_text()
    assert metrics_in(world_aws, "WorldUnitNoProfile") == []

    world_aws.client("ec2").associate_iam_instance_profile(InstanceId=instance_id,
                                                           IamInstanceProfile={"Name": profile})
    puts = run_cycle(agent, world_aws, url, "WorldUnitNoProfile", monkeypatch)
    assert [call["status"] for call in puts] == [200]
    metrics = metrics_in(world_aws, "WorldUnitNoProfile")
    assert [metric["MetricName"] for metric in metrics] == ["mem_used_percent"]
    assert metrics[0]["Dimensions"] == [{"Name": "InstanceId", "Value": instance_id}]


def test_agent_with_role_lacking_policy_is_refused_by_aws(world_aws, agent, monkeypatch):
    instance_id, url = new_instance(world_aws)
    profile = make_profile(world_aws, "agent-no-policy", policy=None)
    world_aws.client("ec2").associate_iam_instance_profile(InstanceId=instance_id,
                                                           IamInstanceProfile={"Name": profile})
    puts = run_cycle(agent, world_aws, url, "WorldUnitRefused", monkeypatch)
    # The agent tried (once, plus botocore's retries of nothing: 403 is not retried) and AWS said no.
    assert [call["status"] for call in puts] == [403]
    # The refusal is AWS's own (moto names the action); newer botocore cannot parse its code, hence the text.
    assert "is not authorized to perform: cloudwatch:PutMetricData" in agent.log_text()
    assert metrics_in(world_aws, "WorldUnitRefused") == []


def test_agent_sends_configured_log_lines(world_aws, agent, monkeypatch, tmp_path):
    instance_id, url = new_instance(world_aws)
    profile = make_profile(world_aws, "agent-logs")
    world_aws.client("ec2").associate_iam_instance_profile(InstanceId=instance_id,
                                                           IamInstanceProfile={"Name": profile})
    source = tmp_path / "app.log"
    source.write_text("first line\nsecond line\n")
    config = {"logs": {"logs_collected": {"files": {"collect_list": [
        {"file_path": str(source), "log_group_name": "world-unit", "log_stream_name": "{instance_id}"}]}}}}
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", url)
    monkeypatch.setenv("AWS_ENDPOINT_URL", world_aws.endpoint)
    daemon = agent.Daemon()
    daemon.cycle(*translated(agent, config))
    with source.open("a") as handle:
        handle.write("third line\n")
    daemon.cycle(*translated(agent, config))
    events = world_aws.client("logs").get_log_events(logGroupName="world-unit", logStreamName=instance_id)["events"]
    assert [event["message"] for event in events] == ["first line", "second line", "third line"]
