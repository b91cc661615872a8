# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IAM roles: read the current role, plan the changes towards the desired one, apply them.

The state is a plain dict with snake_case keys (see read_role); the module returns it, in the shape
amazon.aws.iam_role returns, through to_result().
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.iamkit.ec2.plugins.module_utils.aws import plan_tags
from ansible_collections.iamkit.ec2.plugins.module_utils.aws import tags_after
from ansible_collections.iamkit.ec2.plugins.module_utils.aws import tags_to_dict
from ansible_collections.iamkit.ec2.plugins.module_utils.iam_instance_profile import profile_holds_only
from ansible_collections.iamkit.ec2.plugins.module_utils.plan import Plan
from ansible_collections.iamkit.ec2.plugins.module_utils.policy import policies_equal
from ansible_collections.iamkit.ec2.plugins.module_utils.retry import already_done_if
from ansible_collections.iamkit.ec2.plugins.module_utils.retry import error_code
from ansible_collections.iamkit.ec2.plugins.module_utils.retry import is_code
from ansible_collections.iamkit.ec2.plugins.module_utils.retry import retry_while
from ansible_collections.iamkit.ec2.plugins.module_utils.validate import InvalidInput

# Write calls AWS rejects for a few seconds after the role (or profile) was created.
NOT_YET_VISIBLE = is_code("NoSuchEntity")


class RoleError(Exception):
    """A refusal the module reports as is (the message names what to do)."""


# ------------------------------------------------------------------------------------------------ reading

def _paginate(iam, operation, key, **params):
    items = []
    for page in iam.get_paginator(operation).paginate(**params):
        items.extend(page[key])
    return items


def get_role(iam, name):
    """GetRole, or None when the role does not exist."""
    try:
        return iam.get_role(RoleName=name)["Role"]
    except Exception as error:  # pylint: disable=broad-except
        if error_code(error) == "NoSuchEntity":
            return None
        raise


def read_role(iam, name, inline_documents=None):
    """The role's whole state in as few calls as it needs, or None when it does not exist.

    GetRole carries trust policy, tags, boundary, description, session duration and last use. Inline
    policies cost calls, so they are read only when asked: `inline_documents` None skips them (the task does
    not describe inline policies, so nothing about them can change), a collection lists their names and reads
    the documents of the names in it (the ones the task describes).
    """
    role = get_role(iam, name)
    if role is None:
        return None
    attached = _paginate(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name)
    inline = None
    if inline_documents is not None:
        inline = {}
        for policy_name in _paginate(iam, "list_role_policies", "PolicyNames", RoleName=name):
            inline[policy_name] = None
            if policy_name in inline_documents:
                inline[policy_name] = iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
    return role_state(role, attached, inline)


def role_state(role, attached, inline):
    boundary = role.get("PermissionsBoundary") or {}
    last_used = role.get("RoleLastUsed") or {}
    return {
        "role_name": role["RoleName"],
        "path": role["Path"],
        "role_id": role["RoleId"],
        "arn": role["Arn"],
        "create_date": _iso(role.get("CreateDate")),
        "description": role.get("Description", ""),
        "max_session_duration": role.get("MaxSessionDuration", 3600),
        "assume_role_policy_document": _document(role.get("AssumeRolePolicyDocument")),
        "permissions_boundary_arn": boundary.get("PermissionsBoundaryArn"),
        "tags": tags_to_dict(role.get("Tags")),
        "role_last_used": dict((_snake(k), _iso(v)) for k, v in last_used.items()),
        "attached_policies": sorted(
            ({"policy_name": p["PolicyName"], "policy_arn": p["PolicyArn"]} for p in attached),
            key=lambda p: p["policy_arn"],
        ),
        "inline_policies": inline,
    }


def _document(document):
    if isinstance(document, str):
        return json.loads(document)
    return document


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def _snake(name):
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


