# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Managed policy names to ARNs, without listing all of AWS's managed policies (amazon.aws lists them all:
16 pages of ListPolicies per task).

A name already attached to the role resolves for free; otherwise the AWS-managed ARN and then the account's
own ARN are tried with GetPolicy, and only then the account's own policies (scope Local) are searched, for
customer policies that live under a path.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.iamkit.ec2.plugins.module_utils import iam_calls
from ansible_collections.iamkit.ec2.plugins.module_utils.engine import Refused


class UnknownPolicy(Refused):
    """No managed policy of that name or ARN; the message names what was tried."""


def resolve(aws, name, attached, role_arn=None):
    """The ARN for a policy name (or ARN). `attached` is the role's attached policies ({policy_name,
    policy_arn}); `role_arn` (when the role exists) gives partition and account without an STS call."""
    if name.startswith("arn:"):
        if any(p["policy_arn"] == name for p in attached) or iam_calls.policy_exists(aws, name):
            return name
        raise UnknownPolicy("managed_policies: the policy %s does not exist" % name)
    short_name = name.rsplit("/", 1)[-1]
    for policy in attached:
        if policy["policy_name"] == short_name and ("/" not in name or policy["policy_arn"].endswith("/" + name)):
            return policy["policy_arn"]
    partition, account = aws.identity(role_arn)
    tried = ["arn:%s:iam::aws:policy/%s" % (partition, name), "arn:%s:iam::%s:policy/%s" % (partition, account, name)]
    for arn in tried:
        if iam_calls.policy_exists(aws, arn):
            return arn
    for policy in iam_calls.list_local_policies(aws):
        if policy["PolicyName"] == name:
            return policy["Arn"]
    raise UnknownPolicy(
        "managed_policies: no policy named %r; tried %s and the account's own policies under every path. "
        "For an AWS-managed policy under a path (such as service-role/), give the path with the name or "
        "the full ARN." % (name, ", ".join(tried))
    )


def resolve_all(aws, names, attached, role_arn=None):
    """ARNs for the names, in order, without repeats."""
    arns = []
    for name in names:
        arn = resolve(aws, name, attached, role_arn)
        if arn not in arns:
            arns.append(arn)
    return arns
