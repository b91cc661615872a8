# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role's state (part of the role resource): amazon.aws's shape of a role (normalize_iam_role) plus what
planning needs, the attached policies and, when the task describes them, the inline policies' documents."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json

from ansible_collections.amazon.aws.plugins.module_utils.iam import normalize_iam_role

from ansible_collections.iamkit.ec2.plugins.module_utils import iam_calls


def role_state(raw, attached, inline):
    """The role as amazon.aws returns it, plus `attached_policies` and `inline_policies` (None: not read)."""
    state = normalize_iam_role(copy.deepcopy(raw))
    state["assume_role_policy_document"] = _document(raw.get("AssumeRolePolicyDocument"))
    state["attached_policies"] = sorted(({"policy_name": p["PolicyName"], "policy_arn": p["PolicyArn"]}
                                         for p in attached), key=lambda p: p["policy_arn"])
    state["inline_policies"] = inline
    return state


def _document(document):
    return json.loads(document) if isinstance(document, str) else document


def read(aws, desired):
    """The role in as few calls as it needs, or None. Inline policies cost calls, so a task that does not
    describe them does not read them (nothing about them can change); state=absent lists their names."""
    raw = iam_calls.get_role(aws, desired["name"])
    if raw is None:
        return None
    attached = iam_calls.list_attached_role_policies(aws, desired["name"])
    inline = None
    if desired.get("state", "present") == "absent":
        inline = dict((n, None) for n in iam_calls.list_role_policy_names(aws, desired["name"]))
    elif desired.get("inline_policies") is not None:
        inline = {}
        for policy_name in iam_calls.list_role_policy_names(aws, desired["name"]):
            described = policy_name in desired["inline_policies"]
            inline[policy_name] = iam_calls.get_role_policy(aws, desired["name"], policy_name) if described else None
    return role_state(raw, attached, inline)


def to_result(state):
    """The role as amazon.aws.iam_role returns it, plus managed and inline policy names; {} when absent."""
    if not state:
        return {}
    result = dict((k, v) for k, v in state.items() if k not in ("inline_policies", "instance_profile",
                                                                "instance_profiles", "associations"))
    result["assume_role_policy_document_raw"] = state["assume_role_policy_document"]
    result["managed_policies"] = state["attached_policies"]
    if state.get("inline_policies") is not None:
        result["inline_policies"] = sorted(state["inline_policies"])
    return result
