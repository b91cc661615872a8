"""Policy documents compare by meaning: the cases IAM and users write differently."""

import json

import pytest

from ansible_collections.iamkit.ec2.plugins.module_utils.policy import PolicyError
from ansible_collections.iamkit.ec2.plugins.module_utils.policy import parse_policy
from ansible_collections.iamkit.ec2.plugins.module_utils.policy import policies_equal
from ansible_collections.iamkit.ec2.plugins.module_utils.policy import trust_policy

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
