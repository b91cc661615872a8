# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IAM roles: plan the writes from the role read (role_state.py) towards what the task describes
(role_input.py). The same-name instance profile and the disassociations before a forced delete come as
sub-plans from the resources that own them (the module wires them in). iam_role_info lists with role_info.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.iamkit.ec2.plugins.module_utils import iam_calls
from ansible_collections.iamkit.ec2.plugins.module_utils import policy_names
from ansible_collections.iamkit.ec2.plugins.module_utils.engine import Refused
from ansible_collections.iamkit.ec2.plugins.module_utils.plan import Plan
from ansible_collections.iamkit.ec2.plugins.module_utils.policy import policies_equal
from ansible_collections.iamkit.ec2.plugins.module_utils.resources.role_state import read
from ansible_collections.iamkit.ec2.plugins.module_utils.resources.role_state import to_result


def describe_task(desired):
    return "role %s" % desired["name"]


# ------------------------------------------------------------------------------------------------ plan

def plan(aws, current, desired, plan_profile, plan_disassociations):
    """`plan_profile(aws, name, path, timeout)` and `plan_disassociations(aws, owner, profile_arns, force)`
    are the instance profile's and the association's sub-plans (wired in by the module)."""
    if desired.get("state", "present") == "absent":
        return _plan_absent(aws, current, desired, plan_disassociations)
    plan = Plan(current)
    if current is None:
        _plan_create(aws, plan, desired)
    else:
        _plan_update(aws, plan, current, desired)
    if desired.get("create_instance_profile") is not False:
        plan.include("instance_profile", plan_profile(aws, desired["name"], plan.after["path"], desired["timeout"]))
    return plan


