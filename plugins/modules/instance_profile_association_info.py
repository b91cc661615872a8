#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: instance_profile_association_info
short_description: List the associations between EC2 instances and IAM instance profiles
version_added: 1.0.0
description:
  - Lists IAM instance profile associations by instance ids, by EC2 instance filters, or for the whole region,
    optionally only those of one profile and only in some states.
  - Reads in batches of up to 200 instance ids per call and follows pagination.
options:
  instance_ids:
    description:
      - Only associations of these instances. Ids without an association are simply absent from the result.
      - Mutually exclusive with O(filters).
    type: list
    elements: str
    aliases: [instance_id]
  filters:
    description:
      - Only associations of the instances matching these EC2 DescribeInstances filters, for example V(tag:Role).
      - Mutually exclusive with O(instance_ids).
    type: dict
  instance_profile:
    description:
      - Only associations of this IAM instance profile, given by name (matched against the last element of the
        profile ARN) or by ARN. No IAM call is made, so associations of a deleted profile are found too.
    type: str
    aliases: [iam_instance_profile, instance_role]
  state:
    description:
      - Only associations in these states. Empty means every state.
      - The default lists the associations AWS counts as current.
    type: list
    elements: str
    choices: [associating, associated, disassociating, disassociated]
    default: [associating, associated]
notes:
  - amazon.aws has no module for this; M(amazon.aws.ec2_instance_info) shows an instance's profile but not the
    association's id or state.
  - "Permissions needed (the minimal policy, tested under enforced IAM; see docs/permissions.md):
    ec2:DescribeInstances, ec2:DescribeIamInstanceProfileAssociations."
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
author:
  - iamkit.ec2 developers (@iamkit)
"""

EXAMPLES = r"""
- name: Which profile do these instances have?
  iamkit.ec2.instance_profile_association_info:
    instance_ids:
      - i-0123456789abcdef0
  register: found

- name: Every instance in the region that has the web-server profile
  iamkit.ec2.instance_profile_association_info:
    instance_profile: web-server
  register: web_servers

- name: Associations of the instances tagged Role=web, in any state
  iamkit.ec2.instance_profile_association_info:
    filters:
      "tag:Role": web
    state: []
"""

RETURN = r"""
associations:
  description: The associations found, sorted by instance id.
  returned: always
  type: list
  elements: dict
  contains:
    association_id:
      description: The association's id.
      type: str
      sample: iip-assoc-0123456789abcdef0
    instance_id:
      description: The instance.
      type: str
      sample: i-0123456789abcdef0
    instance_profile_arn:
      description: The associated instance profile.
      type: str
      sample: arn:aws:iam::123456789012:instance-profile/web-server
    instance_profile_id:
      description: The instance profile's id.
      type: str
      sample: AIPAEXAMPLEID0000000
    state:
      description: The association's state.
      type: str
      sample: associated
    timestamp:
      description: When the association was made (ISO 8601).
      type: str
      sample: "2026-01-01T12:00:00+00:00"
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.iamkit.ec2.plugins.module_utils import engine
from ansible_collections.iamkit.ec2.plugins.module_utils.resources import association
from ansible_collections.iamkit.ec2.plugins.module_utils.resources import association_input

ARGUMENT_SPEC = dict(
    instance_ids=dict(type="list", elements="str", aliases=["instance_id"]),
    filters=dict(type="dict"),
    instance_profile=dict(type="str", aliases=["iam_instance_profile", "instance_role"]),
    state=dict(type="list", elements="str", default=["associating", "associated"],
               choices=["associating", "associated", "disassociating", "disassociated"]),
)


def desired(params):
    """The inputs it shares with instance_profile_association, checked the same way (it never writes)."""
    states = params["state"]
    checked = association_input.association_desired(dict(
        params, state="absent", max_concurrency=None, propagation_timeout=None, wait_timeout=None))
    return dict(checked, state=states)


RESOURCE = engine.Resource(
    desired=desired, read=association.describe, plan=engine.nothing_to_change,
    result=lambda found, plan: {"associations": found},
    describe=lambda desired: "the instance profile associations",
)


def main(clock=None):
    module = AnsibleAWSModule(
        argument_spec=ARGUMENT_SPEC,
        mutually_exclusive=[("instance_ids", "filters")],
        supports_check_mode=True,
    )
    engine.run(module, RESOURCE, clock)


if __name__ == "__main__":
    main()
