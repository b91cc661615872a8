"""The calls layer (iam_calls, ec2_calls) against moto in-process: "not found" is None, "already done" is
success, eventual-consistency retries only while AWS has not caught up, reads paged and chunked as AWS needs."""

import json

import pytest
from botocore.exceptions import ClientError

from ansible_collections.iamkit.ec2.plugins.module_utils import ec2_calls
from ansible_collections.iamkit.ec2.plugins.module_utils import iam_calls
from tests.support.embedded_aws import ami_id
from tests.support.fixtures import EC2_TRUST_JSON
from tests.support.fixtures import make_role

READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def code(raised):
    return raised.value.response["Error"]["Code"]


# --------------------------------------------------------------------------------------------- IAM

def test_missing_things_read_as_none_or_empty(aws_connection, calls):
    assert iam_calls.get_role(aws_connection, "ghost") is None
    assert iam_calls.get_instance_profile(aws_connection, "ghost") is None
    assert iam_calls.get_role_policy(aws_connection, "ghost", "p") is None
    assert iam_calls.list_instance_profiles_for_role(aws_connection, "ghost") == []
    assert iam_calls.policy_exists(aws_connection, "arn:aws:iam::aws:policy/NoSuchPolicy") is False
    assert iam_calls.policy_exists(aws_connection, READ_ONLY) is True
    assert calls.writes == []


def test_a_second_create_counts_as_done(aws_connection, iam):
    params = dict(RoleName="twice", Path="/", AssumeRolePolicyDocument=EC2_TRUST_JSON)
    iam_calls.create_role(aws_connection, 10, **params)
    iam_calls.create_role(aws_connection, 10, **params)
    iam_calls.create_instance_profile(aws_connection, 10, InstanceProfileName="twice", Path="/")
    iam_calls.create_instance_profile(aws_connection, 10, InstanceProfileName="twice", Path="/")
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["twice"]
    # The role was readable at once: no waiting.
    assert aws_connection.clock.sleeps == []


def test_removals_of_what_is_gone_count_as_done_without_waiting(aws_connection, iam):
    """NoSuchEntity on a delete means the work is done (two runs removing the same role at once)."""
    make_role(iam, "gone")
    iam.create_instance_profile(InstanceProfileName="gone")
    for _twice in range(2):
        iam_calls.detach_role_policy(aws_connection, 60, RoleName="gone", PolicyArn=READ_ONLY)
        iam_calls.delete_role_policy(aws_connection, 60, RoleName="gone", PolicyName="inline")
        iam_calls.remove_role_from_instance_profile(aws_connection, 60, InstanceProfileName="gone", RoleName="gone")
        iam_calls.delete_role_permissions_boundary(aws_connection, 60, RoleName="gone")
    for _twice in range(2):
        iam_calls.delete_instance_profile(aws_connection, 60, InstanceProfileName="gone")
        iam_calls.delete_role(aws_connection, 60, RoleName="gone")
    assert iam.list_roles()["Roles"] == [] and iam.list_instance_profiles()["InstanceProfiles"] == []
    assert aws_connection.clock.sleeps == []


def test_adding_the_role_a_profile_already_holds_is_done_another_is_refused(aws_connection, iam):
    make_role(iam, "a")
    make_role(iam, "b")
    iam.create_instance_profile(InstanceProfileName="p")
    iam_calls.add_role_to_instance_profile(aws_connection, 10, InstanceProfileName="p", RoleName="a")
    iam_calls.add_role_to_instance_profile(aws_connection, 10, InstanceProfileName="p", RoleName="a")
    with pytest.raises(ClientError) as refused:
        iam_calls.add_role_to_instance_profile(aws_connection, 10, InstanceProfileName="p", RoleName="b")
    assert code(refused) == "LimitExceeded"
    roles = iam.get_instance_profile(InstanceProfileName="p")["InstanceProfile"]["Roles"]
    assert [r["RoleName"] for r in roles] == ["a"]