def _plan_create(aws, plan, desired):
    name = desired["name"]
    if desired["trust_policy"] is None:
        raise Refused("assume_role_policy_document or trusted_services is required to create the role %s" % name)
    partition, account = aws.identity()
    path = desired.get("path") or "/"
    params = {"RoleName": name, "Path": path, "AssumeRolePolicyDocument": json.dumps(desired["trust_policy"])}
    new = {"role_name": name, "path": path, "role_id": "", "arn": "arn:%s:iam::%s:role%s%s" % (partition, account,
           path, name), "create_date": None, "max_session_duration": desired.get("max_session_duration") or 3600,
           "assume_role_policy_document": desired["trust_policy"], "tags": dict(desired.get("tags") or {}),
           "role_last_used": {}, "attached_policies": [], "inline_policies": {}}
    if desired.get("description"):
        params["Description"] = new["description"] = desired["description"]
    if desired.get("max_session_duration"):
        params["MaxSessionDuration"] = desired["max_session_duration"]
    if desired.get("boundary"):
        params["PermissionsBoundary"] = desired["boundary"]
        new["permissions_boundary"] = _boundary(desired["boundary"])
    if desired.get("tags"):
        params["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(desired["tags"].items())]
    plan.add("create role %s" % name, iam_calls.create_role, after=lambda s: new, timeout=desired["timeout"], **params)
    _plan_managed_policies(aws, plan, desired, role_arn=new["arn"])
    _plan_inline_policies(plan, desired)


def _plan_update(aws, plan, current, desired):
    name = desired["name"]
    if desired.get("path") is not None and desired["path"] != current["path"]:
        # amazon.aws leaves the role as it is here and reports no change; plays depend on it.
        plan.warn("role %s keeps its path %s: IAM cannot move a role to another path (requested %s); delete and "
                  "recreate the role to change its path" % (name, current["path"], desired["path"]))
    _plan_trust_policy(plan, desired)
    _plan_role_attributes(plan, desired)
    _plan_boundary(plan, desired)
    _plan_tags(plan, desired)
    _plan_managed_policies(aws, plan, desired, role_arn=current["arn"])
    _plan_inline_policies(plan, desired)


def _boundary(arn):
    return {"permissions_boundary_arn": arn, "permissions_boundary_type": "Policy"}


def _plan_trust_policy(plan, desired):
    wanted = desired["trust_policy"]
    if wanted is None or policies_equal(wanted, plan.after["assume_role_policy_document"]):
        return
    plan.add("update the trust policy of role %s" % desired["name"], iam_calls.update_assume_role_policy,
             after={"assume_role_policy_document": wanted}, timeout=desired["timeout"],
             RoleName=desired["name"], PolicyDocument=json.dumps(wanted))


def _plan_role_attributes(plan, desired):
    current_description = plan.after.get("description", "")
    description = current_description if desired.get("description") is None else desired["description"]
    duration = desired.get("max_session_duration") or plan.after["max_session_duration"]
    changes, words = {}, []
    if description != current_description:
        changes["Description"], words = description, words + ["description"]
    if duration != plan.after["max_session_duration"]:
        changes["MaxSessionDuration"], words = duration, words + ["max_session_duration"]
    if not changes:
        return
    # UpdateRole changes only what it is given: the other value stays as it is.
    plan.add("update %s of role %s" % (" and ".join(words), desired["name"]), iam_calls.update_role,
             after={"description": description, "max_session_duration": duration}, timeout=desired["timeout"],
             RoleName=desired["name"], **changes)


def _plan_boundary(plan, desired):
    wanted = desired.get("boundary")
    current = (plan.after.get("permissions_boundary") or {}).get("permissions_boundary_arn")
    if wanted is None or (wanted or None) == current:
        return
    name = desired["name"]
    if wanted:
        plan.add("set permissions boundary %s on role %s" % (wanted, name), iam_calls.put_role_permissions_boundary,
                 after={"permissions_boundary": _boundary(wanted)}, timeout=desired["timeout"], RoleName=name,
                 PermissionsBoundary=wanted)
    else:
        plan.add("remove the permissions boundary of role %s" % name, iam_calls.delete_role_permissions_boundary,
                 after=lambda s: dict((k, v) for k, v in s.items() if k != "permissions_boundary"),
                 timeout=desired["timeout"], RoleName=name)


def _plan_tags(plan, desired):
    if desired.get("tags") is None:
        return
    name = desired["name"]
    to_set, to_remove = compare_aws_tags(plan.after["tags"], desired["tags"], desired.get("purge_tags", True))
    if to_remove:
        plan.add("remove tags %s from role %s" % (", ".join(sorted(to_remove)), name), iam_calls.untag_role,
                 after=lambda s: dict(s, tags=dict((k, v) for k, v in s["tags"].items() if k not in to_remove)),
                 timeout=desired["timeout"], RoleName=name, TagKeys=sorted(to_remove))
    if to_set:
        plan.add("set tags %s on role %s" % (", ".join(sorted(to_set)), name), iam_calls.tag_role,
                 after=lambda s: dict(s, tags=dict(s["tags"], **to_set)), timeout=desired["timeout"],
                 RoleName=name, tags=to_set)


def _plan_managed_policies(aws, plan, desired, role_arn):
    if desired.get("managed_policies") is None:
        return
    name, attached = desired["name"], plan.after["attached_policies"]
    wanted = policy_names.resolve_all(aws, desired["managed_policies"], attached, role_arn)
    names = dict((p["policy_arn"], p["policy_name"]) for p in attached)
    for arn in wanted:
        if arn not in names:
            plan.add("attach %s to role %s" % (arn, name), iam_calls.attach_role_policy,
                     after=_with_policy(arn), timeout=desired["timeout"], RoleName=name, PolicyArn=arn)
    if desired.get("purge_policies", True):
        for policy in attached:
            if policy["policy_arn"] not in wanted:
                plan.add("detach %s from role %s" % (policy["policy_arn"], name), iam_calls.detach_role_policy,
                         after=_without_policy(policy["policy_arn"]), timeout=desired["timeout"], RoleName=name,
                         PolicyArn=policy["policy_arn"])


def _with_policy(arn):
    def change(state):
        policies = state["attached_policies"] + [{"policy_name": arn.rsplit("/", 1)[-1], "policy_arn": arn}]
        return dict(state, attached_policies=sorted(policies, key=lambda p: p["policy_arn"]))
    return change


def _without_policy(arn):
    def change(state):
        return dict(state, attached_policies=[p for p in state["attached_policies"] if p["policy_arn"] != arn])
    return change


def _plan_inline_policies(plan, desired):
    if desired.get("inline_policies") is None:
        return
    name, current = desired["name"], plan.after["inline_policies"]
    for policy_name, document in sorted(desired["inline_policies"].items()):
        if current.get(policy_name) is None or not policies_equal(current[policy_name], document):
            plan.add("put inline policy %s on role %s" % (policy_name, name), iam_calls.put_role_policy,
                     after=_with_inline(policy_name, document), timeout=desired["timeout"], RoleName=name,
                     PolicyName=policy_name, PolicyDocument=json.dumps(document))
    if desired.get("purge_inline_policies", True):
        for policy_name in sorted(current):
            if policy_name not in desired["inline_policies"]:
                plan.add("delete inline policy %s from role %s" % (policy_name, name), iam_calls.delete_role_policy,
                         after=_without_inline(policy_name), timeout=desired["timeout"], RoleName=name,
                         PolicyName=policy_name)


def _with_inline(policy_name, document):
    return lambda state: dict(state, inline_policies=dict(state["inline_policies"], **{policy_name: document}))


def _without_inline(policy_name):
    return lambda state: dict(state, inline_policies=dict(
        (k, v) for k, v in state["inline_policies"].items() if k != policy_name))


def _plan_absent(aws, current, desired, plan_disassociations):
    """Every call that removes the role cleanly, in the order IAM accepts them. The role leaves every profile
    holding it; only the profile named like it is deleted, and only when asked (as amazon.aws does)."""
    if current is None:
        return Plan(None)
    name, timeout = current["role_name"], desired["timeout"]
    profiles = iam_calls.list_instance_profiles_for_role(aws, name)
    plan = Plan(dict(current, instance_profiles=dict((p["InstanceProfileName"], [name]) for p in profiles)))
    plan.include("associations", plan_disassociations(aws, "role %s" % name, [p["Arn"] for p in profiles],
                                                      desired.get("force", False)))
    # Every policy goes: the same steps as exclusive, empty lists of managed and inline policies.
    nothing = dict(desired, managed_policies=[], purge_policies=True, inline_policies={}, purge_inline_policies=True)
    _plan_managed_policies(aws, plan, nothing, role_arn=current["arn"])
    _plan_inline_policies(plan, nothing)
    for profile in sorted(p["InstanceProfileName"] for p in profiles):
        plan.add("remove role %s from instance profile %s" % (name, profile),
                 iam_calls.remove_role_from_instance_profile, after=_profile_holding(profile, []),
                 timeout=timeout, InstanceProfileName=profile, RoleName=name)
        if desired.get("delete_instance_profile") and profile == name:
            plan.add("delete instance profile %s" % profile, iam_calls.delete_instance_profile,
                     after=_profile_holding(profile, None), timeout=timeout, InstanceProfileName=profile)
    plan.add("delete role %s" % name, iam_calls.delete_role, after=lambda s: None, timeout=timeout, RoleName=name)
    return plan


def _profile_holding(profile, roles):
    """The role's view of one of its profiles after a step: holding `roles`, or deleted (None)."""
    def change(state):
        profiles = dict((k, v) for k, v in state["instance_profiles"].items() if k != profile)
        if roles is not None:
            profiles[profile] = roles
        return dict(state, instance_profiles=profiles)
    return change


# ------------------------------------------------------------------------------------------------ settle, result

def settle(aws, desired, plan):
    """The role as AWS shows it after the writes (ids and dates only AWS knows); the same-name profile as
    planned (it was just written; reading it again would cost a call for nothing new)."""
    if desired.get("state", "present") == "absent":
        return None
    state = read(aws, desired)
    if state is not None and "instance_profile" in plan.after:
        state["instance_profile"] = plan.after["instance_profile"]
    return state


def result(state, plan):
    return {"iam_role": to_result(state)}
