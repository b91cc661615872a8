"""The iam_instance_profile module, run in-process against moto: outcomes, idempotence, check and diff mode."""

import json

import pytest

from tests.support.embedded_aws import ami_id
from tests.support.fixtures import EC2_TRUST_JSON
from tests.support.fixtures import make_role

MODULE = "iam_instance_profile"
ACCOUNT = "123456789012"


@pytest.fixture
def run(module_runner):
    return lambda args, **kwargs: module_runner(MODULE, args, **kwargs)


def profile_in_aws(iam, name):
    """(path, role names, tags) as AWS holds them, or None."""
    try:
        profile = iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
    except iam.exceptions.NoSuchEntityException:
        return None
    tags = dict((t["Key"], t["Value"]) for t in profile.get("Tags", []))
    return profile["Path"], [r["RoleName"] for r in profile["Roles"]], tags


def run_instance(ec2):
    image = ami_id(ec2)
    return ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]


def associate(ec2, instance_id, profile_name):
    ec2.associate_iam_instance_profile(IamInstanceProfile={"Name": profile_name}, InstanceId=instance_id)


def active_associations(ec2):
    filters = [{"Name": "state", "Values": ["associating", "associated"]}]
    found = ec2.describe_iam_instance_profile_associations(Filters=filters)["IamInstanceProfileAssociations"]
    return [a["InstanceId"] for a in found]


def assert_state_changing(run, calls, iam, args, expect, name="p1"):
    """Check mode first (no write, AWS untouched), then the run, then a second run that changes nothing."""
    before = profile_in_aws(iam, name)
    checked = run(args, check_mode=True, diff=True)
    assert checked["changed"] is True, checked
    assert calls.writes == []
    assert profile_in_aws(iam, name) == before

    result = run(args, diff=True)
    assert result["changed"] is True, result
    assert result["changes"] == checked["changes"]
    assert result["diff"] == checked["diff"]
    assert profile_in_aws(iam, name) == expect

    again = run(args)
    assert again["changed"] is False, again
    assert calls.writes == []
    assert again["changes"] == []
    return checked, result, again


# ----------------------------------------------------------------------------------------- present

def test_create_with_role_path_and_tags(run, calls, iam):
    make_role(iam, "r1")
    args = dict(name="p1", path="/team/", role="r1", tags={"team": "a"})
    checked, result, again = assert_state_changing(run, calls, iam, args, ("/team/", ["r1"], {"team": "a"}))

    profile = result["iam_instance_profile"]
    assert profile["arn"] == "arn:aws:iam::%s:instance-profile/team/p1" % ACCOUNT
    assert profile["instance_profile_name"] == "p1" and profile["path"] == "/team/"
    assert profile["instance_profile_id"] and profile["create_date"]
    assert [r["role_name"] for r in profile["roles"]] == ["r1"]
    assert profile["roles"][0]["arn"] == "arn:aws:iam::%s:role/r1" % ACCOUNT
    assert profile["roles"][0]["assume_role_policy_document"] == json.loads(EC2_TRUST_JSON)
    assert profile["tags"] == {"team": "a"}
    assert again["iam_instance_profile"] == profile

    assert checked["iam_instance_profile"]["arn"] is None
    assert checked["iam_instance_profile"]["roles"][0]["role_name"] == "r1"
    assert result["diff"] == {
        "before": {},
        "after": {"instance_profile_name": "p1", "path": "/team/", "role": "r1",
                  "role_arn": "arn:aws:iam::%s:role/r1" % ACCOUNT, "tags": {"team": "a"}},
    }
    assert result["changes"] == ["create instance profile p1 at path /team/", "add role r1 to instance profile p1"]


def test_noop_run_is_one_call(run, calls, iam):
    make_role(iam, "r1")
    run(dict(name="p1", role="r1", tags={"a": "1"}))
    result = run(dict(name="p1", role="r1", tags={"a": "1"}))
    assert result["changed"] is False
    assert calls.actions == ["GetInstanceProfile"]


def test_create_empty_profile_with_defaults(run, calls, iam):
    assert_state_changing(run, calls, iam, dict(name="p1"), ("/", [], {}))


