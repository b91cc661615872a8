# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Roles as iam_role_info lists them: amazon.aws's shape (normalize_iam_role) with the inline policy names,
the managed policies and the instance profiles holding each role (with their full roles and tags)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.amazon.aws.plugins.module_utils.iam import normalize_iam_role

from ansible_collections.iamkit.ec2.plugins.module_utils import iam_calls
from ansible_collections.iamkit.ec2.plugins.module_utils.policy import trusted_principals
from ansible_collections.iamkit.ec2.plugins.module_utils.resources.role_input import info_desired

desired = info_desired


def read(aws, desired):
    """One role by name, the roles under a path prefix, or all. ListRoles leaves out tags, boundary and last
    use, so each role found is read with GetRole too."""
    if desired.get("name"):
        names = [desired["name"]]
    else:
        names = [r["RoleName"] for r in iam_calls.list_roles(aws, desired.get("path_prefix"))]
    roles = []
    for name in names:
        raw = iam_calls.get_role(aws, name)
        if raw is not None:  # deleted between the listing and the read, or an unknown name
            roles.append(expand(aws, raw))
    return roles


def expand(aws, raw):
    name = raw["RoleName"]
    raw["InlinePolicies"] = iam_calls.list_role_policy_names(aws, name)
    raw["ManagedPolicies"] = iam_calls.list_attached_role_policies(aws, name)
    raw["InstanceProfiles"] = iam_calls.list_instance_profiles_for_role(aws, name)
    role = normalize_iam_role(raw)
    document = raw.get("AssumeRolePolicyDocument")
    role["assume_role_policy_document"] = json.loads(document) if isinstance(document, str) else document
    role["assume_role_policy_document_raw"] = role["assume_role_policy_document"]
    role["trusted_principals"] = trusted_principals(role["assume_role_policy_document"])
    # The name iam_role returns them under, too.
    role["attached_policies"] = role["managed_policies"]
    for profile in role["instance_profiles"]:
        for profile_role in profile.get("roles") or []:
            profile_role.pop("role_last_used", None)
    return role


def result(roles, plan):
    return {"iam_roles": roles}


def describe_task(desired):
    return "IAM roles"
