"""The instance-metadata endpoint of the test world, against the real embedded AWS (moto server, IAM enforced),
without containers: IMDSv2 only, each endpoint answers for its own instance, and credentials exist only while
the instance holds a profile (they follow a replace). What the real agent does with them is proven on the
world's hosts (tests/world/).
"""

import json
import urllib.error
import urllib.request

import pytest

from tests.support.embedded_aws import EmbeddedAWS
from tests.support.embedded_aws import ami_id

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