def test_role_by_arn(run, calls, iam):
    role = make_role(iam, "r1", path="/svc/")
    assert_state_changing(run, calls, iam, dict(name="p1", role=role["Arn"]), ("/", ["r1"], {}))
    assert run(dict(name="p1", role="r1"))["changed"] is False


def test_swap_removes_then_adds(run, calls, iam):
    make_role(iam, "r1")
    make_role(iam, "r2")
    run(dict(name="p1", role="r1"))
    _checked, result, _again = assert_state_changing(run, calls, iam, dict(name="p1", role="r2"), ("/", ["r2"], {}))
    assert result["changes"] == ["remove role r1 from instance profile p1", "add role r2 to instance profile p1"]
    assert (result["diff"]["before"]["role"], result["diff"]["after"]["role"]) == ("r1", "r2")
    assert result["diff"]["after"]["role_arn"] == "arn:aws:iam::%s:role/r2" % ACCOUNT
    assert [r["role_name"] for r in result["iam_instance_profile"]["roles"]] == ["r2"]


def test_empty_role_removes_it(run, calls, iam):
    make_role(iam, "r1")
    run(dict(name="p1", role="r1"))
    _checked, result, _again = assert_state_changing(run, calls, iam, dict(name="p1", role=""), ("/", [], {}))
    assert result["iam_instance_profile"]["roles"] == []
    assert result["diff"]["after"]["role"] is None
    iam.get_role(RoleName="r1")


def test_omitted_role_and_tags_change_nothing(run, calls, iam):
    make_role(iam, "r1")
    run(dict(name="p1", role="r1", tags={"a": "1"}))
    result = run(dict(name="p1"))
    assert result["changed"] is False and calls.writes == []
    assert profile_in_aws(iam, "p1") == ("/", ["r1"], {"a": "1"})


def test_tags_purged_or_kept(run, calls, iam):
    run(dict(name="p1", tags={"keep": "1", "drop": "2"}))
    assert_state_changing(run, calls, iam, dict(name="p1", tags={"keep": "1", "new": "3"}),
                          ("/", [], {"keep": "1", "new": "3"}))
    assert_state_changing(run, calls, iam, dict(name="p1", tags={"more": "4"}, purge_tags=False),
                          ("/", [], {"keep": "1", "new": "3", "more": "4"}))


def test_missing_role_fails_before_any_write(run, calls, iam):
    make_role(iam, "r1")
    run(dict(name="p1", role="r1"))
    result = run(dict(name="p1", role="ghost"))
    assert result["failed"] is True and "'ghost' does not exist" in result["msg"]
    assert calls.writes == []
    assert profile_in_aws(iam, "p1") == ("/", ["r1"], {})

    result = run(dict(name="p2", role="ghost"))
    assert result["failed"] is True and calls.writes == []
    assert profile_in_aws(iam, "p2") is None


def test_role_arn_with_wrong_path_fails(run, calls, iam):
    make_role(iam, "r1", path="/svc/")
    wrong = "arn:aws:iam::%s:role/r1" % ACCOUNT
    result = run(dict(name="p1", role=wrong))
    assert result["failed"] is True and wrong in result["msg"] and "/svc/" in result["msg"]
    assert calls.writes == [] and profile_in_aws(iam, "p1") is None


def test_other_path_warns_and_changes_nothing(run, calls, iam):
    run(dict(name="p1", path="/a/"))
    result = run(dict(name="p1", path="/b/"))
    assert result["changed"] is False and calls.writes == []
    # ansible-core 2.19 wraps each warning as {"event": {"msg": ...}}; older cores give the string.
    texts = [w["event"]["msg"] if isinstance(w, dict) else w for w in result["warnings"]]
    assert any("/a/" in text and "/b/" in text for text in texts), result["warnings"]


def test_wait_false_still_returns_the_profile(run, calls, iam):
    make_role(iam, "r1")
    result = run(dict(name="p1", role="r1", wait=False))
    assert result["changed"] is True
    assert [r["role_name"] for r in result["iam_instance_profile"]["roles"]] == ["r1"]


# ----------------------------------------------------------------------------------------- absent

