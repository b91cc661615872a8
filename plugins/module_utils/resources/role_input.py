# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role's input rules (part of the role resource): every option checked before any AWS call, with the
phrases amazon.aws uses where plays match on them ("max_session_duration must be between", "path must begin
and end with /", "Boundary policy")."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.iamkit.ec2.plugins.module_utils.policy import trust_policy
from ansible_collections.iamkit.ec2.plugins.module_utils.policy_grammar import validate_permissions_policy
from ansible_collections.iamkit.ec2.plugins.module_utils.policy_grammar import validate_trust_policy
from ansible_collections.iamkit.ec2.plugins.module_utils.validate import InvalidInput
from ansible_collections.iamkit.ec2.plugins.module_utils.validate import check_external_id
from ansible_collections.iamkit.ec2.plugins.module_utils.validate import check_name
from ansible_collections.iamkit.ec2.plugins.module_utils.validate import check_path
from ansible_collections.iamkit.ec2.plugins.module_utils.validate import check_path_prefix
from ansible_collections.iamkit.ec2.plugins.module_utils.validate import check_policy_arn
from ansible_collections.iamkit.ec2.plugins.module_utils.validate import check_timeout
from ansible_collections.iamkit.ec2.plugins.module_utils.validate import check_trusted_principal

SESSION_DURATION = (3600, 43200)


def role_desired(params):
    """The options, checked, with `trust_policy` (a dict or None), parsed `inline_policies` and `timeout`
    (how long calls right after a create retry while IAM catches up: wait_timeout, or 0 without wait)."""
    check_name("name", params["name"])
    check_path("path", params.get("path"))
    check_timeout("wait_timeout", params.get("wait_timeout"))
    duration = params.get("max_session_duration")
    if duration is not None and not SESSION_DURATION[0] <= duration <= SESSION_DURATION[1]:
        raise InvalidInput("max_session_duration=%r: max_session_duration must be between 1 and 12 hours "
                           "(%d and %d seconds)" % ((duration,) + SESSION_DURATION))
    if params.get("boundary"):
        try:
            check_policy_arn("boundary", params["boundary"])
        except InvalidInput:
            raise InvalidInput("boundary=%r: Boundary policy must be an ARN of a managed policy, "
                               "arn:aws:iam::<account id or aws>:policy/<name>" % params["boundary"]) from None
    for policy in params.get("managed_policies") or []:
        if policy.startswith("arn:"):
            check_policy_arn("managed_policies", policy)
        elif not policy.strip("/") or " " in policy:
            raise InvalidInput("managed_policies: %r is neither a policy ARN nor a policy name" % policy)
    if params.get("inline_policies") is not None:
        parsed = {}
        for policy_name, document in params["inline_policies"].items():
            check_name("inline_policies", policy_name, max_length=128)
            parsed[policy_name] = validate_permissions_policy(document, "inline_policies.%s" % policy_name)
        params["inline_policies"] = parsed
    params["trust_policy"] = _trust_policy(params)
    params["timeout"] = params.get("wait_timeout", 120) if params.get("wait", True) else 0
    return params


def _trust_policy(params):
    if params.get("assume_role_policy_document"):
        return validate_trust_policy(params["assume_role_policy_document"], "assume_role_policy_document")
    services, accounts = params.get("trusted_services"), params.get("trusted_accounts")
    if services is None and accounts is None:
        return None
    if services is not None and not services and not accounts:
        raise InvalidInput("trusted_services must name at least one service, such as ec2.amazonaws.com")
    if accounts is not None and not accounts and not services:
        raise InvalidInput("trusted_accounts must name at least one account id or IAM role or user ARN")
    accounts = [check_trusted_principal("trusted_accounts", account) for account in accounts or []]
    if params.get("external_id") is not None:
        check_external_id("external_id", params["external_id"])
    return trust_policy(services, accounts, params.get("external_id"))


def info_desired(params):
    if params.get("name") is not None:
        check_name("name", params["name"])
    params["path_prefix"] = check_path_prefix("path_prefix", params.get("path_prefix"))
    return params
