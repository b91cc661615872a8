"""The aws_fidelity extension in the embedded AWS server process: moto answering as AWS does.

The faults (throttling, propagation delay, races) have their own extension, tested in tests/reliability."""

import pytest
from botocore.exceptions import ClientError

from tests.support.embedded_aws import ami_id
from tests.support.fixtures import EC2_TRUST_JSON


@pytest.fixture
def ec2_with_profiles(embedded_aws):
    """(EC2 client, a function making N instances) on the session's embedded AWS, wiped, with profiles web
    and db."""
    server = embedded_aws
    server.reset()
    ec2, iam = server.client("ec2"), server.client("iam")
    ami = ami_id(ec2)
    for name in ("web", "db"):
        iam.create_instance_profile(InstanceProfileName=name)

    def instances(count):
        return [i["InstanceId"] for i in ec2.run_instances(ImageId=ami, MinCount=count, MaxCount=count)["Instances"]]

    return ec2, instances


def error_code(raised):
    return raised.value.response["Error"]["Code"]


def test_state_file_says_the_extension_is_loaded(embedded_aws):
    assert embedded_aws.state["extras"]["aws_fidelity"] is True


def test_max_results_is_honoured_with_next_token(ec2_with_profiles):
    ec2, instances = ec2_with_profiles
    ids = instances(12)
    for i in ids:
        ec2.associate_iam_instance_profile(IamInstanceProfile={"Name": "web"}, InstanceId=i)
    seen, token, sizes = [], None, []
    while True:
        page = ec2.describe_iam_instance_profile_associations(MaxResults=5, **({"NextToken": token} if token else {}))
        sizes.append(len(page["IamInstanceProfileAssociations"]))
        seen += [a["InstanceId"] for a in page["IamInstanceProfileAssociations"]]
        token = page.get("NextToken")
        if not token:
            break
    assert sizes == [5, 5, 2] and sorted(seen) == sorted(ids)
    assert len(ec2.describe_iam_instance_profile_associations(MaxResults=1000)["IamInstanceProfileAssociations"]) == 12


def test_max_results_above_1000_is_refused(ec2_with_profiles):
    ec2, _instances = ec2_with_profiles
    with pytest.raises(ClientError) as raised:
        ec2.describe_iam_instance_profile_associations(MaxResults=1001)
    assert error_code(raised) == "InvalidParameterValue" and "5 and 1000" in str(raised.value)


def test_more_than_200_filter_values_are_refused(ec2_with_profiles):
    ec2, _instances = ec2_with_profiles
    values = ["i-%017x" % n for n in range(201)]
    with pytest.raises(ClientError) as raised:
        ec2.describe_iam_instance_profile_associations(Filters=[{"Name": "instance-id", "Values": values}])
    assert error_code(raised) == "FilterLimitExceeded"
    assert ec2.describe_instances(Filters=[{"Name": "instance-id", "Values": values[:200]}])["Reservations"] == []


def test_replace_refused_on_a_stopped_instance_and_shown_by_describe_instances(ec2_with_profiles):
    ec2, instances = ec2_with_profiles
    running, stopped = instances(2)
    ids = {}
    for i in (running, stopped):
        ids[i] = ec2.associate_iam_instance_profile(
            IamInstanceProfile={"Name": "db"}, InstanceId=i)["IamInstanceProfileAssociation"]["AssociationId"]
    ec2.stop_instances(InstanceIds=[stopped])
    with pytest.raises(ClientError) as raised:
        ec2.replace_iam_instance_profile_association(IamInstanceProfile={"Name": "web"}, AssociationId=ids[stopped])
    assert error_code(raised) == "IncorrectState" and "not the active association" in str(raised.value)
    ec2.replace_iam_instance_profile_association(IamInstanceProfile={"Name": "web"}, AssociationId=ids[running])
    shown = ec2.describe_instances(InstanceIds=[running, stopped])["Reservations"]
    profiles = dict((i["InstanceId"], i["IamInstanceProfile"]["Arn"]) for r in shown for i in r["Instances"])
    assert profiles[running].endswith("/web") and profiles[stopped].endswith("/db")


def test_iam_answers_as_aws_does_where_moto_differs(embedded_aws):
    """UpdateRole keeps what the call omits; ListInstanceProfiles honours PathPrefix; removing a role a profile
    does not hold is NoSuchEntity (IAM API reference for each action)."""
    embedded_aws.reset()
    iam = embedded_aws.client("iam")
    iam.create_role(RoleName="kept", AssumeRolePolicyDocument=EC2_TRUST_JSON, Description="first",
                    MaxSessionDuration=7200)
    iam.update_role(RoleName="kept", Description="second")
    role = iam.get_role(RoleName="kept")["Role"]
    assert (role["Description"], role["MaxSessionDuration"]) == ("second", 7200)
    iam.update_role(RoleName="kept", MaxSessionDuration=3600 * 3)
    role = iam.get_role(RoleName="kept")["Role"]
    assert (role["Description"], role["MaxSessionDuration"]) == ("second", 10800)

    for name, path in (("a", "/team/"), ("b", "/team/sub/"), ("c", "/other/")):
        iam.create_instance_profile(InstanceProfileName=name, Path=path)
    listed = iam.list_instance_profiles(PathPrefix="/team/")["InstanceProfiles"]
    assert sorted(p["InstanceProfileName"] for p in listed) == ["a", "b"]
    assert len(iam.list_instance_profiles()["InstanceProfiles"]) == 3

    with pytest.raises(ClientError) as missing:
        iam.remove_role_from_instance_profile(InstanceProfileName="a", RoleName="kept")
    assert error_code(missing) == "NoSuchEntity"


