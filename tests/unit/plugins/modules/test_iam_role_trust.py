"""iam_role's trusted_accounts and external_id, and who iam_role_info says may assume a role.

Run in-process against moto. AWS is read with boto3; every state-changing case checks the second run
(changed=false, no write call) and check mode (no write call, AWS unchanged).
"""

import json

import pytest

from tests.support.fixtures import make_role

OTHER_ACCOUNT = "111122223333"
OTHER_ROOT = "arn:aws:iam::111122223333:root"
OTHER_ROLE = "arn:aws:iam::111122223333:role/ops/deployer"


def trust_args(**extra):
    args = dict(name="shared", create_instance_profile=False)
    args.update(extra)
    return args


def trust_of(iam, name):
    return iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]


def statements_by_principal_kind(document):
    statements = document["Statement"]
    return dict((next(iter(s["Principal"])), s) for s in (statements if isinstance(statements, list) else [statements]))


def as_list(value):
    return value if isinstance(value, list) else [value]


def assert_converged(run, calls, args):
    again = run("iam_role", args)
    assert again["changed"] is False, again
    assert calls.writes == []
    checked = run("iam_role", args, check_mode=True, diff=True)
    assert checked["changed"] is False
    assert checked["diff"]["before"] == checked["diff"]["after"]
    assert calls.writes == []
    return again


def test_create_trusting_an_account_and_a_role_then_converged(module_runner, calls, iam):
    args = trust_args(trusted_accounts=[OTHER_ACCOUNT, OTHER_ROLE])
    result = module_runner("iam_role", args)
    assert result["changed"] is True
    document = trust_of(iam, "shared")
    (statement,) = document["Statement"]
    assert statement["Effect"] == "Allow" and statement["Action"] == "sts:AssumeRole"
    # IAM may store an account id as its root ARN; either spelling means the account.
    principals = set(as_list(statement["Principal"]["AWS"]))
    assert principals in ({OTHER_ACCOUNT, OTHER_ROLE}, {OTHER_ROOT, OTHER_ROLE})
    assert "Condition" not in statement
    assert_converged(module_runner, calls, args)


def test_check_mode_create_makes_no_write_and_predicts_the_trust_policy(module_runner, calls, iam):
    args = trust_args(trusted_accounts=[OTHER_ACCOUNT], external_id="seed-monitoring")
    result = module_runner("iam_role", args, check_mode=True, diff=True)
    assert result["changed"] is True
    assert calls.writes == []
    assert iam.list_roles()["Roles"] == []
    predicted = result["diff"]["after"]["assume_role_policy_document"]
    (statement,) = predicted["Statement"]
    assert statement["Principal"] == {"AWS": OTHER_ACCOUNT}
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": "seed-monitoring"}}


def test_services_and_accounts_combine_and_the_external_id_binds_only_the_accounts(module_runner, calls, iam):
    args = trust_args(trusted_services=["ec2.amazonaws.com"], trusted_accounts=[OTHER_ACCOUNT],
                      external_id="seed-monitoring")
    module_runner("iam_role", args)
    by_kind = statements_by_principal_kind(trust_of(iam, "shared"))
    assert sorted(by_kind) == ["AWS", "Service"]
    assert by_kind["Service"]["Principal"]["Service"] == "ec2.amazonaws.com"
    assert "Condition" not in by_kind["Service"]
    assert by_kind["AWS"]["Condition"] == {"StringEquals": {"sts:ExternalId": "seed-monitoring"}}
    assert_converged(module_runner, calls, args)


def test_changing_the_external_id_updates_only_the_trust_policy_with_diff(module_runner, calls, iam):
    module_runner("iam_role", trust_args(trusted_accounts=[OTHER_ACCOUNT], external_id="first-id"))
    changed = trust_args(trusted_accounts=[OTHER_ACCOUNT], external_id="second-id")
    preview = module_runner("iam_role", changed, check_mode=True, diff=True)
    assert preview["changed"] is True and calls.writes == []
    assert "first-id" in json.dumps(preview["diff"]["before"]["assume_role_policy_document"])
    assert "second-id" in json.dumps(preview["diff"]["after"]["assume_role_policy_document"])
    assert "first-id" in json.dumps(trust_of(iam, "shared"))

    result = module_runner("iam_role", changed)
    assert calls.writes == ["UpdateAssumeRolePolicy"]
    assert result["changes"] == ["update the trust policy of role shared"]
    assert statements_by_principal_kind(trust_of(iam, "shared"))["AWS"]["Condition"] == {
        "StringEquals": {"sts:ExternalId": "second-id"}}
    assert_converged(module_runner, calls, changed)

    dropped = trust_args(trusted_accounts=[OTHER_ACCOUNT])
    module_runner("iam_role", dropped)
    assert calls.writes == ["UpdateAssumeRolePolicy"]
    assert "Condition" not in statements_by_principal_kind(trust_of(iam, "shared"))["AWS"]