def to_result(state):
    """The role as amazon.aws.iam_role returns it, plus inline policy names; {} when absent."""
    if not state:
        return {}
    result = dict((k, v) for k, v in state.items() if k not in ("permissions_boundary_arn", "inline_policies"))
    result["assume_role_policy_document_raw"] = state["assume_role_policy_document"]
    if state["inline_policies"] is not None:
        result["inline_policies"] = sorted(state["inline_policies"])
    result["managed_policies"] = state["attached_policies"]
    if state.get("permissions_boundary_arn"):
        result["permissions_boundary"] = {
            "permissions_boundary_arn": state["permissions_boundary_arn"],
            "permissions_boundary_type": "Policy",
        }
    return result


# --------------------------------------------------------------------------------- managed policy names

def partition_of(arn):
    return arn.split(":")[1]


def account_of(arn):
    return arn.split(":")[4]


class PolicyResolver:
    """Turns managed policy names into ARNs without listing all of IAM's AWS-managed policies.

    A name already attached to the role resolves for free; otherwise the AWS-managed ARN and the account's
    own ARN are tried with GetPolicy, and only then the account's own policies (scope Local) are searched,
    for customer policies that live under a path.
    """

    def __init__(self, iam, sts_factory, role_arn=None):
        self.iam = iam
        self.sts_factory = sts_factory
        self._identity = (partition_of(role_arn), account_of(role_arn)) if role_arn else None

    def identity(self):
        if self._identity is None:
            arn = self.sts_factory().get_caller_identity()["Arn"]
            self._identity = (partition_of(arn), account_of(arn))
        return self._identity

    def policy_exists(self, arn):
        try:
            self.iam.get_policy(PolicyArn=arn)
            return True
        except Exception as error:  # pylint: disable=broad-except
            if error_code(error) in ("NoSuchEntity", "InvalidInput"):
                return False
            raise

    def resolve(self, name, attached):
        """ARN for a policy name (or ARN); RoleError naming the ARNs tried when it exists nowhere."""
        if name.startswith("arn:"):
            if any(p["policy_arn"] == name for p in attached) or self.policy_exists(name):
                return name
            raise RoleError("managed_policies: the policy %s does not exist" % name)
        short_name = name.rsplit("/", 1)[-1]
        for policy in attached:
            if policy["policy_name"] == short_name and ("/" not in name or policy["policy_arn"].endswith("/" + name)):
                return policy["policy_arn"]
        partition, account = self.identity()
        tried = [
            "arn:%s:iam::aws:policy/%s" % (partition, name),
            "arn:%s:iam::%s:policy/%s" % (partition, account, name),
        ]
        for arn in tried:
            if self.policy_exists(arn):
                return arn
        for policy in _paginate(self.iam, "list_policies", "Policies", Scope="Local"):
            if policy["PolicyName"] == name:
                return policy["Arn"]
        raise RoleError(
            "managed_policies: no policy named %r; tried %s and the account's own policies under every path. "
            "For an AWS-managed policy under a path (such as service-role/), give the path with the name or "
            "the full ARN." % (name, ", ".join(tried))
        )


# ------------------------------------------------------------------------------------------------ planning

def desired_from_params(params, trust_policy):
    """What the user described; None means "not described: leave as it is"."""
    return {
        "name": params["name"],
        "path": params.get("path"),
        "assume_role_policy_document": trust_policy,
        "description": params.get("description"),
        "max_session_duration": params.get("max_session_duration"),
        "boundary": params.get("boundary"),
        "managed_policies": params.get("managed_policies"),
        "purge_policies": params.get("purge_policies", True),
        "inline_policies": params.get("inline_policies"),
        "purge_inline_policies": params.get("purge_inline_policies", True),
        "tags": params.get("tags"),
        "purge_tags": params.get("purge_tags", True),
    }


def new_role_state(desired, partition="aws", account="123456789012"):
    """The state a created role will have, for check mode and the plan's `after` (ids unknown yet)."""
    path = desired["path"] or "/"
    return {
        "role_name": desired["name"],
        "path": path,
        "role_id": "",
        "arn": "arn:%s:iam::%s:role%s%s" % (partition, account, path, desired["name"]),
        "create_date": None,
        "description": desired["description"] or "",
        "max_session_duration": desired["max_session_duration"] or 3600,
        "assume_role_policy_document": desired["assume_role_policy_document"],
        "permissions_boundary_arn": desired["boundary"] or None,
        "tags": dict(desired["tags"] or {}),
        "role_last_used": {},
        "attached_policies": [],
        "inline_policies": {},
    }


