# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IAM calls, one small function each: pagination, "not found" as None, "already done" as success, and the
eventual-consistency retry where a call needs it (`timeout` > 0: the resource was made moments ago).

Every function takes the Connection (aws.py) first. No decisions are made here: resources decide.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.iamkit.ec2.plugins.module_utils.retry import done_if
from ansible_collections.iamkit.ec2.plugins.module_utils.retry import error_code
from ansible_collections.iamkit.ec2.plugins.module_utils.retry import is_code
from ansible_collections.iamkit.ec2.plugins.module_utils.retry import retry_while
from ansible_collections.iamkit.ec2.plugins.module_utils.retry import wait_until

# IAM answers NoSuchEntity for a while after the role or profile was created (or after it was deleted).
NOT_FOUND = is_code("NoSuchEntity")
# Another run created it first.
ALREADY_EXISTS = is_code("EntityAlreadyExists")


def _paginate(aws, operation, key, **params):
    items = []
    for page in aws.iam.get_paginator(operation).paginate(**params):
        items.extend(page[key])
    return items


def _or_none(call):
    try:
        return call()
    except Exception as error:  # pylint: disable=broad-except
        if NOT_FOUND(error):
            return None
        raise


def _visible(aws, timeout, call):
    """`call()`, retried while IAM has not yet caught up with a create (NoSuchEntity), up to `timeout`."""
    return retry_while(NOT_FOUND, call, timeout, aws.clock)


# ------------------------------------------------------------------------------------------------ roles

def get_role(aws, name):
    return _or_none(lambda: aws.iam.get_role(RoleName=name)["Role"])


def list_roles(aws, path_prefix=None):
    params = {"PathPrefix": path_prefix} if path_prefix else {}
    return _paginate(aws, "list_roles", "Roles", **params)


def list_attached_role_policies(aws, name):
    return _paginate(aws, "list_attached_role_policies", "AttachedPolicies", RoleName=name)


def list_role_policy_names(aws, name):
    return _paginate(aws, "list_role_policies", "PolicyNames", RoleName=name)


def get_role_policy(aws, role_name, policy_name):
    """The inline policy's document as a dict, or None when it is gone."""
    answer = _or_none(lambda: aws.iam.get_role_policy(RoleName=role_name, PolicyName=policy_name))
    if answer is None:
        return None
    document = answer["PolicyDocument"]
    return json.loads(document) if isinstance(document, str) else document


def policy_exists(aws, arn):
    try:
        aws.iam.get_policy(PolicyArn=arn)
        return True
    except Exception as error:  # pylint: disable=broad-except
        if error_code(error) in ("NoSuchEntity", "InvalidInput"):
            return False
        raise


def list_local_policies(aws):
    """The account's own managed policies, under every path."""
    return _paginate(aws, "list_policies", "Policies", Scope="Local")


def create_role(aws, timeout, **params):
    """CreateRole, then wait (up to `timeout`) until IAM lets the role be read."""
    done_if(ALREADY_EXISTS, lambda: aws.iam.create_role(**params))
    name = params["RoleName"]
    if timeout:
        wait_until(lambda: get_role(aws, name), timeout, aws.clock)


def update_role(aws, timeout, **params):
    _visible(aws, timeout, lambda: aws.iam.update_role(**params))


def update_assume_role_policy(aws, timeout, **params):
    _visible(aws, timeout, lambda: aws.iam.update_assume_role_policy(**params))


def put_role_permissions_boundary(aws, timeout, **params):
    _visible(aws, timeout, lambda: aws.iam.put_role_permissions_boundary(**params))


def delete_role_permissions_boundary(aws, timeout, **params):
    done_if(NOT_FOUND, lambda: aws.iam.delete_role_permissions_boundary(**params))


def tag_role(aws, timeout, RoleName, tags):  # noqa: N803 (the API's parameter names)
    _visible(aws, timeout, lambda: aws.iam.tag_role(RoleName=RoleName, Tags=ansible_dict_to_boto3_tag_list(tags)))


def untag_role(aws, timeout, **params):
    _visible(aws, timeout, lambda: aws.iam.untag_role(**params))


def attach_role_policy(aws, timeout, **params):
    _visible(aws, timeout, lambda: aws.iam.attach_role_policy(**params))


def detach_role_policy(aws, timeout, **params):
    done_if(NOT_FOUND, lambda: aws.iam.detach_role_policy(**params))


def put_role_policy(aws, timeout, **params):
    _visible(aws, timeout, lambda: aws.iam.put_role_policy(**params))


def delete_role_policy(aws, timeout, **params):
    done_if(NOT_FOUND, lambda: aws.iam.delete_role_policy(**params))


def delete_role(aws, timeout, **params):
    done_if(NOT_FOUND, lambda: aws.iam.delete_role(**params))


# ------------------------------------------------------------------------------------ instance profiles

def get_instance_profile(aws, name):
    """The profile with its role and tags (GetInstanceProfile carries both), or None."""
    return _or_none(lambda: aws.iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"])


def list_instance_profiles(aws, path_prefix=None):
    params = {"PathPrefix": path_prefix} if path_prefix else {}
    return _paginate(aws, "list_instance_profiles", "InstanceProfiles", **params)


def list_instance_profiles_for_role(aws, role_name):
    return _or_none(lambda: _paginate(aws, "list_instance_profiles_for_role", "InstanceProfiles",
                                      RoleName=role_name)) or []


def create_instance_profile(aws, timeout, InstanceProfileName, Path, tags=None):  # noqa: N803
    params = dict(InstanceProfileName=InstanceProfileName, Path=Path)
    if tags:
        params["Tags"] = ansible_dict_to_boto3_tag_list(tags)
    done_if(ALREADY_EXISTS, lambda: aws.iam.create_instance_profile(**params))


def add_role_to_instance_profile(aws, timeout, InstanceProfileName, RoleName):  # noqa: N803
    """Right after CreateInstanceProfile (or CreateRole, maybe in an earlier task) IAM may answer NoSuchEntity
    for either. A profile holds one role: LimitExceeded while it holds this very role means another run
    added it first."""
    try:
        _visible(aws, timeout, lambda: aws.iam.add_role_to_instance_profile(
            InstanceProfileName=InstanceProfileName, RoleName=RoleName))
    except Exception as error:  # pylint: disable=broad-except
        if error_code(error) != "LimitExceeded":
            raise
        held = [r["RoleName"] for r in (get_instance_profile(aws, InstanceProfileName) or {}).get("Roles") or []]
        if held != [RoleName]:
            raise


def remove_role_from_instance_profile(aws, timeout, **params):
    done_if(NOT_FOUND, lambda: aws.iam.remove_role_from_instance_profile(**params))


def tag_instance_profile(aws, timeout, InstanceProfileName, tags):  # noqa: N803
    _visible(aws, timeout, lambda: aws.iam.tag_instance_profile(
        InstanceProfileName=InstanceProfileName, Tags=ansible_dict_to_boto3_tag_list(tags)))


def untag_instance_profile(aws, timeout, **params):
    _visible(aws, timeout, lambda: aws.iam.untag_instance_profile(**params))


def delete_instance_profile(aws, timeout, **params):
    done_if(NOT_FOUND, lambda: aws.iam.delete_instance_profile(**params))