def test_absent_removes_role_then_deletes(run, calls, iam):
    make_role(iam, "r1")
    run(dict(name="p1", role="r1", tags={"a": "1"}))
    _checked, result, again = assert_state_changing(run, calls, iam, dict(name="p1", state="absent"), None)
    assert result["changes"] == ["remove role r1 from instance profile p1", "delete instance profile p1"]
    assert result["diff"]["after"] == {} and result["diff"]["before"]["role"] == "r1"
    assert result["iam_instance_profile"] is None
    assert again["changes"] == [] and calls.actions == ["GetInstanceProfile"]
    iam.get_role(RoleName="r1")


def test_absent_refused_when_associated(run, calls, iam, ec2):
    make_role(iam, "r1")
    run(dict(name="p1", role="r1"))
    instance = run_instance(ec2)
    associate(ec2, instance, "p1")
    for check_mode in (True, False):
        result = run(dict(name="p1", state="absent"), check_mode=check_mode)
        assert result["failed"] is True
        assert instance in result["msg"] and "force" in result["msg"]
        assert calls.writes == []
        assert profile_in_aws(iam, "p1") == ("/", ["r1"], {})
        assert active_associations(ec2) == [instance]


def test_absent_force_disassociates_first(run, calls, iam, ec2):
    make_role(iam, "r1")
    run(dict(name="p1", role="r1"))
    instance = run_instance(ec2)
    associate(ec2, instance, "p1")
    args = dict(name="p1", state="absent", force=True)

    checked = run(args, check_mode=True)
    assert checked["changed"] is True and calls.writes == []
    assert active_associations(ec2) == [instance]

    result = run(args)
    assert result["changed"] is True
    assert result["changes"][0] == "disassociate instance profile p1 from %s" % instance
    assert calls.writes == ["DisassociateIamInstanceProfile", "RemoveRoleFromInstanceProfile", "DeleteInstanceProfile"]
    assert profile_in_aws(iam, "p1") is None and active_associations(ec2) == []

    again = run(args)
    assert again["changed"] is False and calls.writes == []


def test_absent_without_region_refuses_before_any_write(run, calls, iam, monkeypatch):
    run(dict(name="p1"))
    for variable in ("AWS_REGION", "AWS_DEFAULT_REGION", "EC2_REGION"):
        monkeypatch.delenv(variable, raising=False)
    result = run(dict(name="p1", state="absent", region=None))
    assert result["failed"] is True and "set region" in result["msg"], result
    assert calls.writes == []
    assert profile_in_aws(iam, "p1") == ("/", [], {})


# ----------------------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("args, words", [
    (dict(name="bad name"), ["name='bad name'", "+=,.@_-"]),
    (dict(name="p" * 129), ["1 to 128"]),
    (dict(name="p1", path="team"), ["path='team'", "path must begin and end with /"]),
    (dict(name="p1", role="/team/r1"), ["role='/team/r1'", "path", "r1"]),
    (dict(name="p1", role="arn:aws:iam::123456789012:policy/x"), ["role=", "not an IAM role ARN"]),
    (dict(name="p1", role="r 1"), ["role='r 1'"]),
    (dict(name="p1", wait_timeout=-1), ["wait_timeout=-1", "0 to 3600"]),
    (dict(name="p1", state="gone"), ["state", "absent, present"]),
    (dict(name="p1", force="maybe"), ["force"]),
])
def test_bad_input_fails_before_any_call(run, calls, args, words):
    result = run(args)
    assert result["failed"] is True
    for word in words:
        assert word in result["msg"]
    assert calls.actions == []


def test_check_mode_predicts_a_role_an_earlier_task_would_create(module_runner, calls, aws_clients):
    """In a check-mode play, iam_role reports the role it would create; this task must not fail on it."""
    result = module_runner("iam_instance_profile", dict(name="web", role="not-created-yet"), check_mode=True)
    assert result["changed"] is True, result
    assert any("not-created-yet" in str(w) and "check mode" in str(w) for w in result["warnings"])
    assert calls.writes == []
    assert aws_clients("iam").list_instance_profiles()["InstanceProfiles"] == []
    refused = module_runner("iam_instance_profile", dict(name="web", role="not-created-yet"))
    assert refused["failed"] is True and "not-created-yet" in refused["msg"]
    assert calls.writes == []