def plan_present(current, desired, resolver):
    """Plan every change that takes `current` (None: no role) to `desired`."""
    plan = Plan(current)
    name = desired["name"]
    if current is None:
        if desired["assume_role_policy_document"] is None:
            raise InvalidInput(
                "assume_role_policy_document or trusted_services is required to create the role %s" % name
            )
        partition, account = resolver.identity()
        plan.after = new_role_state(desired, partition, account)
        plan.add("create_role", "create role %s" % name, **_create_params(desired))
        _plan_managed_policies(plan, desired, resolver, attached=[])
        _plan_inline_policies(plan, desired)
        return plan
    if desired["path"] is not None and desired["path"] != current["path"]:
        raise RoleError(
            "path: the role %s exists with path %s; IAM cannot move a role to another path (%s). Delete and "
            "recreate the role to change its path, or leave path unset." % (name, current["path"], desired["path"])
        )
    _plan_trust_policy(plan, desired)
    _plan_role_attributes(plan, desired)
    _plan_boundary(plan, desired)
    _plan_tags(plan, desired)
    _plan_managed_policies(plan, desired, resolver, attached=current["attached_policies"])
    _plan_inline_policies(plan, desired)
    return plan


def _create_params(desired):
    params = {
        "RoleName": desired["name"],
        "Path": desired["path"] or "/",
        "AssumeRolePolicyDocument": json.dumps(desired["assume_role_policy_document"]),
    }
    if desired["description"]:
        params["Description"] = desired["description"]
    if desired["max_session_duration"]:
        params["MaxSessionDuration"] = desired["max_session_duration"]
    if desired["boundary"]:
        params["PermissionsBoundary"] = desired["boundary"]
    if desired["tags"]:
        params["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(desired["tags"].items())]
    return params


def _plan_trust_policy(plan, desired):
    wanted = desired["assume_role_policy_document"]
    if wanted is None or policies_equal(wanted, plan.after["assume_role_policy_document"]):
        return
    plan.after["assume_role_policy_document"] = wanted
    plan.add("update_assume_role_policy", "update the trust policy of role %s" % desired["name"],
             RoleName=desired["name"], PolicyDocument=json.dumps(wanted))


def _plan_role_attributes(plan, desired):
    after = plan.after
    description = desired["description"] if desired["description"] is not None else after["description"]
    duration = desired["max_session_duration"] or after["max_session_duration"]
    if description == after["description"] and duration == after["max_session_duration"]:
        return
    after["description"], after["max_session_duration"] = description, duration
    # UpdateRole is sent with both values: AWS keeps an omitted one, but other implementations reset it.
    plan.add("update_role", "update description/max_session_duration of role %s" % desired["name"],
             RoleName=desired["name"], Description=description, MaxSessionDuration=duration)


def _plan_boundary(plan, desired):
    wanted, current = desired["boundary"], plan.after["permissions_boundary_arn"]
    if wanted is None or (wanted or None) == current:
        return
    plan.after["permissions_boundary_arn"] = wanted or None
    if wanted:
        plan.add("put_role_permissions_boundary", "set permissions boundary %s on role %s" % (wanted, desired["name"]),
                 RoleName=desired["name"], PermissionsBoundary=wanted)
    else:
        plan.add("delete_role_permissions_boundary", "remove the permissions boundary of role %s" % desired["name"],
                 RoleName=desired["name"])


def _plan_tags(plan, desired):
    to_set, to_remove = plan_tags(plan.after["tags"], desired["tags"], desired["purge_tags"])
    name = desired["name"]
    if to_remove:
        plan.add("untag_role", "remove tags %s from role %s" % (", ".join(to_remove), name),
                 RoleName=name, TagKeys=to_remove)
    if to_set:
        plan.add("tag_role", "set tags %s on role %s" % (", ".join(sorted(to_set)), name),
                 RoleName=name, Tags=[{"Key": k, "Value": v} for k, v in sorted(to_set.items())])
    plan.after["tags"] = tags_after(plan.after["tags"], to_set, to_remove)


def _plan_managed_policies(plan, desired, resolver, attached):
    if desired["managed_policies"] is None:
        return
    name = desired["name"]
    wanted = []
    for policy in desired["managed_policies"]:
        arn = resolver.resolve(policy, attached)
        if arn not in wanted:
            wanted.append(arn)
    current = [p["policy_arn"] for p in attached]
    for arn in wanted:
        if arn not in current:
            plan.add("attach_role_policy", "attach %s to role %s" % (arn, name), RoleName=name, PolicyArn=arn)
    kept = [p for p in attached if p["policy_arn"] in wanted or not desired["purge_policies"]]
    for policy in attached:
        if policy not in kept:
            plan.add("detach_role_policy", "detach %s from role %s" % (policy["policy_arn"], name),
                     RoleName=name, PolicyArn=policy["policy_arn"])
    names = dict((p["policy_arn"], p["policy_name"]) for p in attached)
    after = dict((p["policy_arn"], p["policy_name"]) for p in kept)
    after.update((arn, names.get(arn, arn.rsplit("/", 1)[-1])) for arn in wanted)
    plan.after["attached_policies"] = [{"policy_name": after[a], "policy_arn": a} for a in sorted(after)]


def _plan_inline_policies(plan, desired):
    if desired["inline_policies"] is None:
        return
    name = desired["name"]
    current = plan.after["inline_policies"]
    after = {} if desired["purge_inline_policies"] else dict(current)
    for policy_name, document in sorted(desired["inline_policies"].items()):
        after[policy_name] = document
        if current.get(policy_name) is None or not policies_equal(current[policy_name], document):
            plan.add("put_role_policy", "put inline policy %s on role %s" % (policy_name, name),
                     RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps(document))
    if desired["purge_inline_policies"]:
        for policy_name in sorted(current):
            if policy_name not in desired["inline_policies"]:
                plan.add("delete_role_policy", "delete inline policy %s from role %s" % (policy_name, name),
                         RoleName=name, PolicyName=policy_name)
    plan.after["inline_policies"] = after


# ------------------------------------------------------------------- instance profile of the same name

def get_instance_profile(iam, name):
    try:
        return iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
    except Exception as error:  # pylint: disable=broad-except
        if error_code(error) == "NoSuchEntity":
            return None
        raise


def plan_same_name_profile(plan, iam, name, path):
    """amazon.aws's create_instance_profile: a profile named like the role, holding it, created when missing."""
    profile = get_instance_profile(iam, name)
    if profile is None:
        plan.add("create_instance_profile", "create instance profile %s" % name,
                 InstanceProfileName=name, Path=path or "/")
        plan.add("add_role_to_instance_profile", "add role %s to instance profile %s" % (name, name),
                 InstanceProfileName=name, RoleName=name)
    elif not profile["Roles"]:
        plan.add("add_role_to_instance_profile", "add role %s to instance profile %s" % (name, name),
                 InstanceProfileName=name, RoleName=name)


# ---------------------------------------------------------------------------------------- state=absent

def plan_absent(iam, current, delete_instance_profile):
    """Every call that removes the role cleanly, in the order IAM accepts them."""
    plan = Plan(current)
    plan.after = None
    if current is None:
        return plan, []
    name = current["role_name"]
    for policy in current["attached_policies"]:
        plan.add("detach_role_policy", "detach %s from role %s" % (policy["policy_arn"], name),
                 RoleName=name, PolicyArn=policy["policy_arn"])
    for policy_name in sorted(current["inline_policies"]):
        plan.add("delete_role_policy", "delete inline policy %s from role %s" % (policy_name, name),
                 RoleName=name, PolicyName=policy_name)
    profiles = _paginate(iam, "list_instance_profiles_for_role", "InstanceProfiles", RoleName=name)
    for profile in profiles:
        profile_name = profile["InstanceProfileName"]
        plan.add("remove_role_from_instance_profile", "remove role %s from instance profile %s" % (name, profile_name),
                 InstanceProfileName=profile_name, RoleName=name)
        # amazon.aws deletes only the profile named like the role, and only when asked.
        if delete_instance_profile and profile_name == name:
            plan.add("delete_instance_profile", "delete instance profile %s" % profile_name,
                     InstanceProfileName=profile_name)
    plan.add("delete_role", "delete role %s" % name, RoleName=name)
    return plan, profiles


def plan_disassociations(plan, associations):
    """Put disassociations of in-use profiles at the front of an absent plan (force: true)."""
    head = Plan(None)
    for instance_id, association_id, profile_name in associations:
        head.add("disassociate_iam_instance_profile",
                 "disassociate instance profile %s from %s" % (profile_name, instance_id),
                 AssociationId=association_id)
    plan.changes = head.changes + plan.changes


# ---------------------------------------------------------------------------------------------- applying

def appliers(iam, ec2, wait_timeout, created_role_name=None):
    """Action name -> function making the call. Calls right after a create retry while IAM catches up."""

    def eventually(method):
        def call(**params):
            return retry_while(NOT_YET_VISIBLE, lambda: method(**params), wait_timeout)
        return call

    table = dict(
        (action, eventually(getattr(iam, action)))
        for action in (
            "update_assume_role_policy", "update_role", "put_role_permissions_boundary",
            "delete_role_permissions_boundary", "tag_role", "untag_role", "attach_role_policy",
            "detach_role_policy", "put_role_policy", "delete_role_policy", "create_instance_profile",
            "add_role_to_instance_profile", "remove_role_from_instance_profile", "delete_instance_profile",
            "delete_role",
        )
    )
    # Another run (a second play, a parallel job) may create the role or the same-name profile, or fill it, first.
    table["create_role"] = already_done_if(is_code("EntityAlreadyExists"), iam.create_role)
    table["create_instance_profile"] = already_done_if(is_code("EntityAlreadyExists"), table["create_instance_profile"])
    add_role = table["add_role_to_instance_profile"]

    def add_role_unless_there(InstanceProfileName, RoleName):  # noqa: N803 (the API's parameter names)
        try:
            add_role(InstanceProfileName=InstanceProfileName, RoleName=RoleName)
        except Exception as error:  # pylint: disable=broad-except
            if error_code(error) != "LimitExceeded" or not profile_holds_only(iam, InstanceProfileName, RoleName):
                raise

    table["add_role_to_instance_profile"] = add_role_unless_there
    if ec2 is not None:
        table["disassociate_iam_instance_profile"] = ec2.disassociate_iam_instance_profile
    return table


def wait_for_role(iam, name, timeout):
    """Wait until the new role is readable (IAM is eventually consistent)."""
    delay = 1
    iam.get_waiter("role_exists").wait(
        RoleName=name, WaiterConfig={"Delay": delay, "MaxAttempts": max(1, int(timeout // delay))}
    )


# ------------------------------------------------------------------------------------------------ info

def describe_roles(iam, name=None, path_prefix=None):
    """Complete descriptions (as to_result, plus instance_profiles) of one role, roles under a path, or all.

    ListRoles leaves out tags, boundary and last use, so every role found by path is read with GetRole too.
    """
    if name:
        names = [name]
    else:
        params = {"PathPrefix": path_prefix} if path_prefix else {}
        names = [r["RoleName"] for r in _paginate(iam, "list_roles", "Roles", **params)
                 if not path_prefix or r["Path"].startswith(path_prefix)]
    roles = []
    for role_name in names:
        state = read_role(iam, role_name, inline_documents=())
        if state is None:
            continue  # deleted between the listing and the read, or an unknown name
        result = to_result(state)
        result["instance_profiles"] = [
            _profile_result(p)
            for p in _paginate(iam, "list_instance_profiles_for_role", "InstanceProfiles", RoleName=role_name)
        ]
        roles.append(result)
    return roles


def _profile_result(profile):
    return {
        "instance_profile_name": profile["InstanceProfileName"],
        "instance_profile_id": profile["InstanceProfileId"],
        "arn": profile["Arn"],
        "path": profile["Path"],
        "create_date": _iso(profile.get("CreateDate")),
        "roles": [{"role_name": r["RoleName"], "arn": r["Arn"]} for r in profile.get("Roles", [])],
    }
