# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Instance profiles: the container that hands one IAM role to EC2 instances.

Read the profile once (GetInstanceProfile carries the role and the tags), plan the writes, apply them.
Plain functions over boto3 clients, so the unit tests drive them against moto without Ansible.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re
import time

try:
    from botocore.exceptions import ClientError
except ImportError:  # the import sanity test runs without botocore; AnsibleAWSModule reports it
    ClientError = None

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.iamkit.ec2.plugins.module_utils.aws import dict_to_tags
from ansible_collections.iamkit.ec2.plugins.module_utils.aws import plan_tags
from ansible_collections.iamkit.ec2.plugins.module_utils.aws import tags_after
from ansible_collections.iamkit.ec2.plugins.module_utils.aws import tags_to_dict
from ansible_collections.iamkit.ec2.plugins.module_utils.plan import Plan
from ansible_collections.iamkit.ec2.plugins.module_utils.retry import already_done_if
from ansible_collections.iamkit.ec2.plugins.module_utils.retry import error_code
from ansible_collections.iamkit.ec2.plugins.module_utils.retry import is_code
from ansible_collections.iamkit.ec2.plugins.module_utils.retry import retry_while
from ansible_collections.iamkit.ec2.plugins.module_utils.retry import wait_until
from ansible_collections.iamkit.ec2.plugins.module_utils.validate import InvalidInput
from ansible_collections.iamkit.ec2.plugins.module_utils.validate import check_name
from ansible_collections.iamkit.ec2.plugins.module_utils.validate import check_path

PROFILE_NAME_MAX = 128
ROLE_NAME_MAX = 64
# Associations that still give an instance the profile's credentials; "disassociating" ones are on their way out.
ACTIVE_ASSOCIATION_STATES = ["associating", "associated"]
_PATH_PREFIX = re.compile(r"^/[\x21-\x7e]{0,511}$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role(/[\x21-\x7e]*)?/([\w+=,.@-]{1,64})$")

# Seam for the unit tests: the retries and waits sleep through this, so a test can make them instant.
sleep = time.sleep


class ProfileError(Exception):
    """A refusal with a message for the user: the role does not exist, the profile is in use..."""


# ----------------------------------------------------------------------------------------- input

class RoleMissing(ProfileError):
    """The role named for the profile does not exist."""


def role_name(option, value):
    """The role name for `value` (a name or a role ARN); "" stays "" (empty the profile)."""
    if value is None or value == "":
        return value
    match = _ROLE_ARN.match(value)
    if match:
        return match.group(2)
    if value.startswith("arn:"):
        raise InvalidInput(
            "%s=%r is not an IAM role ARN: expected arn:aws:iam::<account id>:role/<name> "
            "or arn:aws:iam::<account id>:role/<path>/<name>" % (option, value)
        )
    if "/" in value:
        raise InvalidInput(
            "%s=%r looks like a role path: give the role's name (%s) or its full ARN "
            "(arn:aws:iam::<account id>:role/<path>/<name>); an instance profile takes no path for its role"
            % (option, value, value.rsplit("/", 1)[-1] or "<name>")
        )
    return check_name(option, value, max_length=ROLE_NAME_MAX)


def check_path_prefix(option, value):
    """A path prefix for listing: begins with / but, unlike a path, need not end with one."""
    if value is not None and not _PATH_PREFIX.match(value):
        raise InvalidInput(
            "%s=%r is not a valid IAM path prefix: it must begin with '/' (for example /service/), use "
            "printable ASCII without spaces, and be at most 512 characters" % (option, value)
        )
    return value


def check_profile_params(name, path, role):
    """Every check the module makes before talking to AWS; raises InvalidInput."""
    if name is not None:
        check_name("name", name, max_length=PROFILE_NAME_MAX)
    check_path("path", path)
    role_name("role", role)


# ----------------------------------------------------------------------------------------- reading

def read_profile(iam, name):
    """The profile as GetInstanceProfile returns it (role and tags included), or None when there is none."""
    try:
        return iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
    except ClientError as error:
        if error_code(error) == "NoSuchEntity":
            return None
        raise


def read_role(iam, role):
    """The role named by `role` (name or ARN); ProfileError naming it when it does not exist."""
    name = role_name("role", role)
    try:
        found = iam.get_role(RoleName=name)["Role"]
    except ClientError as error:
        if error_code(error) == "NoSuchEntity":
            raise RoleMissing("role %r does not exist: create it first (iamkit.ec2.iam_role)" % role) from None
        raise
    if role.startswith("arn:") and found["Arn"] != role:
        raise ProfileError("role %r does not exist: the role named %s has ARN %s" % (role, name, found["Arn"]))
    return found


def profile_holds_only(iam, name, role):
    """True when the profile exists and holds exactly this role (AWS's LimitExceeded then means: done)."""
    return [r["RoleName"] for r in (read_profile(iam, name) or {}).get("Roles") or []] == [role]


