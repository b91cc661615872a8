# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The association's input rules (part of the association resource), shared with its _info module."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amazon.aws.plugins.module_utils.transformation import ansible_dict_to_boto3_filter_list

from ansible_collections.iamkit.ec2.plugins.module_utils.validate import InvalidInput
from ansible_collections.iamkit.ec2.plugins.module_utils.validate import check_instance_ids
from ansible_collections.iamkit.ec2.plugins.module_utils.validate import check_profile_reference
from ansible_collections.iamkit.ec2.plugins.module_utils.validate import check_range
from ansible_collections.iamkit.ec2.plugins.module_utils.validate import check_timeout


def association_desired(params):
    """The options, validated, with filters in boto3's list form and instance ids without repeats."""
    if params.get("instance_ids") is not None:
        params["instance_ids"] = list(dict.fromkeys(check_instance_ids("instance_ids", params["instance_ids"])))
    if params.get("instance_profile"):
        check_profile_reference("instance_profile", params["instance_profile"])
    elif params.get("state", "present") == "present":
        raise InvalidInput("instance_profile is required when state=present: give the profile's name or ARN")
    check_range("max_concurrency", params.get("max_concurrency"), 1, 64)
    check_timeout("propagation_timeout", params.get("propagation_timeout"))
    check_timeout("wait_timeout", params.get("wait_timeout"))
    if params.get("filters") is not None:
        params["filters"] = ansible_dict_to_boto3_filter_list(params["filters"])
    return params


def describe_task(desired):
    target = "%d instance(s)" % len(desired["instance_ids"]) if desired.get("instance_ids") is not None \
        else "the instances matching the filters"
    return "the instance profile association of %s" % target
