#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: iam_instance_profile_info
version_added: 0.1.0
short_description: Describe IAM instance profiles, their role, tags and, optionally, the instances using them
description:
  - Describe one IAM instance profile by name, the profiles under a path prefix, or all of them.
  - Every profile comes with its tags and its role (with the role's ARN); on request, also the EC2
    instances the profile is associated with in the module's region.
  - Options and return values are a superset of M(amazon.aws.iam_instance_profile_info); the differences
    are listed in the notes.
author:
  - iamkit.ec2 developers (@iamkit)
options:
  name:
    description:
      - Name of the instance profile to describe. Mutually exclusive with O(path_prefix).
      - A profile that does not exist gives an empty list.
    aliases: ["instance_profile_name"]
    type: str
  path_prefix:
    description:
      - Describe only the profiles whose path starts with this prefix, for example C(/service/).
      - Mutually exclusive with O(name). Without O(name) and O(path_prefix), every profile is described.
    aliases: ["path", "prefix"]
    type: str
  include_instances:
    description:
      - Also return, for each profile, the instances it is associated with in the module's region.
      - Costs one paginated EC2 DescribeIamInstanceProfileAssociations call for all profiles together,
        and needs a region.
    type: bool
    default: false
notes:
  - Differences from M(amazon.aws.iam_instance_profile_info).
  - O(include_instances) and RV(iam_instance_profiles[].instances) are new.
  - Tags are always returned, also when listing by path prefix or listing all. AWS leaves tags out of
    ListInstanceProfiles, so a listing makes one GetInstanceProfile call per profile after the list.
  - RV(iam_instance_profiles[].create_date) is an ISO 8601 string, and the list is sorted by name.
  - "Permissions needed (the minimal policy, tested under enforced IAM; see docs/permissions.md):
    iam:GetInstanceProfile, iam:ListInstanceProfiles, ec2:DescribeIamInstanceProfileAssociations."
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Describe every instance profile
  iamkit.ec2.iam_instance_profile_info:
  register: all_profiles

- name: Describe one instance profile and the instances that use it
  iamkit.ec2.iam_instance_profile_info:
    name: ExampleAppProfile
    include_instances: true
  register: app_profile

- name: Show the role ARN and the instances
  ansible.builtin.debug:
    msg: >-
      {{ app_profile.iam_instance_profiles[0].roles | map(attribute='arn') | list }} used by
      {{ app_profile.iam_instance_profiles[0].instances | map(attribute='instance_id') | list }}
  when: app_profile.iam_instance_profiles | length > 0

- name: Describe the instance profiles under /example/
  iamkit.ec2.iam_instance_profile_info:
    path_prefix: /example/
  register: example_profiles
"""

RETURN = r"""
iam_instance_profiles:
  description: The instance profiles found, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    arn:
      description: ARN of the instance profile.
      returned: always
      type: str
      sample: arn:aws:iam::123456789012:instance-profile/example/ExampleAppProfile
    create_date:
      description: When the profile was created, ISO 8601.
      returned: always
      type: str
      sample: "2026-01-12T11:18:29+00:00"
    instance_profile_id:
      description: Unique id of the profile.
      returned: always
      type: str
      sample: AIPA12345EXAMPLE54321
    instance_profile_name:
      description: Name of the profile.
      returned: always
      type: str
      sample: ExampleAppProfile
    path:
      description: Path of the profile.
      returned: always
      type: str
      sample: /example/
    roles:
      description: The role the profile holds (zero or one), each with its ARN.
      returned: always
      type: list
      elements: dict
      sample:
        - arn: arn:aws:iam::123456789012:role/ExampleAppRole
          role_name: ExampleAppRole
          role_id: AROA12345EXAMPLE54321
          path: /
          create_date: "2026-01-12T11:18:20+00:00"
          assume_role_policy_document:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Principal:
                  Service: ec2.amazonaws.com
                Action: sts:AssumeRole
          tags: {}
    tags:
      description: Tags of the profile.
      returned: always
      type: dict
      sample: {"team": "example"}
    instances:
      description: The instances the profile is associated with (associating or associated), by instance id.
      returned: when O(include_instances=true)
      type: list
      elements: dict
      contains:
        instance_id:
          description: Id of the instance.
          returned: always
          type: str
          sample: i-0123456789abcdef0
        association_id:
          description: Id of the association, as used to disassociate or replace it.
          returned: always
          type: str
          sample: iip-assoc-0123456789abcdef0
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.iamkit.ec2.plugins.module_utils import engine
from ansible_collections.iamkit.ec2.plugins.module_utils.resources import instance_profile
from ansible_collections.iamkit.ec2.plugins.module_utils.resources import profile_users

ARGUMENT_SPEC = dict(
    name=dict(type="str", aliases=["instance_profile_name"]),
    path_prefix=dict(type="str", aliases=["path", "prefix"]),
    include_instances=dict(type="bool", default=False),
)


def read(aws, desired):
    """(profiles, {profile ARN: [(instance id, association id)]} or None without include_instances)."""
    found = instance_profile.list_profiles(aws, desired)
    users = None
    if desired["include_instances"] and found:
        users = {}
        for instance_id, association_id, arn in profile_users.profile_users(aws, set(p["Arn"] for p in found)):
            users.setdefault(arn, []).append((instance_id, association_id))
    return found, users


def result(state, plan):
    found, users = state
    return {"iam_instance_profiles": [
        instance_profile.describe(p, None if users is None else users.get(p["Arn"], [])) for p in found]}


RESOURCE = engine.Resource(
    desired=instance_profile.info_desired, read=read, plan=engine.nothing_to_change, result=result,
    describe=lambda desired: "the instance profiles",
)


def main(clock=None):
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, mutually_exclusive=[["name", "path_prefix"]],
                              supports_check_mode=True)
    engine.run(module, RESOURCE, clock)


if __name__ == "__main__":
    main()
