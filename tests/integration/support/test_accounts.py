"""The embedded AWS's second account, AssumeRole across accounts and S3 under enforced IAM, as the seed stories
need them (tests/support/accounts.py), against the real server with IAM enforced and instance metadata.

Every refusal is one AWS gives: AssumeRole needs the caller's own permission AND the role's trust; the credentials
it returns act in the role's account; S3 writes only where the caller's policies allow, never into another
account's bucket without a bucket policy, and never anonymously.
"""

import json
import urllib.request

import botocore.exceptions
import pytest

from tests.support.accounts import SECOND_ACCOUNT_ID
from tests.support.embedded_aws import EmbeddedAWS
from tests.support.embedded_aws import ami_id

EC2_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


@pytest.fixture(scope="module")
def aws(tmp_path_factory):
    server = EmbeddedAWS.start(str(tmp_path_factory.mktemp("accounts") / "aws.json"), enforce_iam=True,
                               extensions=["imds", "accounts"])
    yield server
    server.stop()


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource):
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def trust(principal, external_id=None):
    statement = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    if external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def error_code(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call(*args, **kwargs)
    return caught.value.response["Error"]["Code"]


def keys_client(aws, service, keys):
    return aws.client(service, aws_access_key_id=keys["AccessKeyId"], aws_secret_access_key=keys["SecretAccessKey"],
                      aws_session_token=keys.get("SessionToken"))


def user_in_first_account(aws, name, *statements):
    """A user of the first account with an inline policy; its access keys as AssumeRole returns them."""
    iam = aws.client("iam")
    iam.create_user(UserName=name)
    if statements:
        iam.put_user_policy(UserName=name, PolicyName="own", PolicyDocument=policy(*statements))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"]}


def role_in_second_account(aws, name, trust_document, *statements):
    iam = aws.second_account_client("iam")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_document)["Role"]["Arn"]
    if statements:
        iam.put_role_policy(RoleName=name, PolicyName="own", PolicyDocument=policy(*statements))
    return arn


def test_the_second_account_is_apart_from_the_first(aws):
    assert aws.second_account["account_id"] == SECOND_ACCOUNT_ID != aws.account_id
    assert aws.second_account_client("sts").get_caller_identity()["Account"] == SECOND_ACCOUNT_ID
    aws.second_account_client("s3").create_bucket(Bucket="only-in-second")
    aws.client("s3").create_bucket(Bucket="only-in-first")
    assert "only-in-second" not in [b["Name"] for b in aws.client("s3").list_buckets()["Buckets"]]
    assert "only-in-first" not in [b["Name"] for b in aws.second_account_client("s3").list_buckets()["Buckets"]]
    assert aws.second_account_client("iam").list_roles()["Roles"] == []


def test_assume_role_across_accounts_needs_own_permission_and_trust_and_acts_in_the_role_account(aws):
    first_user_arn = "arn:aws:iam::%s:user/cross-caller" % aws.account_id
    caller = user_in_first_account(aws, "cross-caller", allow("sts:AssumeRole", "*"))
    trusting = role_in_second_account(aws, "trusts-caller", trust(first_user_arn),
                                      allow("s3:PutObject", "arn:aws:s3:::second-drop/*"))
    aws.second_account_client("s3").create_bucket(Bucket="second-drop")
    sts = keys_client(aws, "sts", caller)

    assumed = sts.assume_role(RoleArn=trusting, RoleSessionName="cross")
    identity = keys_client(aws, "sts", assumed["Credentials"]).get_caller_identity()
    assert identity["Account"] == SECOND_ACCOUNT_ID
    assert identity["Arn"] == "arn:aws:sts::%s:assumed-role/trusts-caller/cross" % SECOND_ACCOUNT_ID
    keys_client(aws, "s3", assumed["Credentials"]).put_object(Bucket="second-drop", Key="seed.txt", Body=b"seed")
    body = aws.second_account_client("s3").get_object(Bucket="second-drop", Key="seed.txt")["Body"].read()
    assert body == b"seed"

    # The role's trust names someone else: refused, though the caller's own policy allows any AssumeRole.
    stranger = role_in_second_account(aws, "trusts-nobody-here", trust("arn:aws:iam::%s:root" % SECOND_ACCOUNT_ID))
    assert error_code(sts.assume_role, RoleArn=stranger, RoleSessionName="cross") == "AccessDenied"
    # A role that does not exist: refused (moto alone would mint keys for any ARN).
    missing = "arn:aws:iam::%s:role/no-such-role" % SECOND_ACCOUNT_ID
    assert error_code(sts.assume_role, RoleArn=missing, RoleSessionName="cross") == "AccessDenied"