def list_profiles(iam, path_prefix=None):
    """Every profile under `path_prefix`, each read again with GetInstanceProfile for its tags.

    ListInstanceProfiles leaves tags out on AWS, so the listing alone cannot answer "always with tags".
    The prefix is also applied here because some endpoints (moto) ignore PathPrefix.
    """
    params = {"PathPrefix": path_prefix} if path_prefix else {}
    listed = []
    for page in iam.get_paginator("list_instance_profiles").paginate(**params):
        listed.extend(page["InstanceProfiles"])
    profiles = []
    for item in listed:
        if path_prefix and not item["Path"].startswith(path_prefix):
            continue
        profile = read_profile(iam, item["InstanceProfileName"])
        if profile is not None:  # deleted between the listing and the read
            profiles.append(profile)
    return sorted(profiles, key=lambda p: p["InstanceProfileName"])


def associations_by_profile(ec2):
    """{profile ARN: [(instance id, association id)]} for every active association in the region.

    DescribeIamInstanceProfileAssociations filtered on state, matched by ARN client-side, works on AWS
    and on moto, which lacks DescribeInstances' iam-instance-profile.arn filter.
    """
    found = {}
    paginator = ec2.get_paginator("describe_iam_instance_profile_associations")
    filters = [{"Name": "state", "Values": ACTIVE_ASSOCIATION_STATES}]
    for page in paginator.paginate(Filters=filters):
        for association in page["IamInstanceProfileAssociations"]:
            arn = association.get("IamInstanceProfile", {}).get("Arn")
            found.setdefault(arn, []).append((association["InstanceId"], association["AssociationId"]))
    return dict((arn, sorted(pairs)) for arn, pairs in found.items())


def instances_using_profile(ec2, profile_arn):
    """[(instance id, association id)] of the instances the profile is associated with, sorted by instance."""
    return associations_by_profile(ec2).get(profile_arn, [])


# ----------------------------------------------------------------------------------------- shapes

def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def describe_role(raw):
    """A role in Ansible's snake_case shape; the trust policy keeps AWS's own keys."""
    role = camel_dict_to_snake_dict(raw, ignore_list=["AssumeRolePolicyDocument", "Tags"])
    role["tags"] = tags_to_dict(raw.get("Tags"))
    role["create_date"] = _iso(raw.get("CreateDate"))
    role.pop("role_last_used", None)
    return role


def describe(raw, instances=None):
    """The profile as the modules return it; `instances` adds the associated instances when given."""
    if raw is None:
        return None
    profile = {
        "arn": raw.get("Arn"),
        "create_date": _iso(raw.get("CreateDate")),
        "instance_profile_id": raw.get("InstanceProfileId"),
        "instance_profile_name": raw["InstanceProfileName"],
        "path": raw.get("Path"),
        "roles": [describe_role(role) for role in raw.get("Roles") or []],
        "tags": tags_to_dict(raw.get("Tags")),
    }
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
        "tags": tags_to_dict(raw.get("Tags")),
    }


# ----------------------------------------------------------------------------------------- planning

def _same_role(current, wanted):
    """True when the role the user named (name or ARN) is the one in the profile."""
    if current.get("role") is None:
        return False
    key = "role_arn" if wanted.startswith("arn:") else "role"
    return current[key] == wanted


def plan_present(iam, current, name, path=None, role=None, tags=None, purge_tags=True, check_mode=False):
    """Plan for state=present: (plan, predicted raw profile, warnings).

    `current` is read_profile's answer. GetRole is called only when the role must change, so the role is
    known to exist before any write and a run with nothing to do stays at the one read.
    """
    warnings = []
    plan = Plan(diff_state(current))
    predicted = copy.deepcopy(current)
    if current is None:
        path = path or "/"
        new_tags = tags or {}
        plan.add("create", "create instance profile %s at path %s" % (name, path), name=name, path=path, tags=new_tags)
        plan.after = {"instance_profile_name": name, "path": path, "role": None, "role_arn": None, "tags": new_tags}
        predicted = {"InstanceProfileName": name, "Path": path, "Roles": [], "Tags": dict_to_tags(new_tags)}
    else:
        if path is not None and path != current["Path"]:
            warnings.append(
                "instance profile %s keeps its path %s: AWS cannot change the path of a profile (requested %s); "
                "delete and recreate it to move it" % (name, current["Path"], path)
            )
        _plan_tags(plan, predicted, name, tags, purge_tags)
    _plan_role(iam, plan, predicted, name, role, warnings if check_mode else None)
    return plan, predicted, warnings


def _plan_tags(plan, predicted, name, tags, purge_tags):
    current = plan.after["tags"]
    to_set, to_remove = plan_tags(current, tags, purge_tags)
    if to_remove:
        plan.add("untag", "remove tags %s" % ", ".join(to_remove), name=name, keys=to_remove)
    if to_set:
        plan.add("tag", "set tags %s" % ", ".join(sorted(to_set)), name=name, tags=to_set)
    plan.after["tags"] = tags_after(current, to_set, to_remove)
    predicted["Tags"] = dict_to_tags(plan.after["tags"])


