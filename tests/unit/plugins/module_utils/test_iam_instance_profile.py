"""module_utils/iam_instance_profile.py against moto in-process: reading, planning, applying, finding users."""

from unittest import mock

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from ansible_collections.iamkit.ec2.plugins.module_utils import iam_instance_profile as profiles
from ansible_collections.iamkit.ec2.plugins.module_utils.validate import InvalidInput
from tests.support.fixtures import make_role

ACCOUNT = "123456789012"


@pytest.fixture
def no_sleep(monkeypatch):
    slept = []
    monkeypatch.setattr(profiles, "sleep", slept.append)
    return slept


def make_profile(iam, name, role=None, tags=None, path="/"):
    params = dict(InstanceProfileName=name, Path=path)
    if tags:
        params["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    iam.create_instance_profile(**params)
    if role:
        iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=role)
    return iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]


def run_instance(ec2):
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    return ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]


def associate(ec2, instance_id, profile_name):
    answer = ec2.associate_iam_instance_profile(IamInstanceProfile={"Name": profile_name}, InstanceId=instance_id)
    return answer["IamInstanceProfileAssociation"]["AssociationId"]


def apply(iam, plan, ec2=None):
    return plan.apply(profiles.appliers(iam, ec2, timeout=5))


# ----------------------------------------------------------------------------------------- input

@pytest.mark.parametrize("value, expected", [
    (None, None),
    ("", ""),
    ("web", "web"),
    ("arn:aws:iam::123456789012:role/web", "web"),
    ("arn:aws:iam::123456789012:role/team/a/web", "web"),
    ("arn:aws-cn:iam::123456789012:role/web", "web"),
])
def test_role_name_accepts_names_and_arns(value, expected):
    assert profiles.role_name("role", value) == expected


@pytest.mark.parametrize("value, words", [
    ("/team/web", ["role='/team/web'", "path", "web", "ARN"]),
    ("team/web", ["role='team/web'", "path"]),
    ("arn:aws:iam::123456789012:user/bob", ["not an IAM role ARN", "role/<name>"]),
    ("arn:aws:iam::12345:role/web", ["not an IAM role ARN"]),
    ("web role", ["role='web role'", "+=,.@_-"]),
    ("r" * 65, ["1 to 64"]),
])
def test_role_name_refuses_paths_and_bad_values(value, words):
    with pytest.raises(InvalidInput) as error:
        profiles.role_name("role", value)
    for word in words:
        assert word in str(error.value)


@pytest.mark.parametrize("name, path, role, words", [
    ("bad name", None, None, ["name='bad name'", "+=,.@_-"]),
    ("p" * 129, None, None, ["1 to 128"]),
    ("", None, None, ["name=''"]),
    ("ok", "no-slashes", None, ["path='no-slashes'", "begin and end with '/'"]),
    ("ok", "/open", None, ["path='/open'"]),
    ("ok", "/with space/", None, ["path="]),
    ("ok", "/", "/path/role", ["role='/path/role'"]),
])
def test_check_profile_params_names_option_and_rule(name, path, role, words):
    with pytest.raises(InvalidInput) as error:
        profiles.check_profile_params(name, path, role)
    for word in words:
        assert word in str(error.value)


def test_check_profile_params_accepts_good_input():
    profiles.check_profile_params("p" * 128, "/a/b/", "arn:aws:iam::123456789012:role/x/r")


@pytest.mark.parametrize("value", ["/", "/team", "/team/", "/a/b/c"])
def test_path_prefix_needs_only_a_leading_slash(value):
    assert profiles.check_path_prefix("path_prefix", value) == value


@pytest.mark.parametrize("value", ["team/", "", "/a b/"])
def test_path_prefix_refused(value):
    with pytest.raises(InvalidInput) as error:
        profiles.check_path_prefix("path_prefix", value)
    assert "path_prefix=%r" % value in str(error.value)


# ----------------------------------------------------------------------------------------- reading

def test_read_profile_is_one_call_with_role_and_tags(iam, calls):
    make_role(iam, "r1")
    make_profile(iam, "p1", role="r1", tags={"team": "a"})
    calls.clear()
    profile = profiles.read_profile(iam, "p1")
    assert calls.actions == ["GetInstanceProfile"]
    assert [r["RoleName"] for r in profile["Roles"]] == ["r1"]
    assert profiles.describe(profile)["tags"] == {"team": "a"}


def test_read_profile_missing_is_none(iam):
    assert profiles.read_profile(iam, "nope") is None


def test_read_role_missing_names_it(iam):
    with pytest.raises(profiles.ProfileError) as error:
        profiles.read_role(iam, "ghost")
    assert "'ghost' does not exist" in str(error.value)


def test_read_role_by_arn_checks_the_path(iam):
    role = make_role(iam, "r1", path="/team/")
    assert profiles.read_role(iam, role["Arn"])["RoleName"] == "r1"
    wrong = "arn:aws:iam::%s:role/other/r1" % ACCOUNT
    with pytest.raises(profiles.ProfileError) as error:
        profiles.read_role(iam, wrong)
    assert wrong in str(error.value) and role["Arn"] in str(error.value)


