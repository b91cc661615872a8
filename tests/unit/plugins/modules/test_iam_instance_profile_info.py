"""The iam_instance_profile_info module, run in-process against moto: what it finds, and that it writes nothing."""


import pytest

from tests.support.embedded_aws import ami_id
from tests.support.fixtures import EC2_TRUST_JSON

MODULE = "iam_instance_profile_info"
ACCOUNT = "123456789012"


@pytest.fixture
def world(aws_clients):
    """Three profiles: a (/team/, role r1, tagged, used by one instance), b (/team/sub/), c (/other/)."""
    iam, ec2 = aws_clients("iam"), aws_clients("ec2")
    iam.create_role(RoleName="r1", AssumeRolePolicyDocument=EC2_TRUST_JSON)
    iam.create_instance_profile(InstanceProfileName="a", Path="/team/", Tags=[{"Key": "team", "Value": "x"}])
    iam.add_role_to_instance_profile(InstanceProfileName="a", RoleName="r1")
    iam.create_instance_profile(InstanceProfileName="b", Path="/team/sub/")
    iam.create_instance_profile(InstanceProfileName="c", Path="/other/")
    image = ami_id(ec2)
    instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    association = ec2.associate_iam_instance_profile(IamInstanceProfile={"Name": "a"}, InstanceId=instance)
    return dict(instance=instance, association=association["IamInstanceProfileAssociation"]["AssociationId"])


@pytest.fixture
def run(module_runner, calls):
    def run_and_check(args):
        result = module_runner(MODULE, args)
        assert calls.writes == []
        return result

    return run_and_check


def names(result):
    return [p["instance_profile_name"] for p in result["iam_instance_profiles"]]


def test_by_name_with_role_arn_and_tags(run, calls, world):
    result = run(dict(name="a"))
    assert result["changed"] is False
    (profile,) = result["iam_instance_profiles"]
    assert profile["arn"] == "arn:aws:iam::%s:instance-profile/team/a" % ACCOUNT
    assert profile["path"] == "/team/" and profile["tags"] == {"team": "x"}
    assert [(r["role_name"], r["arn"]) for r in profile["roles"]] == [("r1", "arn:aws:iam::%s:role/r1" % ACCOUNT)]
    assert "instances" not in profile
    assert calls.actions == ["GetInstanceProfile"]


def test_by_name_missing_is_empty(run, world):
    assert run(dict(name="nope"))["iam_instance_profiles"] == []


def test_by_path_prefix(run, world):
    result = run(dict(path_prefix="/team/"))
    assert names(result) == ["a", "b"]
    assert result["iam_instance_profiles"][0]["tags"] == {"team": "x"}
    assert names(run(dict(prefix="/other"))) == ["c"]


def test_path_prefix_without_slashes_means_the_path(run, world):
    """As amazon.aws does: team and team/ mean /team/."""
    assert names(run(dict(path_prefix="team"))) == ["a", "b"]
    assert names(run(dict(path_prefix="team/"))) == ["a", "b"]


def test_all(run, world):
    assert names(run({})) == ["a", "b", "c"]


def test_include_instances(run, calls, world):
    result = run(dict(path_prefix="/team/", include_instances=True))
    by_name = dict((p["instance_profile_name"], p) for p in result["iam_instance_profiles"])
    assert by_name["a"]["instances"] == [dict(instance_id=world["instance"], association_id=world["association"])]
    assert by_name["b"]["instances"] == []
    assert calls.actions.count("DescribeIamInstanceProfileAssociations") == 1


@pytest.mark.parametrize("args, words", [
    (dict(name="bad name"), ["name='bad name'"]),
    (dict(path_prefix="/te am/"), ["path_prefix='/te am/'", "path must begin and end with /"]),
    (dict(name="a", path_prefix="/team/"), ["mutually exclusive", "name", "path_prefix"]),
])
def test_bad_input_fails_before_any_call(run, calls, args, words):
    result = run(args)
    assert result["failed"] is True
    for word in words:
        assert word in result["msg"]
    assert calls.actions == []