def _plan_role(iam, plan, predicted, name, role, check_mode_warnings=None):
    if role is None or (role == "" and plan.after["role"] is None) or (role and _same_role(plan.after, role)):
        return
    new_role = _role_to_add(iam, role, check_mode_warnings) if role else None
    old_name = plan.after["role"]
    if old_name:
        # A profile holds one role: the old one must leave before the new one can enter.
        plan.add("remove_role", "remove role %s from instance profile %s" % (old_name, name), name=name, role=old_name)
    if new_role:
        plan.add("add_role", "add role %s to instance profile %s" % (new_role["RoleName"], name),
                 name=name, role=new_role["RoleName"])
    plan.after["role"] = new_role["RoleName"] if new_role else None
    plan.after["role_arn"] = new_role["Arn"] if new_role else None
    predicted["Roles"] = [new_role] if new_role else []


def _role_to_add(iam, role, check_mode_warnings):
    """The role, read. In check mode (warnings list given) a missing role is predicted instead, since an
    earlier task of the same play (iam_role, itself in check mode) would have created it."""
    try:
        return read_role(iam, role)
    except RoleMissing:
        if check_mode_warnings is None:
            raise
    check_mode_warnings.append("role %s does not exist yet; check mode assumes an earlier task creates it" % role)
    return {"RoleName": role_name("role", role), "Arn": role if role.startswith("arn:") else None}


def plan_absent(current, associations, force=False):
    """Plan for state=absent: disassociate (only with force), remove the role, delete.

    `associations` is instances_using_profile's answer for this profile. Raises ProfileError when the
    profile is in use and force is off, so check mode predicts the same refusal.
    """
    plan = Plan(diff_state(current))
    plan.after = {}
    if current is None:
        return plan
    name = current["InstanceProfileName"]
    if associations and not force:
        raise ProfileError(
            "instance profile %s is associated with instances %s: disassociate them first, or set force=true "
            "to disassociate them and delete the profile" % (name, ", ".join(i for i, _a in associations))
        )
    for instance_id, association_id in associations:
        plan.add("disassociate", "disassociate instance profile %s from %s" % (name, instance_id),
                 instance_id=instance_id, association_id=association_id)
    for role in current.get("Roles") or []:
        plan.add("remove_role", "remove role %s from instance profile %s" % (role["RoleName"], name),
                 name=name, role=role["RoleName"])
    plan.add("delete", "delete instance profile %s" % name, name=name)
    return plan


# ----------------------------------------------------------------------------------------- applying

def appliers(iam, ec2=None, timeout=120):
    """{action: function} for Plan.apply. `timeout` bounds the retries of what AWS rejects right after a create."""

    def create(name, path, tags):
        params = dict(InstanceProfileName=name, Path=path)
        if tags:
            params["Tags"] = dict_to_tags(tags)
        # Another run may create it between our read and this write: the profile is there, as wanted.
        already_done_if(is_code("EntityAlreadyExists"), iam.create_instance_profile)(**params)

    def add_role(name, role):
        # Right after CreateInstanceProfile (or CreateRole in an earlier task) IAM may still answer
        # NoSuchEntity for either; both were read or created moments ago, so this is propagation.
        try:
            retry_while(is_code("NoSuchEntity"),
                        lambda: iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=role),
                        timeout, sleep=sleep)
        except ClientError as error:
            # A profile holds one role: LimitExceeded while it holds this very role means another run added it.
            if error_code(error) != "LimitExceeded":
                raise
            if not profile_holds_only(iam, name, role):
                raise

    def remove_role(name, role):
        iam.remove_role_from_instance_profile(InstanceProfileName=name, RoleName=role)

    def tag(name, tags):
        retry_while(is_code("NoSuchEntity"),
                    lambda: iam.tag_instance_profile(InstanceProfileName=name, Tags=dict_to_tags(tags)),
                    timeout, sleep=sleep)

    def untag(name, keys):
        iam.untag_instance_profile(InstanceProfileName=name, TagKeys=keys)

    def disassociate(instance_id, association_id):
        ec2.disassociate_iam_instance_profile(AssociationId=association_id)

    def delete(name):
        iam.delete_instance_profile(InstanceProfileName=name)

    return dict(create=create, add_role=add_role, remove_role=remove_role, tag=tag, untag=untag,
                disassociate=disassociate, delete=delete)


def read_applied(iam, name, expected_role, wait=True, timeout=120):
    """Read the profile after the writes; with `wait`, until it shows up holding `expected_role` (or none).

    Returns None when the profile is not visible yet and `wait` is off. Raises ProfileError when waiting
    runs out of time, saying the writes were made.
    """
    def settled():
        profile = read_profile(iam, name)
        if profile is None:
            return None
        roles = [r["RoleName"] for r in profile.get("Roles") or []]
        return profile if roles == ([expected_role] if expected_role else []) else None

    if not wait:
        return read_profile(iam, name)
    profile = wait_until(settled, timeout, sleep=sleep)
    if profile is None:
        raise ProfileError(
            "instance profile %s was changed but did not show %s within wait_timeout=%s seconds"
            % (name, "role %s" % expected_role if expected_role else "an empty role list", timeout)
        )
    return profile