def test_trust_without_own_permission_is_refused(aws):
    caller = user_in_first_account(aws, "no-permission", allow("s3:ListAllMyBuckets", "*"))
    trusting = role_in_second_account(aws, "trusts-no-permission", trust(aws.account_id))
    sts = keys_client(aws, "sts", caller)
    assert error_code(sts.assume_role, RoleArn=trusting, RoleSessionName="cross") == "AccessDenied"


def test_an_account_principal_lets_in_its_principals_and_an_external_id_must_match(aws):
    caller = user_in_first_account(aws, "with-external-id", allow("sts:AssumeRole", "*"))
    trusting = role_in_second_account(aws, "needs-external-id", trust(aws.account_id, external_id="seed-7"))
    sts = keys_client(aws, "sts", caller)
    assert error_code(sts.assume_role, RoleArn=trusting, RoleSessionName="cross") == "AccessDenied"
    assert error_code(sts.assume_role, RoleArn=trusting, RoleSessionName="cross", ExternalId="seed-8") == \
        "AccessDenied"
    assumed = sts.assume_role(RoleArn=trusting, RoleSessionName="cross", ExternalId="seed-7")
    assert keys_client(aws, "sts", assumed["Credentials"]).get_caller_identity()["Account"] == SECOND_ACCOUNT_ID


