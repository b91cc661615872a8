#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: iam_instance_profile
version_added: 0.1.0
short_description: Manage IAM instance profiles, the container that passes one role to EC2 instances
description:
  - Create, update and delete IAM instance profiles, set the role they hold, and manage their tags.
  - The module reads the profile once, plans every write, then applies the plan; check mode and diff
    mode report that same plan, and a run with nothing to do makes a single API call.
  - Options and return values are a superset of M(amazon.aws.iam_instance_profile), so a playbook keeps
    working when its FQCN is swapped; the differences are listed in the notes.
author:
  - iamkit.ec2 developers (@iamkit)
options:
  state:
    description:
      - Whether the instance profile should exist.
      - With V(absent) the role is removed from the profile first, then the profile is deleted.
    type: str
    choices: ["absent", "present"]
    default: "present"
  name:
    description:
      - Name of the instance profile, 1 to 128 characters from letters, digits and C(+=,.@_-).
      - Profile names are unique within an account whatever their path.
    aliases: ["instance_profile_name"]
    type: str
    required: true
  path:
    description:
      - Path of the instance profile when it is created, for example C(/service/). Defaults to C(/).
      - AWS cannot move an existing profile to another path; a different path on an existing profile
        gives a warning and changes nothing.
    aliases: ["path_prefix", "prefix"]
    type: str
  role:
    description:
      - The role the profile holds, by name or by ARN. A profile holds at most one role.
      - When the profile holds another role it is removed first, then this one is added.
      - V("") removes the role from the profile. When omitted the role is left as it is.
      - A role that does not exist fails the task, naming it, before anything changes.
    type: str
  force:
    description:
      - With O(state=absent), disassociate the profile from the instances that use it, then delete it.
      - Without it, deleting a profile that instances use is refused and the message names those instances.
    type: bool
    default: false
  wait:
    description:
      - After a change, wait until IAM shows the profile with the requested role.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait when O(wait=true), from 1 to 3600.
      - Also bounds the retries of calls that AWS rejects right after a create because the new profile
        or role is not visible yet.
    type: int
    default: 120
notes:
  - Differences from M(amazon.aws.iam_instance_profile).
  - O(role) also accepts a role ARN; a role path such as C(/team/MyRole) is refused with a message
    (AWS takes only the role name).
  - A role that does not exist fails before any write; M(amazon.aws.iam_instance_profile) fails halfway,
    after removing the previous role.
  - O(state=absent) refuses to delete a profile associated with instances unless O(force=true). The
    instances are looked up in the module's region (associations are regional), so deleting an existing
    profile needs a region, which M(amazon.aws.iam_instance_profile) did not.
  - O(force), O(wait) and O(wait_timeout) are new options.
  - The diff shows the profile's name, path, role and role ARN, and tags, and only in diff mode.
  - The return value has the same keys; RV(iam_instance_profile.create_date) is an ISO 8601 string, and
    in check mode a profile about to be created has no ARN, id or creation date yet (null).
  - RV(changes) lists the writes made or, in check mode, the writes that would be made.
  - "Permissions needed (the minimal policy, tested under enforced IAM; see docs/permissions.md):
    iam:GetInstanceProfile, iam:GetRole, iam:CreateInstanceProfile, iam:AddRoleToInstanceProfile,
    iam:RemoveRoleFromInstanceProfile, iam:TagInstanceProfile, iam:UntagInstanceProfile, iam:DeleteInstanceProfile,
    ec2:DescribeIamInstanceProfileAssociations, ec2:DisassociateIamInstanceProfile."
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags.modules
  - amazon.aws.boto3
  - iamkit.ec2.engine
"""

EXAMPLES = r"""
- name: Create a role that EC2 instances can assume
  iamkit.ec2.iam_role:
    name: ExampleAppRole
    assume_role_policy_document: |
      {"Version": "2012-10-17",
       "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}

- name: Create an instance profile holding that role
  iamkit.ec2.iam_instance_profile:
    name: ExampleAppProfile
    path: /example/
    role: ExampleAppRole
    tags:
      team: example
  register: profile

- name: The same, naming the role by ARN
  iamkit.ec2.iam_instance_profile:
    name: ExampleAppProfile
    role: "{{ profile.iam_instance_profile.roles[0].arn }}"

- name: Take the role out of the profile
  iamkit.ec2.iam_instance_profile:
    name: ExampleAppProfile
    role: ""

- name: Delete the profile, disassociating it from any instance that still uses it
  iamkit.ec2.iam_instance_profile:
    name: ExampleAppProfile
    state: absent
    force: true
"""

RETURN = r"""
iam_instance_profile:
  description:
    - The instance profile after the task (predicted in check mode); null with O(state=absent).
  returned: always
  type: dict
  contains:
    arn:
      description: ARN of the instance profile (null in check mode before it is created).
      returned: always
      type: str
      sample: arn:aws:iam::123456789012:instance-profile/example/ExampleAppProfile
    create_date:
      description: When the profile was created, ISO 8601 (null in check mode before it is created).
      returned: always
      type: str
      sample: "2026-01-12T11:18:29+00:00"
    instance_profile_id:
      description: Unique id of the profile (null in check mode before it is created).
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
      description: The role the profile holds, as a list of zero or one role.
      returned: always
      type: list
      elements: dict
      sample:
        - arn: arn:aws:iam::123456789012:role/ExampleAppRole
          role_name: ExampleAppRole
          role_id: AROA12345EXAMPLE54321
          path: /
          create_date: "2026-01-12T11:18:20+00:00"
          max_session_duration: 3600
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
changes:
  description: The writes made, in order (in check mode, the writes that would be made).
  returned: always
  type: list
  elements: str
  sample: ["create instance profile ExampleAppProfile at path /example/",
           "add role ExampleAppRole to instance profile ExampleAppProfile"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.iamkit.ec2.plugins.module_utils import engine
from ansible_collections.iamkit.ec2.plugins.module_utils.resources import instance_profile
from ansible_collections.iamkit.ec2.plugins.module_utils.resources import profile_users

ARGUMENT_SPEC = dict(
    state=dict(type="str", choices=["absent", "present"], default="present"),
    name=dict(type="str", required=True, aliases=["instance_profile_name"]),
    path=dict(type="str", aliases=["path_prefix", "prefix"]),
    role=dict(type="str"),
    tags=dict(type="dict", aliases=["resource_tags"]),
    purge_tags=dict(type="bool", default=True),
    force=dict(type="bool", default=False),
    wait=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=120),
)


def plan(aws, current, desired):
    return instance_profile.plan(aws, current, desired, profile_users.plan_disassociations)


RESOURCE = engine.Resource(
    desired=instance_profile.desired, read=instance_profile.read, plan=plan, settle=instance_profile.settle,
    predict=instance_profile.predict, result=instance_profile.result, describe=instance_profile.describe_task,
)


def main(clock=None):
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    engine.run(module, RESOURCE, clock)


if __name__ == "__main__":
    main()
