#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: instance_profile_association
short_description: Associate an IAM instance profile with many EC2 instances, or remove it
version_added: 1.0.0
description:
  - Gives EC2 instances their identity by associating an IAM instance profile with them, replacing another
    profile where one is associated, or removes associations.
  - Reads in batches whatever the number of instances (one profile lookup, instances and associations in
    calls of up to 200 instance ids each) and writes from a bounded pool of threads with adaptive client-side
    rate limiting, so one task can handle thousands of instances.
  - Only associations in state C(associating) or C(associated) count as current.
options:
  instance_ids:
    description:
      - The instances to act on, by id. One id is fine.
      - A malformed id, or an instance that does not exist or is terminated, fails the task before any
        change, naming the ids.
      - Exactly one of O(instance_ids) and O(filters) is required.
    type: list
    elements: str
    aliases: [instance_id]
  filters:
    description:
      - The instances to act on, as EC2 DescribeInstances filters, for example V(tag:Role) or
        V(instance-state-name). See
        U(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstances.html) for the names.
      - Terminated and shutting-down instances are left out.
    type: dict
  instance_profile:
    description:
      - The IAM instance profile, by name or by ARN.
      - Required when O(state=present); the profile must exist (one IAM GetInstanceProfile per task checks it).
      - With O(state=absent), only associations with this profile are removed; a name matches the last element
        of the associated profile's ARN, so associations of a profile already deleted can still be removed.
    type: str
    aliases: [iam_instance_profile, instance_role]
  state:
    description:
      - V(present) associates the profile where none is associated and replaces any other profile.
        A running instance gets a replace; AWS refuses a replace on an instance that is not running (stopped,
        stopping), so there the module disassociates and then associates, and says so in RV(associations).
      - V(absent) removes the association of O(instance_profile), or of any profile when O(instance_profile) is
        not given.
    type: str
    choices: [present, absent]
    default: present
  wait:
    description:
      - With O(state=present), wait until every association reaches state C(associated).
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait for the associations with O(wait=true).
    type: int
    default: 300
  propagation_timeout:
    description:
      - For how many seconds to retry the error EC2 gives for an instance profile created moments ago
        (C(InvalidParameterValue), "Invalid IAM Instance Profile name/ARN"), with exponential backoff.
        When it runs out the task fails with AWS's message.
    type: int
    default: 120
  max_concurrency:
    description:
      - How many write calls run at the same time, from 1 to 64.
      - Throttling is handled by botocore's C(adaptive) retry mode (set unless O(aws_config) says otherwise),
        which lowers the request rate once EC2 answers C(RequestLimitExceeded).
    type: int
    default: 8