def test_an_explicit_deny_in_the_callers_policy_wins(aws):
    caller = user_in_first_account(aws, "denied", allow("sts:AssumeRole", "*"),
                                   {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"})
    trusting = role_in_second_account(aws, "trusts-denied", trust(aws.account_id))
    sts = keys_client(aws, "sts", caller)
    assert error_code(sts.assume_role, RoleArn=trusting, RoleSessionName="cross") == "AccessDenied"


def test_a_trust_policy_naming_a_role_that_does_not_exist_is_refused(aws):
    iam = aws.second_account_client("iam")
    ghost = "arn:aws:iam::%s:role/not-created-yet" % aws.account_id
    assert error_code(iam.create_role, RoleName="too-early", AssumeRolePolicyDocument=trust(ghost)) == \
        "MalformedPolicyDocument"
    assert "too-early" not in [role["RoleName"] for role in iam.list_roles()["Roles"]]
    iam.create_role(RoleName="later", AssumeRolePolicyDocument=trust(aws.account_id))
    assert error_code(iam.update_assume_role_policy, RoleName="later", PolicyDocument=trust(ghost)) == \
        "MalformedPolicyDocument"
    aws.client("iam").create_role(RoleName="not-created-yet", AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
    iam.update_assume_role_policy(RoleName="later", PolicyDocument=trust(ghost))
    assert iam.get_role(RoleName="later")["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "AWS": ghost}


def test_s3_writes_only_where_allowed_never_across_accounts_nor_anonymously(aws):
    aws.client("s3").create_bucket(Bucket="first-allowed")
    aws.client("s3").create_bucket(Bucket="first-other")
    aws.second_account_client("s3").create_bucket(Bucket="second-private")
    writer = user_in_first_account(aws, "writer", allow("s3:PutObject", ["arn:aws:s3:::first-allowed/*",
                                                                         "arn:aws:s3:::second-private/*"]))
    s3 = keys_client(aws, "s3", writer)
    s3.put_object(Bucket="first-allowed", Key="k", Body=b"1")
    assert error_code(s3.put_object, Bucket="first-other", Key="k", Body=b"1") == "AccessDenied"
    # Allowed by its own policy, but the bucket is another account's and has no bucket policy.
    assert error_code(s3.put_object, Bucket="second-private", Key="k", Body=b"1") == "AccessDenied"
    assert "Contents" not in aws.second_account_client("s3").list_objects_v2(Bucket="second-private")

    unsigned = aws.client("s3", config=botocore.config.Config(signature_version=botocore.UNSIGNED))
    assert error_code(unsigned.put_object, Bucket="first-allowed", Key="anonymous", Body=b"1") == "AccessDenied"
    keys = [item["Key"] for item in aws.client("s3").list_objects_v2(Bucket="first-allowed")["Contents"]]
    assert keys == ["k"]


def instance_credentials(aws, role_name, *statements):
    """Credentials of an instance of the first account holding role_name, read from its instance metadata."""
    iam, ec2 = aws.client("iam"), aws.client("ec2")
    iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
    iam.put_role_policy(RoleName=role_name, PolicyName="own", PolicyDocument=policy(*statements))
    iam.create_instance_profile(InstanceProfileName=role_name)
    iam.add_role_to_instance_profile(InstanceProfileName=role_name, RoleName=role_name)
    ami = ami_id(ec2)
    instance_id = ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    ec2.associate_iam_instance_profile(IamInstanceProfile={"Name": role_name}, InstanceId=instance_id)
    url = aws.control("imds", "POST", {"instance_id": instance_id})["url"]
    token_request = urllib.request.Request(url + "/latest/api/token", method="PUT",
                                           headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"})
    token = urllib.request.urlopen(token_request, timeout=5).read().decode()
    path = "/latest/meta-data/iam/security-credentials/" + role_name
    reply = urllib.request.urlopen(urllib.request.Request(url + path, headers={"X-aws-ec2-metadata-token": token}),
                                   timeout=5)
    document = json.loads(reply.read())
    return {"AccessKeyId": document["AccessKeyId"], "SecretAccessKey": document["SecretAccessKey"],
            "SessionToken": document["Token"]}


def test_an_instance_role_assumes_a_role_of_the_second_account_that_trusts_it(aws):
    """The cross_account story without containers: the instance's own role, from its metadata, assumes B's role."""
    instance_role = "arn:aws:iam::%s:role/web-instance" % aws.account_id
    target = "arn:aws:iam::%s:role/central-writer" % SECOND_ACCOUNT_ID
    keys = instance_credentials(aws, "web-instance", allow("sts:AssumeRole", target))
    assert error_code(keys_client(aws, "sts", keys).assume_role, RoleArn=target, RoleSessionName="web") == \
        "AccessDenied"  # the role does not exist yet
    role_in_second_account(aws, "central-writer", trust(instance_role),
                           allow("s3:PutObject", "arn:aws:s3:::central-drop/*"))
    aws.second_account_client("s3").create_bucket(Bucket="central-drop")

    assumed = keys_client(aws, "sts", keys).assume_role(RoleArn=target, RoleSessionName="web")["Credentials"]
    keys_client(aws, "s3", assumed).put_object(Bucket="central-drop", Key="from-web", Body=b"web")
    listed = aws.second_account_client("s3").list_objects_v2(Bucket="central-drop")["Contents"]
    assert [item["Key"] for item in listed] == ["from-web"]
    # The instance's own credentials cannot write there: the bucket is the second account's.
    assert error_code(keys_client(aws, "s3", keys).put_object, Bucket="central-drop", Key="direct", Body=b"x") == \
        "AccessDenied"

    # The trust taken away: the same instance is refused.
    aws.second_account_client("iam").update_assume_role_policy(RoleName="central-writer",
                                                               PolicyDocument=trust(SECOND_ACCOUNT_ID))
    assert error_code(keys_client(aws, "sts", keys).assume_role, RoleArn=target, RoleSessionName="web") == \
        "AccessDenied"
