"""Policy documents compare by meaning: the cases IAM and users write differently."""

import json

import pytest

from ansible_collections.iamkit.ec2.plugins.module_utils.policy import PolicyError
from ansible_collections.iamkit.ec2.plugins.module_utils.policy import parse_policy
from ansible_collections.iamkit.ec2.plugins.module_utils.policy import policies_equal
from ansible_collections.iamkit.ec2.plugins.module_utils.policy import trust_policy
from ansible_collections.iamkit.ec2.plugins.module_utils.policy_grammar import validate_permissions_policy
from ansible_collections.iamkit.ec2.plugins.module_utils.policy_grammar import validate_trust_policy

BASE = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"},
    ],
}


@pytest.mark.parametrize("other", [
    # statements in another order, keys in another order, JSON text
    json.dumps({"Statement": list(reversed(BASE["Statement"])), "Version": "2012-10-17"}),
    # single values as strings instead of one-element lists, and the other way round
    {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": ["*"]},
        {"Effect": "Allow", "Principal": {"AWS": ["123456789012"]}, "Action": ["sts:AssumeRole"]},
    ]},
    # no Version, and the account as a root ARN of another partition
    {"Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Sid": ""},
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws-cn:iam::123456789012:root"}, "Action": "sts:AssumeRole"},
    ]},
    # URL-encoded JSON, as IAM's raw API returns it
    "%7B%22Statement%22%3A%20%5B%7B%22Effect%22%3A%20%22Allow%22%2C%20%22Action%22%3A%20%22s3%3AGetObject%22%2C"
    "%20%22Resource%22%3A%20%22%2A%22%7D%2C%20%7B%22Effect%22%3A%20%22Allow%22%2C%20%22Principal%22%3A%20%7B%22AWS"
    "%22%3A%20%22123456789012%22%7D%2C%20%22Action%22%3A%20%22sts%3AAssumeRole%22%7D%5D%7D",
])
def test_same_meaning_compares_equal(other):
    assert policies_equal(BASE, other)


@pytest.mark.parametrize("other", [
    {"Version": "2012-10-17", "Statement": [BASE["Statement"][0]]},
    {"Version": "2012-10-17", "Statement": [dict(BASE["Statement"][0], Effect="Deny"), BASE["Statement"][1]]},
    {"Version": "2012-10-17", "Statement": [dict(BASE["Statement"][0], Resource="arn:aws:s3:::b/*"),
                                            BASE["Statement"][1]]},
    {"Version": "2012-10-17", "Statement": [BASE["Statement"][0], dict(BASE["Statement"][1],
                                                                       Principal={"AWS": "210987654321"})]},
    {"Version": "2008-10-17", "Statement": BASE["Statement"]},
])
def test_different_meaning_compares_different(other):
    assert not policies_equal(BASE, other)