def test_list_profiles_filters_by_prefix_and_includes_tags(iam):
    make_profile(iam, "b", path="/team/", tags={"k": "v"})
    make_profile(iam, "a", path="/team/sub/")
    make_profile(iam, "c", path="/other/")
    found = profiles.list_profiles(iam, "/team/")
    assert [p["InstanceProfileName"] for p in found] == ["a", "b"]
    assert profiles.describe(found[1])["tags"] == {"k": "v"}
    assert len(profiles.list_profiles(iam)) == 3


def test_instances_using_profile_matches_arn(iam, ec2):
    one = make_profile(iam, "one")
    two = make_profile(iam, "two")
    first, second, third = run_instance(ec2), run_instance(ec2), run_instance(ec2)
    a1 = associate(ec2, first, "one")
    a2 = associate(ec2, second, "one")
    associate(ec2, third, "two")
    assert profiles.instances_using_profile(ec2, one["Arn"]) == sorted([(first, a1), (second, a2)])
    assert [i for i, _a in profiles.instances_using_profile(ec2, two["Arn"])] == [third]
    ec2.disassociate_iam_instance_profile(AssociationId=a1)
    assert profiles.instances_using_profile(ec2, one["Arn"]) == [(second, a2)]
    assert profiles.instances_using_profile(ec2, "arn:aws:iam::%s:instance-profile/none" % ACCOUNT) == []


# ----------------------------------------------------------------------------------------- planning

def test_plan_create_with_role_and_tags(iam, calls):
    make_role(iam, "r1")
    calls.clear()
    plan, predicted, warnings = profiles.plan_present(iam, None, "p1", path="/x/", role="r1", tags={"a": "1"})
    assert calls.writes == []
    assert [c.action for c in plan.changes] == ["create", "add_role"]
    assert plan.before == {}
    assert plan.after == {"instance_profile_name": "p1", "path": "/x/", "role": "r1",
                          "role_arn": "arn:aws:iam::%s:role/r1" % ACCOUNT, "tags": {"a": "1"}}
    assert warnings == []
    assert profiles.describe(predicted)["roles"][0]["role_name"] == "r1"

    apply(iam, plan)
    profile = profiles.read_profile(iam, "p1")
    assert profiles.diff_state(profile) == plan.after


def test_plan_unchanged_makes_no_call(iam, calls):
    make_role(iam, "r1")
    current = make_profile(iam, "p1", role="r1", tags={"a": "1"})
    calls.clear()
    for role in ("r1", current["Roles"][0]["Arn"], None):
        plan, _predicted, _warnings = profiles.plan_present(iam, current, "p1", path="/", role=role, tags={"a": "1"})
        assert not plan
        assert plan.before == plan.after
    assert calls.actions == []


def test_plan_swap_removes_then_adds(iam):
    make_role(iam, "r1")
    make_role(iam, "r2")
    current = make_profile(iam, "p1", role="r1")
    plan, _predicted, _warnings = profiles.plan_present(iam, current, "p1", role="r2")
    assert [(c.action, c.params["role"]) for c in plan.changes] == [("remove_role", "r1"), ("add_role", "r2")]
    assert (plan.before["role"], plan.after["role"]) == ("r1", "r2")
    apply(iam, plan)
    assert [r["RoleName"] for r in profiles.read_profile(iam, "p1")["Roles"]] == ["r2"]


def test_plan_missing_role_fails_before_any_write(iam, calls):
    make_role(iam, "r1")
    current = make_profile(iam, "p1", role="r1")
    calls.clear()
    with pytest.raises(profiles.ProfileError) as error:
        profiles.plan_present(iam, current, "p1", role="ghost")
    assert "'ghost'" in str(error.value)
    assert calls.writes == []


def test_plan_empty_role(iam):
    make_role(iam, "r1")
    current = make_profile(iam, "p1", role="r1")
    plan, predicted, _warnings = profiles.plan_present(iam, current, "p1", role="")
    assert [c.action for c in plan.changes] == ["remove_role"]
    assert plan.after["role"] is None and predicted["Roles"] == []
    apply(iam, plan)
    assert profiles.read_profile(iam, "p1")["Roles"] == []
    plan, _predicted, _warnings = profiles.plan_present(iam, profiles.read_profile(iam, "p1"), "p1", role="")
    assert not plan


