"""iam_role and iam_role_info, run in-process against moto: outcomes in AWS, idempotence, check and diff mode."""

import json

import pytest

from tests.support.embedded_aws import ami_id

EC2_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
READ_S3 = {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::seed/*"}]}
CW_ARN = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"
SSM_ARN = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
READONLY_ARN = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def role_args(**extra):
    args = dict(name="agent-role", trusted_services=["ec2.amazonaws.com"], create_instance_profile=False)
    args.update(extra)
    return args


def attached_arns(iam, name):
    return sorted(p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"])


def assert_converged(run, calls, args):
    """The same task again: changed=false, no write call, and the same in check mode."""
    again = run("iam_role", args)
    assert again["changed"] is False, again
    assert calls.writes == []
    checked = run("iam_role", args, check_mode=True)
    assert checked["changed"] is False
    assert calls.writes == []
    return again


def test_create_with_managed_and_inline_policies_then_noop_in_four_calls(module_runner, calls, aws_clients):
    args = role_args(managed_policies=["CloudWatchAgentServerPolicy"], inline_policies={"read-seed": READ_S3},
                     tags={"team": "obs"}, description="agent", max_session_duration=7200)
    result = module_runner("iam_role", args)
    iam = aws_clients("iam")
    assert result["changed"] is True
    role = iam.get_role(RoleName="agent-role")["Role"]
    assert role["Description"] == "agent" and role["MaxSessionDuration"] == 7200
    assert role["Tags"] == [{"Key": "team", "Value": "obs"}]
    assert attached_arns(iam, "agent-role") == [CW_ARN]
    assert iam.get_role_policy(RoleName="agent-role", PolicyName="read-seed")["PolicyDocument"]["Statement"][0][
        "Action"] == "s3:GetObject"
    assert result["iam_role"]["attached_policies"] == [{"policy_name": "CloudWatchAgentServerPolicy",
                                                        "policy_arn": CW_ARN}]
    assert result["iam_role"]["inline_policies"] == ["read-seed"]
    # The name resolved with one direct GetPolicy, never by listing AWS's policies.
    assert "ListPolicies" not in calls.actions

    again = assert_converged(module_runner, calls, args)
    module_runner("iam_role", args)
    assert calls.actions == ["GetRole", "ListAttachedRolePolicies", "ListRolePolicies", "GetRolePolicy"]
    assert again["iam_role"]["arn"] == role["Arn"]


def test_noop_without_inline_policies_reads_only_role_and_attachments(module_runner, calls, aws_clients):
    """Omitted inline_policies cannot change anything, so they are not even listed: two calls in all."""
    args = role_args(managed_policies=["CloudWatchAgentServerPolicy"])
    module_runner("iam_role", args)
    aws_clients("iam").put_role_policy(RoleName="agent-role", PolicyName="kept", PolicyDocument=json.dumps(
        dict(READ_S3, Version="2012-10-17")))
    again = module_runner("iam_role", args)
    assert again["changed"] is False
    assert calls.actions == ["GetRole", "ListAttachedRolePolicies"]
    assert "inline_policies" not in again["iam_role"]
    assert aws_clients("iam").list_role_policies(RoleName="agent-role")["PolicyNames"] == ["kept"]


def test_check_mode_create_makes_no_write_and_predicts_the_role(module_runner, calls, aws_clients):
    args = role_args(managed_policies=[CW_ARN], tags={"a": "1"})
    result = module_runner("iam_role", args, check_mode=True, diff=True)
    assert result["changed"] is True
    assert calls.writes == []
    assert aws_clients("iam").list_roles()["Roles"] == []
    assert result["iam_role"]["role_name"] == "agent-role"
    assert result["iam_role"]["attached_policies"] == [{"policy_name": "CloudWatchAgentServerPolicy",
                                                        "policy_arn": CW_ARN}]
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["tags"] == {"a": "1"}
    assert result["changes"][0] == "create role agent-role"


def test_trust_policy_compared_by_meaning(module_runner, calls, aws_clients):
    account_trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::123456789012:root"]},
                       "Action": ["sts:AssumeRole"], "Sid": ""}],
    }
    module_runner("iam_role", dict(name="cross", assume_role_policy_document=account_trust,
                                   create_instance_profile=False))
    same_meaning = json.dumps({"Statement": {"Action": "sts:AssumeRole", "Principal": {"AWS": "123456789012"},
                                             "Effect": "Allow"}})
    args = dict(name="cross", assume_role_policy_document=same_meaning, create_instance_profile=False)
    assert_converged(module_runner, calls, args)

    changed = dict(args, assume_role_policy_document=EC2_TRUST)
    preview = module_runner("iam_role", changed, check_mode=True, diff=True)
    assert preview["changed"] is True and calls.writes == []
    assert preview["diff"]["after"]["assume_role_policy_document"] == EC2_TRUST
    result = module_runner("iam_role", changed)
    assert calls.writes == ["UpdateAssumeRolePolicy"]
    assert aws_clients("iam").get_role(RoleName="cross")["Role"]["AssumeRolePolicyDocument"]["Statement"][0][
        "Principal"] == {"Service": "ec2.amazonaws.com"}
    assert result["changes"] == ["update the trust policy of role cross"]


def test_managed_policy_list_is_exclusive_unless_purge_is_off_and_omitted_list_keeps_all(
        module_runner, calls, aws_clients):
    iam = aws_clients("iam")
    module_runner("iam_role", role_args(managed_policies=[CW_ARN, SSM_ARN]))
    # Omitted list: nothing detached.
    omitted = module_runner("iam_role", role_args(description="now described"))
    assert "DetachRolePolicy" not in calls.actions and omitted["changed"] is True
    assert attached_arns(iam, "agent-role") == sorted([CW_ARN, SSM_ARN])
    # purge_policies false: only adds.
    module_runner("iam_role", role_args(managed_policies=["ReadOnlyAccess"], purge_policies=False))
    assert calls.writes == ["AttachRolePolicy"]
    assert attached_arns(iam, "agent-role") == sorted([CW_ARN, SSM_ARN, READONLY_ARN])
    # Given list, default purge: exactly that list.
    exclusive = role_args(managed_policies=["CloudWatchAgentServerPolicy"])
    preview = module_runner("iam_role", exclusive, check_mode=True)
    assert calls.writes == [] and len(attached_arns(iam, "agent-role")) == 3
    assert sorted(preview["changes"]) == sorted(["detach %s from role agent-role" % SSM_ARN,
                                                 "detach %s from role agent-role" % READONLY_ARN])
    module_runner("iam_role", exclusive)
    assert attached_arns(iam, "agent-role") == [CW_ARN]
    assert_converged(module_runner, calls, exclusive)
    # Empty list detaches everything.
    module_runner("iam_role", role_args(managed_policies=[]))
    assert attached_arns(iam, "agent-role") == []


def test_inline_policies_update_purge_and_keep(module_runner, calls, aws_clients):
    iam = aws_clients("iam")
    write = {"Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]}
    module_runner("iam_role", role_args(inline_policies={"read": READ_S3, "write": write}))
    assert sorted(iam.list_role_policies(RoleName="agent-role")["PolicyNames"]) == ["read", "write"]
    # Omitted: nothing deleted. purge false: only adds/updates.
    module_runner("iam_role", role_args())
    module_runner("iam_role", role_args(inline_policies={"other": write}, purge_inline_policies=False))
    assert calls.writes == ["PutRolePolicy"]
    assert sorted(iam.list_role_policies(RoleName="agent-role")["PolicyNames"]) == ["other", "read", "write"]
    # Same document written as JSON with reordered keys: no change.
    same = {"read": json.dumps({"Statement": {"Resource": ["arn:aws:s3:::seed/*"], "Effect": "Allow",
                                              "Action": ["s3:GetObject"]}, "Version": "2012-10-17"})}
    module_runner("iam_role", role_args(inline_policies=same, purge_inline_policies=False))
    assert calls.writes == []
    # Changed document, purge: one update, two deletes.
    changed = {"read": {"Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}}
    result = module_runner("iam_role", role_args(inline_policies=changed), diff=True)
    assert sorted(calls.writes) == ["DeleteRolePolicy", "DeleteRolePolicy", "PutRolePolicy"]
    assert iam.list_role_policies(RoleName="agent-role")["PolicyNames"] == ["read"]
    assert set(result["diff"]["before"]["inline_policies"]) == {"read", "other", "write"}
    assert_converged(module_runner, calls, role_args(inline_policies=changed))


def test_tags_purge_and_keep(module_runner, calls, aws_clients):
    iam = aws_clients("iam")
    module_runner("iam_role", role_args(tags={"a": "1", "b": "2"}))
    module_runner("iam_role", role_args(tags={"c": "3"}, purge_tags=False))
    assert calls.writes == ["TagRole"]
    module_runner("iam_role", role_args(tags={"a": "9"}))
    assert sorted(calls.writes) == ["TagRole", "UntagRole"]
    assert iam.list_role_tags(RoleName="agent-role")["Tags"] == [{"Key": "a", "Value": "9"}]
    assert_converged(module_runner, calls, role_args(tags={"a": "9"}))


def test_description_and_duration_update_keep_each_other(module_runner, calls, aws_clients):
    iam = aws_clients("iam")
    module_runner("iam_role", role_args(description="first", max_session_duration=7200))
    module_runner("iam_role", role_args(description="second"))
    role = iam.get_role(RoleName="agent-role")["Role"]
    assert (role["Description"], role["MaxSessionDuration"]) == ("second", 7200)
    assert_converged(module_runner, calls, role_args(max_session_duration=7200))


def test_boundary_set_with_instance_profile_then_removed(module_runner, calls, aws_clients):
    iam = aws_clients("iam")
    args = role_args(boundary=READONLY_ARN, create_instance_profile=True)
    module_runner("iam_role", args)
    assert iam.get_role(RoleName="agent-role")["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == READONLY_ARN
    profile = iam.get_instance_profile(InstanceProfileName="agent-role")["InstanceProfile"]
    assert [r["RoleName"] for r in profile["Roles"]] == ["agent-role"]
    assert_converged(module_runner, calls, args)
    removed = module_runner("iam_role", role_args(boundary=""))
    assert calls.writes == ["DeleteRolePermissionsBoundary"]
    assert "PermissionsBoundary" not in iam.get_role(RoleName="agent-role")["Role"]
    assert "permissions_boundary" not in removed["iam_role"]
    assert_converged(module_runner, calls, role_args(boundary=""))


def warnings_of(result):
    # ansible-core 2.19 wraps each warning as {"event": {"msg": ...}}; older cores give the string.
    return [w["event"]["msg"] if isinstance(w, dict) else w for w in result.get("warnings", [])]


def test_other_path_warns_and_leaves_the_role_as_amazon_aws_does(module_runner, calls, aws_clients):
    module_runner("iam_role", role_args(path="/agents/"))
    result = module_runner("iam_role", role_args(path="/other/"))
    assert result["changed"] is False and calls.writes == []
    assert any("/agents/" in w and "/other/" in w and "cannot move" in w for w in warnings_of(result)), result
    assert aws_clients("iam").get_role(RoleName="agent-role")["Role"]["Path"] == "/agents/"
    # The rest of the task is still applied; the path stays.
    described = module_runner("iam_role", role_args(path="/other/", description="x"))
    assert described["changed"] is True and calls.writes == ["UpdateRole"]
    role = aws_clients("iam").get_role(RoleName="agent-role")["Role"]
    assert (role["Path"], role["Description"]) == ("/agents/", "x")


def test_unknown_policy_name_fails_naming_what_was_tried(module_runner, calls, aws_clients):
    result = module_runner("iam_role", role_args(managed_policies=["NoSuchPolicyAnywhere"]))
    assert result["failed"] is True
    assert "arn:aws:iam::aws:policy/NoSuchPolicyAnywhere" in result["msg"]
    assert "arn:aws:iam::123456789012:policy/NoSuchPolicyAnywhere" in result["msg"]
    assert calls.writes == []
    assert aws_clients("iam").list_roles()["Roles"] == []


def test_customer_policy_under_a_path_resolves_by_name(module_runner, calls, aws_clients):
    iam = aws_clients("iam")
    arn = iam.create_policy(PolicyName="team-read", Path="/teams/", PolicyDocument=json.dumps(
        dict(READ_S3, Version="2012-10-17")))["Policy"]["Arn"]
    module_runner("iam_role", role_args(managed_policies=["team-read"]))
    assert attached_arns(iam, "agent-role") == [arn]
    assert_converged(module_runner, calls, role_args(managed_policies=["team-read"]))


def test_create_instance_profile_default_makes_the_same_named_profile(module_runner, calls, aws_clients):
    args = dict(name="web", trusted_services=["ec2.amazonaws.com"])
    module_runner("iam_role", args)
    profile = aws_clients("iam").get_instance_profile(InstanceProfileName="web")["InstanceProfile"]
    assert [r["RoleName"] for r in profile["Roles"]] == ["web"]
    assert_converged(module_runner, calls, args)


def make_instance_with_profile(aws_clients, profile_name):
    ec2 = aws_clients("ec2")
    image = ami_id(ec2)
    instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    ec2.associate_iam_instance_profile(IamInstanceProfile={"Name": profile_name}, InstanceId=instance)
    return instance


def test_absent_removes_everything_and_keeps_other_profiles(module_runner, calls, aws_clients):
    iam = aws_clients("iam")
    module_runner("iam_role", dict(name="web", trusted_services=["ec2.amazonaws.com"], managed_policies=[CW_ARN],
                                   inline_policies={"read": READ_S3}))
    iam.create_instance_profile(InstanceProfileName="web-extra")
    iam.add_role_to_instance_profile(InstanceProfileName="web-extra", RoleName="web")
    preview = module_runner("iam_role", dict(name="web", state="absent"), check_mode=True)
    assert preview["changed"] is True and calls.writes == []
    assert iam.get_role(RoleName="web")
    result = module_runner("iam_role", dict(name="web", state="absent", delete_instance_profile=True))
    assert result["changed"] is True and result["iam_role"] == {}
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == []
    # The same-named profile is deleted when asked; the other one is kept, empty.
    names = [p["InstanceProfileName"] for p in iam.list_instance_profiles()["InstanceProfiles"]]
    assert names == ["web-extra"]
    assert iam.get_instance_profile(InstanceProfileName="web-extra")["InstanceProfile"]["Roles"] == []
    again = module_runner("iam_role", dict(name="web", state="absent"))
    assert again["changed"] is False and calls.writes == [] and calls.actions == ["GetRole"]


def test_absent_refuses_a_role_in_use_unless_forced(module_runner, calls, aws_clients):
    iam = aws_clients("iam")
    module_runner("iam_role", dict(name="web", trusted_services=["ec2.amazonaws.com"]))
    instance = make_instance_with_profile(aws_clients, "web")
    refused = module_runner("iam_role", dict(name="web", state="absent"))
    assert refused["failed"] is True
    assert instance in refused["msg"] and "force" in refused["msg"]
    assert calls.writes == []
    assert iam.get_role(RoleName="web")
    forced = module_runner("iam_role", dict(name="web", state="absent", force=True))
    assert forced["changed"] is True
    assert calls.writes[0] == "DisassociateIamInstanceProfile"
    associations = aws_clients("ec2").describe_iam_instance_profile_associations()["IamInstanceProfileAssociations"]
    assert [a for a in associations if a["State"] in ("associating", "associated")] == []
    assert iam.list_roles()["Roles"] == []


@pytest.mark.parametrize("args, words", [
    (dict(name="x" * 65), ["name", "64"]),
    (dict(name="bad name"), ["name", "+=,.@_-"]),
    (dict(name="ok", path="no-slashes"), ["path", "path must begin and end with /"]),
    (dict(name="ok", max_session_duration=60), ["max_session_duration", "3600", "43200"]),
    (dict(name="ok", boundary="ReadOnlyAccess"), ["boundary", "arn:aws:iam::"]),
    (dict(name="ok", managed_policies=["arn:aws:iam::aws:notapolicy"]), ["managed_policies", "policy ARN"]),
    (dict(name="ok", assume_role_policy_document="{not json"), ["assume_role_policy_document", "not valid JSON"]),
    (dict(name="ok", assume_role_policy_document={"Version": "2012-10-17"}),
     ["assume_role_policy_document", "Statement"]),
    (dict(name="ok", inline_policies={"p": {"Statement": [{"Effect": "Maybe"}]}}), ["inline_policies.p", "Effect"]),
    (dict(name="ok", trusted_services=["ec2.amazonaws.com"], assume_role_policy_document=EC2_TRUST),
     ["mutually exclusive", "trusted_services"]),
    (dict(name="ok", trusted_services=[]), ["trusted_services", "at least one"]),
    (dict(name="ok", state="gone"), ["state", "present", "absent"]),
    (dict(name="ok", create_instance_profile=False),
     ["state is present but all of the following are missing: assume_role_policy_document", "trusted_services",
      "trusted_accounts", "create"]),
])
def test_bad_input_fails_before_any_write(module_runner, calls, aws_clients, args, words):
    result = module_runner("iam_role", args)
    assert result["failed"] is True
    for word in words:
        assert word in result["msg"], result["msg"]
    assert calls.writes == []
    assert aws_clients("iam").list_roles()["Roles"] == []


def test_info_by_name_path_and_all_is_complete(module_runner, calls, aws_clients):
    module_runner("iam_role", dict(name="web", path="/svc/", trusted_services=["ec2.amazonaws.com"],
                                   managed_policies=[CW_ARN], inline_policies={"read": READ_S3}, tags={"t": "1"},
                                   boundary=READONLY_ARN))
    module_runner("iam_role", role_args(name="other"))
    by_name = module_runner("iam_role_info", dict(name="web"))
    assert by_name["changed"] is False and calls.writes == []
    (role,) = by_name["iam_roles"]
    assert role["tags"] == {"t": "1"}
    assert role["permissions_boundary"]["permissions_boundary_arn"] == READONLY_ARN
    assert role["managed_policies"] == [{"policy_name": "CloudWatchAgentServerPolicy", "policy_arn": CW_ARN}]
    assert role["inline_policies"] == ["read"]
    assert [p["instance_profile_name"] for p in role["instance_profiles"]] == ["web"]
    assert role["instance_profiles"][0]["roles"][0]["role_name"] == "web"
    by_path = module_runner("iam_role_info", dict(path_prefix="/svc/"))
    assert by_path["iam_roles"] == by_name["iam_roles"]
    everything = module_runner("iam_role_info", dict())
    assert sorted(r["role_name"] for r in everything["iam_roles"]) == ["other", "web"]
    assert module_runner("iam_role_info", dict(name="missing"))["iam_roles"] == []
    assert calls.writes == []


def test_info_path_prefix_without_slashes_and_a_bad_one(module_runner, calls, aws_clients):
    module_runner("iam_role", role_args(name="web", path="/svc/"))
    module_runner("iam_role", role_args(name="other"))
    # As amazon.aws does: svc means /svc/.
    assert [r["role_name"] for r in module_runner("iam_role_info", dict(path_prefix="svc"))["iam_roles"]] == ["web"]
    result = module_runner("iam_role_info", dict(path_prefix="/s vc/"))
    assert result["failed"] is True and "path_prefix" in result["msg"]
    assert calls.actions == []


def test_resource_actions_name_every_call_made_whatever_the_endpoint(module_runner, calls, aws_clients):
    # amazon.aws's integration targets assert on these ("iam:CreateInstanceProfile" in resource_actions).
    args = role_args(create_instance_profile=True, debug_botocore_endpoint_logs=True)
    created = module_runner("iam_role", args)
    made = sorted(set("%s:%s" % (service, operation) for service, operation, _params in calls.calls))
    assert created["resource_actions"] == made
    assert {"iam:CreateRole", "iam:CreateInstanceProfile", "iam:AddRoleToInstanceProfile"} <= set(made)

    checked = module_runner("iam_role", dict(args, description="new"), check_mode=True)
    assert calls.writes == []
    assert "iam:UpdateRole" not in checked["resource_actions"] and "iam:GetRole" in checked["resource_actions"]

    quiet = module_runner("iam_role", role_args(create_instance_profile=True))
    assert quiet["changed"] is False and "resource_actions" not in quiet