def test_ssm_parameter_grants_apply_to_the_parameter_they_name(enforced_aws):
    """CloudWatchAgentServerPolicy lets its holder read parameters named AmazonCloudWatch-* and no other."""
    iam = enforced_aws.client("iam")
    iam.create_user(UserName="fidelity-ssm-reader")
    iam.attach_user_policy(UserName="fidelity-ssm-reader",
                           PolicyArn="arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy")
    key = iam.create_access_key(UserName="fidelity-ssm-reader")["AccessKey"]
    admin_ssm = enforced_aws.client("ssm")
    for name in ("AmazonCloudWatch-fidelity", "other-fidelity"):
        admin_ssm.put_parameter(Name=name, Value="{}", Type="String")
    reader = enforced_aws.client("ssm", aws_access_key_id=key["AccessKeyId"],
                                 aws_secret_access_key=key["SecretAccessKey"])
    assert reader.get_parameter(Name="AmazonCloudWatch-fidelity")["Parameter"]["Value"] == "{}"
    with pytest.raises(ClientError) as refused:
        reader.get_parameter(Name="other-fidelity")
    assert "AccessDenied" in error_code(refused)
    with pytest.raises(ClientError) as refused_put:
        reader.put_parameter(Name="AmazonCloudWatch-fidelity", Value="[]", Type="String", Overwrite=True)
    assert "AccessDenied" in error_code(refused_put)
    assert admin_ssm.get_parameter(Name="AmazonCloudWatch-fidelity")["Parameter"]["Value"] == "{}"


def agent_like_cloudwatch(aws, key=None, **config):
    """A CloudWatch client that gzips every request body as the CloudWatch agent does (botocore's request
    compression, from the first byte), with the admin's keys or the given ones."""
    from botocore.config import Config

    keys = {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]} if key else {}
    return aws.client("cloudwatch", config=Config(request_min_compression_size_bytes=1, **config), **keys)


def test_a_compressed_body_is_checked_against_the_bytes_that_were_signed(enforced_aws):
    cloudwatch = agent_like_cloudwatch(enforced_aws)
    cloudwatch.put_metric_data(Namespace="FidelityGzip", MetricData=[{"MetricName": "signed", "Value": 1.0}])
    assert [m["MetricName"] for m in cloudwatch.list_metrics(Namespace="FidelityGzip")["Metrics"]] == ["signed"]
    forged = agent_like_cloudwatch(enforced_aws, key={"AccessKeyId": enforced_aws.state["access_key"],
                                                      "SecretAccessKey": "not-the-secret"})
    with pytest.raises(ClientError) as refused:
        forged.put_metric_data(Namespace="FidelityGzip", MetricData=[{"MetricName": "forged", "Value": 1.0}])
    assert error_code(refused) == "SignatureDoesNotMatch"


def test_entity_metric_data_is_stored_as_aws_stores_it(enforced_aws):
    """What the CloudWatch agent sends for an EC2 instance: its metrics inside EntityMetricData."""
    cloudwatch = agent_like_cloudwatch(enforced_aws)
    cloudwatch.put_metric_data(Namespace="FidelityEntity", EntityMetricData=[{
        "Entity": {"KeyAttributes": {"Type": "AWS::Resource", "ResourceType": "AWS::EC2::Instance",
                                     "Identifier": "i-0123456789abcdef0", "AwsAccountId": "123456789012"}},
        "MetricData": [{"MetricName": "mem_used_percent", "Value": 42.0, "Unit": "Percent",
                        "Dimensions": [{"Name": "InstanceId", "Value": "i-0123456789abcdef0"}]}]}])
    metrics = cloudwatch.list_metrics(Namespace="FidelityEntity")["Metrics"]
    assert [(m["MetricName"], m["Dimensions"]) for m in metrics] == [
        ("mem_used_percent", [{"Name": "InstanceId", "Value": "i-0123456789abcdef0"}])]


def test_authorization_errors_of_query_services_have_aws_shape(enforced_aws):
    """<ErrorResponse><Error><Code>, which aws-sdk-go v1 reads; botocore reads it the same."""
    import urllib.error
    import urllib.request

    iam = enforced_aws.client("iam")
    iam.create_user(UserName="fidelity-no-rights")
    key = iam.create_access_key(UserName="fidelity-no-rights")["AccessKey"]
    cloudwatch = agent_like_cloudwatch(enforced_aws, key=key)
    with pytest.raises(ClientError) as refused:
        cloudwatch.put_metric_data(Namespace="FidelityDenied", MetricData=[{"MetricName": "m", "Value": 1.0}])
    assert error_code(refused) == "AccessDenied"
    assert "cloudwatch:PutMetricData" in refused.value.response["Error"]["Message"]
    unsigned = urllib.request.Request(enforced_aws.endpoint + "/", data=b"Action=ListMetrics&Version=2010-08-01",
                                      headers={"Authorization": "AWS4-HMAC-SHA256 Credential=AKIDNOTAKEY/20260101/"
                                               "us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=0",
                                               "Content-Type": "application/x-www-form-urlencoded"})
    with pytest.raises(urllib.error.HTTPError) as raw:
        urllib.request.urlopen(unsigned, timeout=10)
    body = raw.value.read()
    assert body.count(b"<ErrorResponse><Error><Code>") == 1 and b"<Errors>" not in body
