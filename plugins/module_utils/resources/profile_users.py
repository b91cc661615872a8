# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The instances using an instance profile: who is in the way of deleting a role or a profile, and the
sub-plan a deletion takes first (disassociate them, only with force). Part of the association resource;
iam_role and iam_instance_profile get it wired in by their modules, iam_instance_profile_info lists with it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.iamkit.ec2.plugins.module_utils import ec2_calls
from ansible_collections.iamkit.ec2.plugins.module_utils.engine import Refused
from ansible_collections.iamkit.ec2.plugins.module_utils.plan import Plan


def profile_users(aws, profile_arns):
    """[(instance id, association id, profile ARN)] of every active association of these profiles in the
    region. DescribeIamInstanceProfileAssociations filtered on state and matched by ARN works on AWS and on
    moto, which lacks DescribeInstances' iam-instance-profile.arn filter."""
    found = ec2_calls.describe_associations(aws, [{"Name": "state", "Values": ec2_calls.ACTIVE_STATES}])[0]
    return sorted((a["instance_id"], a["association_id"], a["instance_profile_arn"]) for a in found
                  if a["instance_profile_arn"] in profile_arns)


def plan_disassociations(aws, owner, profile_arns, force):
    """The sub-plan a deletion takes first: disassociate every instance using these profiles, only with
    force; without it, Refused naming the instances. `owner` names what is being deleted."""
    if not profile_arns:
        return Plan({})
    if not aws.region:
        raise Refused("state=absent looks for the instances that use the instance profile of %s, and instances "
                      "live in a region: set region (or AWS_REGION)" % owner)
    in_use = profile_users(aws, set(profile_arns))
    if in_use and not force:
        raise Refused("%s is in use: its instance profile is associated with instances %s in region %s. "
                      "Disassociate them first, or set force: true to disassociate them and delete it."
                      % (owner, ", ".join(i for i, _a, _p in in_use), aws.region),
                      instances=[i for i, _a, _p in in_use])
    plan = Plan({})
    for instance_id, association_id, arn in in_use:
        plan.add("disassociate instance profile %s from %s" % (arn.rsplit("/", 1)[-1], instance_id), disassociate,
                 before={instance_id: {"instance_profile_arn": arn}},
                 after={instance_id: {"instance_profile_arn": None}},
                 instance_id=instance_id, association_id=association_id)
    return plan


def disassociate(aws, instance_id, association_id):
    """A step: ("disassociate", the association as it leaves, or None when it was gone already)."""
    return "disassociate", ec2_calls.disassociate(aws, association_id)