def test_conditions_compare_by_meaning():
    one = {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*",
                          "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}}]}
    two = {"Statement": [{"Effect": "Allow", "Action": ["s3:*"], "Resource": "*",
                          "Condition": {"StringEquals": {"aws:SourceAccount": ["123456789012"]}}}]}
    assert policies_equal(one, two)


@pytest.mark.parametrize("document, words", [
    ("{nope", ["opt", "not valid JSON"]),
    ("[]", ["opt", "JSON object"]),
    ({"Version": "2012-10-17"}, ["opt", "no Statement"]),
    ({"Statement": "Allow"}, ["opt", "Statement must be"]),
    ({"Statement": [{"Action": "s3:*"}]}, ["opt", "Effect Allow or Deny"]),
])
def test_parse_rejects_malformed_documents_naming_the_option(document, words):
    with pytest.raises(PolicyError) as error:
        parse_policy(document, "opt")
    for word in words:
        assert word in str(error.value)


def test_parse_adds_the_current_version_when_missing():
    assert parse_policy({"Statement": []}, "opt")["Version"] == "2012-10-17"


def test_trust_policy_shorthand():
    assert trust_policy(["ec2.amazonaws.com"]) == {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
    two = trust_policy(["ssm.amazonaws.com", "ec2.amazonaws.com"])
    assert two["Statement"][0]["Principal"]["Service"] == ["ec2.amazonaws.com", "ssm.amazonaws.com"]


# ------------------------------------------------------------------------------------------ validation
# The cases follow AWS's IAM policy grammar and element pages (see the comment in policy.py), not the code.

READ = {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::seed/*"}
ASSUME = {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}


def permissions(*statements, **top):
    return dict({"Version": "2012-10-17", "Statement": list(statements)}, **top)


@pytest.mark.parametrize("document", [
    permissions(READ),
    json.dumps(permissions(READ)),
    # one statement as an object, NotAction and NotResource, a wildcard action, a condition, the 2008 version
    {"Version": "2008-10-17", "Statement": {"Effect": "Deny", "NotAction": "iam:*", "NotResource": ["*"]}},
    permissions({"Effect": "Allow", "Action": ["ec2:Describe*", "*"], "Resource": "*",
                 "Condition": {"Bool": {"aws:SecureTransport": "true"}}}),
    permissions(READ, dict(READ, Sid="Write2", Action="s3:PutObject"), dict(READ, Sid="")),
])
def test_permissions_policy_iam_accepts(document):
    assert validate_permissions_policy(document, "inline_policies.seed")["Statement"]


@pytest.mark.parametrize("statement, words", [
    ({"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject"}, ["Resource or NotResource", "neither"]),
    (dict(READ, NotResource="*"), ["exactly one of Resource or NotResource", "Resource and NotResource"]),
    ({"Sid": "Read", "Effect": "Allow", "Resource": "*"}, ["Action or NotAction", "neither"]),
    (dict(READ, Action=[]), ["Action is empty"]),
    (dict(READ, Principal={"AWS": "123456789012"}), ["has Principal", "trust policy"]),
    (dict(READ, NotPrincipal={"AWS": "123456789012"}), ["has NotPrincipal"]),
    (dict(READ, Effect="allow"), ["Effect Allow or Deny", "'allow'"]),
    (dict(READ, Action="GetObject"), ["'GetObject' is not an action", "service:action"]),
    (dict(READ, Sid="read-seed"), ["Sid may hold only ASCII letters and digits"]),
    (dict(READ, Resources="*"), ["unknown key Resources"]),
    (dict(READ, Condition={"StringEquals": "x"}), ["Condition must map"]),
])
def test_permissions_policy_iam_refuses_names_option_and_statement(statement, words):
    with pytest.raises(PolicyError) as error:
        validate_permissions_policy(permissions(dict(READ, Sid="First"), statement), "inline_policies.seed")
    message = str(error.value)
    assert message.startswith("inline_policies.seed: ")
    assert "Statement[1]" in message
    for word in words:
        assert word in message
    if statement.get("Sid") == "Read":
        assert "Sid 'Read'" in message


@pytest.mark.parametrize("document, words", [
    (permissions(READ, dict(READ, Action="s3:PutObject")), ["Statement[1] (Sid 'Read')", "unique"]),
    (permissions(READ, Version="2012-10-18"), ["Version must be one of 2008-10-17, 2012-10-17"]),
    (permissions(READ, Policy="x"), ["unknown top-level key Policy"]),
    (permissions(), ["Statement is empty"]),
])
def test_permissions_policy_iam_refuses_documents(document, words):
    with pytest.raises(PolicyError) as error:
        validate_permissions_policy(document, "inline_policies.seed")
    for word in words + ["inline_policies.seed"]:
        assert word in str(error.value)


@pytest.mark.parametrize("document", [
    permissions(ASSUME),
    permissions(dict(ASSUME, Effect="Deny", Action=["sts:AssumeRole", "sts:TagSession"])),
    permissions(dict(ASSUME, Principal={"Federated": "arn:aws:iam::123456789012:oidc-provider/x"},
                     Action="sts:AssumeRoleWithWebIdentity",
                     Condition={"StringEquals": {"x:aud": "sts.amazonaws.com"}})),
    permissions(dict(ASSUME, Principal="*", Action="sts:AssumeRole*")),
    permissions(dict(ASSUME, Principal={"AWS": ["123456789012"], "Service": "ssm.amazonaws.com"},
                     Action=["sts:SetSourceIdentity", "sts:SetContext", "sts:AssumeRoleWithSAML"])),
])
def test_trust_policy_iam_accepts(document):
    assert validate_trust_policy(document, "assume_role_policy_document")["Statement"]


@pytest.mark.parametrize("statement, words", [
    ({"Effect": "Allow", "Action": "sts:AssumeRole"}, ["has no Principal", "ec2.amazonaws.com"]),
    (dict(ASSUME, Resource="*"), ["has Resource", "trust policy cannot"]),
    (dict(ASSUME, Action="s3:GetObject"), ["only the actions sts:AssumeRole", "'s3:GetObject'"]),
    (dict(ASSUME, Action="sts:GetCallerIdentity"), ["only the actions", "'sts:GetCallerIdentity'"]),
    ({"Effect": "Deny", "NotPrincipal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole"}, ["NotPrincipal"]),
    (dict(ASSUME, Principal={"Services": "ec2.amazonaws.com"}), ["unknown kind Services",
                                                                 "AWS, Federated, Service, CanonicalUser"]),
    (dict(ASSUME, Principal="ec2.amazonaws.com"), ["Principal must be"]),
    (dict(ASSUME, Sid="Ec2", Effect="Permit"), ["Statement[1] (Sid 'Ec2')", "Effect Allow or Deny"]),
    ({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}}, ["Action or NotAction"]),
])
def test_trust_policy_iam_refuses_names_option_and_statement(statement, words):
    with pytest.raises(PolicyError) as error:
        validate_trust_policy(permissions(ASSUME, statement), "assume_role_policy_document")
    message = str(error.value)
    assert message.startswith("assume_role_policy_document: ")
    assert "Statement[1]" in message
    for word in words:
        assert word in message


def test_trust_policy_of_the_shorthand_is_valid():
    document = trust_policy(["ec2.amazonaws.com", "ssm.amazonaws.com"], ["123456789012"], "seed-id")
    assert validate_trust_policy(document, "x")