def test_a_trust_policy_written_otherwise_with_the_same_meaning_is_left_alone(module_runner, calls, iam):
    """Statements in the other order, the account as root ARN, one-element lists: the same policy."""
    written_by_hand = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "", "Effect": "Allow", "Action": ["sts:AssumeRole"],
             "Principal": {"AWS": [OTHER_ROLE, OTHER_ROOT]},
             "Condition": {"StringEquals": {"sts:ExternalId": ["seed-monitoring"]}}},
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": ["ec2.amazonaws.com"]}},
        ],
    }
    iam.create_role(RoleName="shared", AssumeRolePolicyDocument=json.dumps(written_by_hand))
    args = trust_args(trusted_services=["ec2.amazonaws.com"], trusted_accounts=[OTHER_ACCOUNT, OTHER_ROLE],
                      external_id="seed-monitoring")
    assert_converged(module_runner, calls, args)
    assert trust_of(iam, "shared") == written_by_hand


def test_adding_an_account_to_a_role_trusting_only_ec2_updates_the_trust_policy(module_runner, calls, iam):
    make_role(iam, "shared")
    args = trust_args(trusted_services=["ec2.amazonaws.com"], trusted_accounts=[OTHER_ACCOUNT])
    module_runner("iam_role", args)
    assert calls.writes == ["UpdateAssumeRolePolicy"]
    assert sorted(statements_by_principal_kind(trust_of(iam, "shared"))) == ["AWS", "Service"]
    assert_converged(module_runner, calls, args)


@pytest.mark.parametrize("args, words", [
    (dict(trusted_accounts=["11112222333"]), ["trusted_accounts", "'11112222333'", "12-digit"]),
    (dict(trusted_accounts=["arn:aws:iam::111122223333:policy/ReadOnly"]), ["trusted_accounts", "role/NAME"]),
    (dict(trusted_accounts=["arn:aws:iam::1111:role/deployer"]), ["trusted_accounts", "arn:aws:iam::1111:role"]),
    (dict(trusted_accounts=["arn:aws:s3:::seed-bucket"]), ["trusted_accounts", "neither"]),
    (dict(trusted_accounts=[]), ["trusted_accounts", "at least one"]),
    (dict(trusted_accounts=[OTHER_ACCOUNT], external_id="x"), ["external_id", "'x'", "2 to 1224"]),
    (dict(trusted_accounts=[OTHER_ACCOUNT], external_id="has space"), ["external_id", "+=,.@:/-"]),
    (dict(trusted_services=["ec2.amazonaws.com"], external_id="seed-monitoring"),
     ["external_id", "trusted_accounts"]),
    (dict(trusted_accounts=[OTHER_ACCOUNT], assume_role_policy_document={"Statement": []}),
     ["assume_role_policy_document", "trusted_accounts"]),
])
def test_bad_trust_input_fails_before_any_call_naming_the_option(module_runner, calls, iam, args, words):
    make_role(iam, "shared")
    before = trust_of(iam, "shared")
    result = module_runner("iam_role", trust_args(**args))
    assert result.get("failed") is True, result
    for word in words:
        assert word in result["msg"], result["msg"]
    assert calls.actions == []
    assert trust_of(iam, "shared") == before


def test_iam_role_info_says_who_may_assume(module_runner, calls, iam):
    module_runner("iam_role", trust_args(trusted_services=["ec2.amazonaws.com"],
                                         trusted_accounts=[OTHER_ACCOUNT, OTHER_ROLE], external_id="seed-monitoring"))
    make_role(iam, "ec2-only")
    before = iam.list_roles()["Roles"]

    shared = module_runner("iam_role_info", dict(name="shared"))
    assert shared["changed"] is False
    assert shared["iam_roles"][0]["trusted_principals"] == {
        "services": ["ec2.amazonaws.com"], "accounts": [OTHER_ACCOUNT], "arns": [OTHER_ROLE],
        "federated": [], "external_ids": ["seed-monitoring"]}
    ec2_only = module_runner("iam_role_info", dict(name="ec2-only"))["iam_roles"][0]["trusted_principals"]
    assert ec2_only == {"services": ["ec2.amazonaws.com"], "accounts": [], "arns": [], "federated": [],
                        "external_ids": []}
    assert calls.writes == []
    assert iam.list_roles()["Roles"] == before
