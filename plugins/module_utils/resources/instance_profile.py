# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Instance profiles: the container that hands one IAM role to EC2 instances.

The state read is GetInstanceProfile's answer (it carries the role and the tags: a no-op run is one call).
The plan's before/after, what diff mode shows, is the profile's name, path, role, role ARN and tags.
Also the same-name profile an iam_role task can ask for, planned here as a sub-plan of the role's plan.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.amazon.aws.plugins.module_utils.iam import normalize_iam_instance_profile
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.iamkit.ec2.plugins.module_utils import iam_calls
from ansible_collections.iamkit.ec2.plugins.module_utils.engine import Refused
from ansible_collections.iamkit.ec2.plugins.module_utils.plan import Plan
from ansible_collections.iamkit.ec2.plugins.module_utils.retry import wait_until
from ansible_collections.iamkit.ec2.plugins.module_utils.validate import PROFILE_NAME_MAX
from ansible_collections.iamkit.ec2.plugins.module_utils.validate import check_name
from ansible_collections.iamkit.ec2.plugins.module_utils.validate import check_path
from ansible_collections.iamkit.ec2.plugins.module_utils.validate import check_path_prefix
from ansible_collections.iamkit.ec2.plugins.module_utils.validate import check_timeout
from ansible_collections.iamkit.ec2.plugins.module_utils.validate import role_name

# ------------------------------------------------------------------------------------------- input


def desired(params):
    check_name("name", params["name"], max_length=PROFILE_NAME_MAX)
    check_path("path", params.get("path"))
    role_name("role", params.get("role"))
    check_timeout("wait_timeout", params.get("wait_timeout"))
    return params


def describe_task(desired):
    return "instance profile %s" % desired["name"]


# ------------------------------------------------------------------------------------------- read, shapes

def read(aws, desired):
    return iam_calls.get_instance_profile(aws, desired["name"])


def describe(raw, instances=None):
    """The profile as the modules return it (amazon.aws's shape); `instances` adds the instances using it."""
    if raw is None:
        return None
    profile = normalize_iam_instance_profile(copy.deepcopy(raw))
    # A profile check mode predicts has no ARN, id or date yet: the keys are there, null.
    for key in ("arn", "instance_profile_id", "create_date"):
        profile.setdefault(key, None)
    profile.setdefault("tags", {})
    for role in profile.get("roles") or []:
        role.pop("role_last_used", None)
        role.setdefault("tags", {})
    if instances is not None:
        profile["instances"] = [dict(instance_id=i, association_id=a) for i, a in instances]
    return profile


def diff_state(raw):
    """What diff mode compares: name, path, role and tags ({} when the profile does not exist)."""
    if raw is None:
        return {}
    roles = raw.get("Roles") or []
    return {
        "instance_profile_name": raw["InstanceProfileName"],
        "path": raw.get("Path"),
        "role": roles[0]["RoleName"] if roles else None,
        "role_arn": roles[0]["Arn"] if roles else None,
        "tags": boto3_tag_list_to_ansible_dict(raw.get("Tags") or []),
    }


# ------------------------------------------------------------------------------------------- plan

