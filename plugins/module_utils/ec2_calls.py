# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""EC2 calls for instances and their instance profile associations, one small function each: pagination at
the largest page AWS hands out, "already gone" as success, and the retry for a profile EC2 does not know yet.

Every function takes the Connection (aws.py) first. Reads use the plain client; writes the adaptive one
(aws.ec2_writes), since they may run from a pool. No decisions are made here: resources decide.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.iamkit.ec2.plugins.module_utils.retry import done_if
from ansible_collections.iamkit.ec2.plugins.module_utils.retry import is_code
from ansible_collections.iamkit.ec2.plugins.module_utils.retry import is_code_and_message
from ansible_collections.iamkit.ec2.plugins.module_utils.retry import retry_while

# The largest page DescribeIamInstanceProfileAssociations and DescribeInstances hand out.
PAGE_SIZE = 1000
# EC2 refuses more than 200 values in one filter (FilterLimitExceeded).
FILTER_VALUES_MAX = 200
# Associations that still give an instance the profile's credentials; "disassociating" ones are on their way out.
ACTIVE_STATES = ["associating", "associated"]

# A profile created moments ago is unknown to EC2 for a while.
PROFILE_NOT_PROPAGATED = is_code_and_message("InvalidParameterValue", "Invalid IAM Instance Profile")
# After a disassociate the old association lingers in `disassociating`; an instance with an active
# association refuses another one.
ASSOCIATION_EXISTS = is_code_and_message("IncorrectState", "existing association")
# A stopping instance accepts an association only once it is stopped.
INSTANCE_IN_TRANSITION = is_code("IncorrectInstanceState")
# The association is gone already (another run, or the instance went away).
ASSOCIATION_GONE = is_code("InvalidAssociationID.NotFound")


def chunked(values, size=FILTER_VALUES_MAX):
    values = list(values)
    return [values[i:i + size] for i in range(0, len(values), size)]


def describe_instance_states(aws, filters):
    """{instance id: state name} of the instances matching `filters` (boto3 list form)."""
    states = {}
    pages = aws.ec2.get_paginator("describe_instances").paginate(
        Filters=filters, PaginationConfig={"PageSize": PAGE_SIZE})
    for page in pages:
        for reservation in page["Reservations"]:
            for instance in reservation["Instances"]:
                states[instance["InstanceId"]] = instance["State"]["Name"]
    return states


def normalise_association(raw):
    profile = raw.get("IamInstanceProfile") or {}
    timestamp = raw.get("Timestamp")
    return {
        "association_id": raw["AssociationId"],
        "instance_id": raw["InstanceId"],
        "instance_profile_arn": profile.get("Arn"),
        "instance_profile_id": profile.get("Id"),
        "state": raw.get("State"),
        "timestamp": timestamp.isoformat() if hasattr(timestamp, "isoformat") else timestamp,
    }


def describe_associations(aws, filters, max_pages=None):
    """(associations, complete): follow NextToken at the largest page size, stopping after `max_pages`."""
    found, token, pages = [], None, 0
    while True:
        params = {"Filters": filters, "MaxResults": PAGE_SIZE}
        if token:
            params["NextToken"] = token
        page = aws.ec2.describe_iam_instance_profile_associations(**params)
        pages += 1
        found.extend(normalise_association(a) for a in page.get("IamInstanceProfileAssociations", []))
        token = page.get("NextToken")
        if not token:
            return found, True
        if max_pages is not None and pages >= max_pages:
            return found, False


def associate(aws, timeout, instance_id, profile_arn, after_disassociate=False):
    """The new association. Retries, up to `timeout`, EC2 not knowing the profile yet and, right after a
    disassociation of the same instance, the old association lingering or the instance still stopping."""
    def lingering(error):
        return PROFILE_NOT_PROPAGATED(error) or (
            after_disassociate and (ASSOCIATION_EXISTS(error) or INSTANCE_IN_TRANSITION(error)))

    answer = retry_while(lingering, lambda: aws.ec2_writes.associate_iam_instance_profile(
        IamInstanceProfile={"Arn": profile_arn}, InstanceId=instance_id), timeout, aws.clock)
    return normalise_association(answer["IamInstanceProfileAssociation"])


def replace(aws, timeout, association_id, profile_arn):
    answer = retry_while(PROFILE_NOT_PROPAGATED, lambda: aws.ec2_writes.replace_iam_instance_profile_association(
        IamInstanceProfile={"Arn": profile_arn}, AssociationId=association_id), timeout, aws.clock)
    return normalise_association(answer["IamInstanceProfileAssociation"])


def disassociate(aws, association_id):
    """The association in its `disassociating` state, or None when it was already gone."""
    answer = done_if(ASSOCIATION_GONE, lambda: aws.ec2_writes.disassociate_iam_instance_profile(
        AssociationId=association_id))
    return normalise_association(answer["IamInstanceProfileAssociation"]) if answer else None