def test_writes_after_a_create_retry_not_found_until_the_timeout(aws_connection):
    """A role IAM does not show yet: retried with backoff for `timeout` seconds, then AWS's own error."""
    with pytest.raises(ClientError) as missing:
        iam_calls.attach_role_policy(aws_connection, 20, RoleName="not-yet", PolicyArn=READ_ONLY)
    assert code(missing) == "NoSuchEntity"
    sleeps = aws_connection.clock.sleeps
    assert sleeps[:3] == [1.0, 2.0, 4.0] and sum(sleeps) <= 20


def test_without_a_timeout_a_write_fails_at_once(aws_connection):
    with pytest.raises(ClientError):
        iam_calls.put_role_policy(aws_connection, 0, RoleName="not-yet", PolicyName="p", PolicyDocument="{}")
    assert aws_connection.clock.sleeps == []


def test_inline_document_and_tags_as_dicts(aws_connection, iam):
    make_role(iam, "r")
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    iam_calls.put_role_policy(aws_connection, 0, RoleName="r", PolicyName="p", PolicyDocument=json.dumps(document))
    assert iam_calls.get_role_policy(aws_connection, "r", "p") == document
    iam_calls.tag_role(aws_connection, 0, RoleName="r", tags={"team": "a"})
    assert iam.list_role_tags(RoleName="r")["Tags"] == [{"Key": "team", "Value": "a"}]


def test_listings_follow_every_page(aws_connection, iam):
    for n in range(105):
        iam.create_instance_profile(InstanceProfileName="p%03d" % n, Path="/many/")
    assert len(iam_calls.list_instance_profiles(aws_connection, "/many/")) == 105


# --------------------------------------------------------------------------------------------- EC2

def instances(ec2, count):
    answer = ec2.run_instances(ImageId=ami_id(ec2), MinCount=count, MaxCount=count)
    return [i["InstanceId"] for i in answer["Instances"]]


def test_chunks_hold_at_most_200_values():
    assert [len(c) for c in ec2_calls.chunked(range(450))] == [200, 200, 50]
    assert ec2_calls.chunked([]) == []


def test_associations_follow_next_token_at_the_page_size_asked(aws_connection, ec2, iam, calls, monkeypatch):
    iam.create_instance_profile(InstanceProfileName="web")
    ids = instances(ec2, 12)
    for instance_id in ids:
        ec2.associate_iam_instance_profile(IamInstanceProfile={"Name": "web"}, InstanceId=instance_id)
    monkeypatch.setattr(ec2_calls, "PAGE_SIZE", 5)
    calls.clear()
    found, complete = ec2_calls.describe_associations(aws_connection, [])
    assert complete and sorted(a["instance_id"] for a in found) == sorted(ids)
    assert calls.actions == ["DescribeIamInstanceProfileAssociations"] * 3
    assert [c[2]["MaxResults"] for c in calls.calls] == [5, 5, 5]
    partial, complete = ec2_calls.describe_associations(aws_connection, [], max_pages=1)
    assert not complete and len(partial) == 5


def test_a_second_disassociation_counts_as_done(aws_connection, ec2, iam):
    iam.create_instance_profile(InstanceProfileName="web")
    (instance_id,) = instances(ec2, 1)
    association = ec2.associate_iam_instance_profile(IamInstanceProfile={"Name": "web"}, InstanceId=instance_id)
    association_id = association["IamInstanceProfileAssociation"]["AssociationId"]
    assert ec2_calls.disassociate(aws_connection, association_id)["state"] == "disassociating"
    assert ec2_calls.disassociate(aws_connection, association_id) is None


def test_more_than_200_filter_values_are_refused_as_on_aws(aws_connection, ec2):
    with pytest.raises(ClientError) as refused:
        ec2_calls.describe_instance_states(aws_connection, [{"Name": "instance-id", "Values": ["i-%08x" % n
                                                                                               for n in range(201)]}])
    assert code(refused) == "FilterLimitExceeded"