def plan(aws, current, desired, plan_disassociations):
    """`plan_disassociations(aws, owner, profile_arns, force)` is the association resource's sub-plan for a
    profile still in use (the module wires it in: resources do not import each other)."""
    if desired.get("state", "present") == "absent":
        return _plan_absent(aws, current, desired, plan_disassociations)
    plan = Plan(diff_state(current))
    predicted = copy.deepcopy(current)
    name, timeout = desired["name"], desired.get("wait_timeout", 120)
    if current is None:
        path, tags = desired.get("path") or "/", desired.get("tags") or {}
        plan.add("create instance profile %s at path %s" % (name, path), iam_calls.create_instance_profile,
                 after={"instance_profile_name": name, "path": path, "role": None, "role_arn": None, "tags": tags},
                 timeout=timeout, InstanceProfileName=name, Path=path, tags=tags)
        predicted = {"InstanceProfileName": name, "Path": path, "Roles": [],
                     "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}
    else:
        if desired.get("path") is not None and desired["path"] != current["Path"]:
            plan.warn("instance profile %s keeps its path %s: AWS cannot change the path of a profile (requested "
                      "%s); delete and recreate it to move it" % (name, current["Path"], desired["path"]))
        _plan_tags(plan, predicted, name, desired, timeout)
    _plan_role(aws, plan, predicted, name, desired.get("role"), timeout)
    plan.notes["predicted"] = predicted
    return plan


def _plan_tags(plan, predicted, name, desired, timeout):
    if desired.get("tags") is None:
        return
    current = plan.after["tags"]
    to_set, to_remove = compare_aws_tags(current, desired["tags"], desired.get("purge_tags", True))
    if to_remove:
        plan.add("remove tags %s" % ", ".join(sorted(to_remove)), iam_calls.untag_instance_profile,
                 after=lambda s: dict(s, tags=dict((k, v) for k, v in s["tags"].items() if k not in to_remove)),
                 timeout=timeout, InstanceProfileName=name, TagKeys=sorted(to_remove))
    if to_set:
        plan.add("set tags %s" % ", ".join(sorted(to_set)), iam_calls.tag_instance_profile,
                 after=lambda s: dict(s, tags=dict(s["tags"], **to_set)), timeout=timeout,
                 InstanceProfileName=name, tags=to_set)
    predicted["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(plan.after["tags"].items())]


def _same_role(after, wanted):
    """True when the role the user named (name or ARN) is the one in the profile."""
    if after.get("role") is None:
        return False
    return after["role_arn" if wanted.startswith("arn:") else "role"] == wanted


def _plan_role(aws, plan, predicted, name, role, timeout):
    after = plan.after
    if role is None or (role == "" and after["role"] is None) or (role and _same_role(after, role)):
        return
    new_role = _role_to_add(aws, plan, role) if role else None
    if after["role"]:
        # A profile holds one role: the old one must leave before the new one can enter.
        plan.add("remove role %s from instance profile %s" % (after["role"], name),
                 iam_calls.remove_role_from_instance_profile, after={"role": None, "role_arn": None},
                 timeout=timeout, InstanceProfileName=name, RoleName=after["role"])
    if new_role:
        plan.add("add role %s to instance profile %s" % (new_role["RoleName"], name),
                 iam_calls.add_role_to_instance_profile,
                 after={"role": new_role["RoleName"], "role_arn": new_role.get("Arn")},
                 timeout=timeout, InstanceProfileName=name, RoleName=new_role["RoleName"])
    predicted["Roles"] = [new_role] if new_role else []


def _role_to_add(aws, plan, role):
    """The role, read, so a missing one fails before any write. Missing, it is planned on as an assumption
    (in check mode an earlier task of the same play, iam_role, would have created it)."""
    name = role_name("role", role)
    found = iam_calls.get_role(aws, name)
    if found is None:
        plan.assume("role %r does not exist: create it first (iamkit.ec2.iam_role)" % role,
                    "role %s does not exist yet; check mode assumes an earlier task creates it" % role)
        return {"RoleName": name, "Arn": role if role.startswith("arn:") else None}
    if role.startswith("arn:") and found["Arn"] != role:
        raise Refused("role %r does not exist: the role named %s has ARN %s" % (role, name, found["Arn"]))
    return found


def _plan_absent(aws, current, desired, plan_disassociations):
    plan = Plan(diff_state(current))
    if current is None:
        return plan
    name, timeout = current["InstanceProfileName"], desired.get("wait_timeout", 120)
    plan.include("associations", plan_disassociations(aws, "instance profile %s" % name, [current["Arn"]],
                                                      desired.get("force", False)))
    for role in current.get("Roles") or []:
        plan.add("remove role %s from instance profile %s" % (role["RoleName"], name),
                 iam_calls.remove_role_from_instance_profile, after={"role": None, "role_arn": None},
                 timeout=timeout, InstanceProfileName=name, RoleName=role["RoleName"])
    plan.add("delete instance profile %s" % name, iam_calls.delete_instance_profile, after=lambda s: None,
             timeout=timeout, InstanceProfileName=name)
    return plan


def plan_for_role(aws, role_name_, path, timeout):
    """iam_role's create_instance_profile: a profile named like the role, holding it, created when missing
    (and given the role when it exists empty). Its before/after are the profile's name and roles."""
    profile = iam_calls.get_instance_profile(aws, role_name_)
    roles = [r["RoleName"] for r in (profile or {}).get("Roles") or []]
    plan = Plan({"instance_profile_name": role_name_, "roles": roles} if profile else {})
    if profile is None:
        plan.add("create instance profile %s" % role_name_, iam_calls.create_instance_profile,
                 after={"instance_profile_name": role_name_, "roles": []}, timeout=timeout,
                 InstanceProfileName=role_name_, Path=path or "/")
    if not roles:
        plan.add("add role %s to instance profile %s" % (role_name_, role_name_),
                 iam_calls.add_role_to_instance_profile, after={"roles": [role_name_]}, timeout=timeout,
                 InstanceProfileName=role_name_, RoleName=role_name_)
    return plan


# ------------------------------------------------------------------------------------------- settle, result

def settle(aws, desired, plan):
    """The profile after the writes; with wait, read until it shows up holding the planned role (or none)."""
    if desired.get("state", "present") == "absent":
        return None
    expected = [plan.after["role"]] if plan.after["role"] else []

    def settled():
        profile = read(aws, desired)
        held = [r["RoleName"] for r in (profile or {}).get("Roles") or []]
        return profile if profile is not None and held == expected else None

    if not desired.get("wait", True):
        return read(aws, desired) or plan.notes["predicted"]
    timeout = desired.get("wait_timeout", 120)
    profile = wait_until(settled, timeout, aws.clock)
    if profile is None:
        raise Refused("instance profile %s was changed but did not show %s within wait_timeout=%s seconds"
                      % (desired["name"], "role %s" % expected[0] if expected else "an empty role list", timeout))
    return profile


def predict(current, plan):
    return None if plan.after is None else plan.notes.get("predicted", current)


def result(raw, plan):
    return {"iam_instance_profile": describe(raw)}


# ------------------------------------------------------------------------------------------- info

def info_desired(params):
    if params.get("name") is not None:
        check_name("name", params["name"], max_length=PROFILE_NAME_MAX)
    params["path_prefix"] = check_path_prefix("path_prefix", params.get("path_prefix"))
    return params


def list_profiles(aws, desired):
    """The profiles by name, under a path prefix, or all; each with its tags (ListInstanceProfiles leaves tags
    out on AWS, so each is read with GetInstanceProfile), sorted by name."""
    if desired.get("name"):
        found = iam_calls.get_instance_profile(aws, desired["name"])
        return [found] if found else []
    profiles = []
    for item in iam_calls.list_instance_profiles(aws, desired.get("path_prefix")):
        profile = iam_calls.get_instance_profile(aws, item["InstanceProfileName"])
        if profile is not None:  # deleted between the listing and the read
            profiles.append(profile)
    return sorted(profiles, key=lambda p: p["InstanceProfileName"])