notes:
  - amazon.aws has no module for this; M(amazon.aws.ec2_instance) sets a profile with its
    O(amazon.aws.ec2_instance#module:iam_instance_profile) option but cannot remove one. The aliases
    O(iam_instance_profile) and O(instance_role) and the options O(instance_ids) and O(filters) have the same
    meaning as there.
  - EC2 lets each account make about 5 mutating calls per second after a burst of 50 (AWS's documented
    request rate limits), so 10,000 associations take at least about 33 minutes; the module settles at the
    rate AWS allows instead of failing.
  - When a write fails, the other writes already running finish, no new one starts, and the task fails with
    RV(associations) saying per instance what was done and what was not; running the task again completes the
    rest.
  - Diff mode shows, per instance it changes, the profile ARN before and after. In check mode
    RV(associations) shows each instance's association as it is, with the RV(associations[].action) a run would
    take.
  - "Permissions needed (the minimal policy, tested under enforced IAM; see docs/permissions.md):
    iam:GetInstanceProfile, ec2:DescribeInstances, ec2:DescribeIamInstanceProfileAssociations,
    ec2:AssociateIamInstanceProfile, ec2:ReplaceIamInstanceProfileAssociation, ec2:DisassociateIamInstanceProfile;
    on AWS also iam:PassRole on the role inside the profile."
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - iamkit.ec2.engine
author:
  - iamkit.ec2 developers (@iamkit)
"""

EXAMPLES = r"""
- name: Give two instances the web-server identity
  iamkit.ec2.instance_profile_association:
    instance_ids:
      - i-0123456789abcdef0
      - i-0fedcba9876543210
    instance_profile: web-server

- name: Give every instance tagged Role=web the profile, by ARN
  iamkit.ec2.instance_profile_association:
    filters:
      "tag:Role": web
    instance_profile: arn:aws:iam::123456789012:instance-profile/web-server

- name: Remove the web-server profile from those instances (other profiles stay)
  iamkit.ec2.instance_profile_association:
    filters:
      "tag:Role": web
    instance_profile: web-server
    state: absent

- name: Remove whatever profile one instance has
  iamkit.ec2.instance_profile_association:
    instance_ids: [i-0123456789abcdef0]
    state: absent
"""

RETURN = r"""
instance_profile_arn:
  description: The ARN of the profile the instances were given (V(null) with O(state=absent)).
  returned: always
  type: str
  sample: arn:aws:iam::123456789012:instance-profile/web-server
associations:
  description: One entry per instance acted on, in the order given (or found with O(filters)).
  returned: always
  type: list
  elements: dict
  contains:
    instance_id:
      description: The instance.
      type: str
      sample: i-0123456789abcdef0
    association_id:
      description:
        - The association now in place; for V(disassociate), the one removed.
        - V(null) in check mode for an association not made yet, and when the instance has none.
      type: str
      sample: iip-assoc-0123456789abcdef0
    instance_profile_arn:
      description: The profile of that association.
      type: str
      sample: arn:aws:iam::123456789012:instance-profile/web-server
    state:
      description:
        - The association's state as AWS reports it (C(associating), C(associated), C(disassociating),
          C(disassociated)).
      type: str
      sample: associated
    action:
      description:
        - What was (or in check mode, would be) done, V(none) when nothing was needed.
        - V(disassociate_associate) is the replace for instances that are not running.
      type: str
      sample: associate
      choices: [none, associate, replace, disassociate_associate, disassociate]
    done:
      description: Whether the instance is as requested after this task (V(false) in check mode for a planned change).
      type: bool
      sample: true
    error:
      description: Why the change of this instance failed or was not attempted.
      type: str
      returned: when the change failed
      sample: "not attempted: stopped after another instance failed"
changes:
  description: One sentence per write made (or planned, in check mode).
  returned: always
  type: list
  elements: str
  sample: ["associate i-0123456789abcdef0 with arn:aws:iam::123456789012:instance-profile/web-server"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.iamkit.ec2.plugins.module_utils import engine
from ansible_collections.iamkit.ec2.plugins.module_utils.resources import association
from ansible_collections.iamkit.ec2.plugins.module_utils.resources import association_input

ARGUMENT_SPEC = dict(
    instance_ids=dict(type="list", elements="str", aliases=["instance_id"]),
    filters=dict(type="dict"),
    instance_profile=dict(type="str", aliases=["iam_instance_profile", "instance_role"]),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    wait=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=300),
    propagation_timeout=dict(type="int", default=120),
    max_concurrency=dict(type="int", default=8),
)

RESOURCE = engine.Resource(
    desired=association_input.association_desired, describe=association_input.describe_task, read=association.read,
    plan=association.plan, settle=association.settle, predict=association.predict, result=association.result,
    failure_hint=association.failure_hint,
)


def main(clock=None):
    module = AnsibleAWSModule(
        argument_spec=ARGUMENT_SPEC,
        required_one_of=[("instance_ids", "filters")],
        mutually_exclusive=[("instance_ids", "filters")],
        required_if=[("state", "present", ["instance_profile"])],
        supports_check_mode=True,
    )
    engine.run(module, RESOURCE, clock)


if __name__ == "__main__":
    main()