def test_plan_tags_purge_and_keep(iam):
    current = make_profile(iam, "p1", tags={"keep": "1", "drop": "2", "change": "3"})
    plan, _predicted, _warnings = profiles.plan_present(iam, current, "p1", tags={"keep": "1", "change": "4"})
    assert [(c.action, c.params) for c in plan.changes] == [
        ("untag", {"name": "p1", "keys": ["drop"]}), ("tag", {"name": "p1", "tags": {"change": "4"}})]
    plan_keep, _predicted, _warnings = profiles.plan_present(iam, current, "p1", tags={"new": "5"}, purge_tags=False)
    assert [c.action for c in plan_keep.changes] == ["tag"]
    assert plan_keep.after["tags"] == {"keep": "1", "drop": "2", "change": "3", "new": "5"}
    apply(iam, plan)
    assert profiles.describe(profiles.read_profile(iam, "p1"))["tags"] == {"keep": "1", "change": "4"}


def test_plan_other_path_warns_and_changes_nothing(iam):
    current = make_profile(iam, "p1", path="/a/")
    plan, _predicted, warnings = profiles.plan_present(iam, current, "p1", path="/b/")
    assert not plan
    assert len(warnings) == 1 and "/a/" in warnings[0] and "/b/" in warnings[0]


def test_plan_absent_removes_role_then_deletes(iam):
    make_role(iam, "r1")
    current = make_profile(iam, "p1", role="r1")
    plan = profiles.plan_absent(current, [])
    assert [c.action for c in plan.changes] == ["remove_role", "delete"]
    assert plan.after == {}
    apply(iam, plan)
    assert profiles.read_profile(iam, "p1") is None
    assert iam.get_role(RoleName="r1")["Role"]["RoleName"] == "r1"


def test_plan_absent_missing_is_empty():
    plan = profiles.plan_absent(None, [])
    assert not plan and plan.diff() == {"before": {}, "after": {}}


def test_plan_absent_refuses_profile_in_use(iam, ec2):
    current = make_profile(iam, "p1")
    instance = run_instance(ec2)
    associate(ec2, instance, "p1")
    with pytest.raises(profiles.ProfileError) as error:
        profiles.plan_absent(current, profiles.instances_using_profile(ec2, current["Arn"]))
    assert instance in str(error.value) and "force" in str(error.value)


def test_plan_absent_force_disassociates_first(iam, ec2):
    make_role(iam, "r1")
    current = make_profile(iam, "p1", role="r1")
    instance = run_instance(ec2)
    associate(ec2, instance, "p1")
    plan = profiles.plan_absent(current, profiles.instances_using_profile(ec2, current["Arn"]), force=True)
    assert [c.action for c in plan.changes] == ["disassociate", "remove_role", "delete"]
    apply(iam, plan, ec2)
    assert profiles.read_profile(iam, "p1") is None
    assert profiles.instances_using_profile(ec2, current["Arn"]) == []


# ----------------------------------------------------------------------------------------- eventual consistency

@pytest.fixture
def not_yet_visible():
    """Make the next `count` calls of an action fail as IAM does right after a create (NoSuchEntity)."""
    pending = {}
    original = BaseClient._make_api_call

    def answer(client, operation, params):
        if pending.get(operation, 0) > 0:
            pending[operation] -= 1
            raise ClientError({"Error": {"Code": "NoSuchEntity", "Message": "not visible yet"}}, operation)
        return original(client, operation, params)

    with mock.patch.object(BaseClient, "_make_api_call", answer):
        yield pending


def test_add_role_retries_until_the_new_profile_is_visible(iam, no_sleep, not_yet_visible):
    make_role(iam, "r1")
    plan, _predicted, _warnings = profiles.plan_present(iam, None, "p1", role="r1")
    not_yet_visible["AddRoleToInstanceProfile"] = 2
    apply(iam, plan)
    assert len(no_sleep) == 2
    assert [r["RoleName"] for r in profiles.read_profile(iam, "p1")["Roles"]] == ["r1"]


def test_add_role_gives_up_after_the_timeout(iam, not_yet_visible):
    make_role(iam, "r1")
    make_profile(iam, "p1")
    not_yet_visible["AddRoleToInstanceProfile"] = 1
    with pytest.raises(ClientError):
        profiles.appliers(iam, timeout=0)["add_role"](name="p1", role="r1")


def test_read_applied_waits_for_the_role(iam, no_sleep, not_yet_visible):
    make_role(iam, "r1")
    make_profile(iam, "p1", role="r1")
    not_yet_visible["GetInstanceProfile"] = 2
    profile = profiles.read_applied(iam, "p1", "r1", wait=True, timeout=60)
    assert profile["Roles"][0]["RoleName"] == "r1"
    assert len(no_sleep) == 2


def test_read_applied_without_wait_returns_none_when_not_visible(iam, not_yet_visible):
    make_profile(iam, "p1")
    not_yet_visible["GetInstanceProfile"] = 1
    assert profiles.read_applied(iam, "p1", None, wait=False) is None


def test_read_applied_times_out_naming_the_role(iam, no_sleep):
    make_profile(iam, "p1")
    with pytest.raises(profiles.ProfileError) as error:
        profiles.read_applied(iam, "p1", "r1", wait=True, timeout=3)
    assert "role r1" in str(error.value) and "wait_timeout=3" in str(error.value)
