#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: iam_role
short_description: Manage an IAM role, its trust policy, managed and inline policies, tags and boundary
version_added: 0.1.0
description:
  - Creates, updates and deletes an AWS IAM role, idempotently.
  - Reads the role once, plans the changes, and applies them in order. Check mode and diff mode report the
    same plan without making any write call.
  - Accepts every option of M(amazon.aws.iam_role) with the same meaning, so a playbook keeps working after
    swapping the module name. The differences are listed in the notes.
options:
  name:
    description:
      - The name of the role. Role names are unique in an account whatever their path.
      - 1 to 64 characters from letters, digits and C(+=,.@_-).
    required: true
    aliases: ['role_name']
    type: str
  path:
    description:
      - The path of the role, beginning and ending with C(/).
      - Used when the role is created. IAM cannot change the path of an existing role, so a different path
        for an existing role is left as it is, with a warning (as amazon.aws does).
    aliases: ['prefix', 'path_prefix']
    type: str
  assume_role_policy_document:
    description:
      - The trust policy that says who may assume the role, as a dict or a JSON string.
      - Compared by meaning with the role's current trust policy (statement and key order, single values
        versus one-element lists, a missing C(Version), an account written as id or as root ARN), so no
        update is made when both mean the same.
      - Required to create a role unless O(trusted_services) or O(trusted_accounts) is given. Omitted for an
        existing role (with those two omitted as well), the trust policy is left as it is.
      - Mutually exclusive with O(trusted_services) and O(trusted_accounts).
    type: json
  trusted_services:
    description:
      - Shorthand for the common trust policy, letting these AWS services assume the role with C(sts:AssumeRole),
        for example V(ec2.amazonaws.com).
      - May be combined with O(trusted_accounts); each kind of principal gets its own statement.
      - Mutually exclusive with O(assume_role_policy_document).
    type: list
    elements: str
  trusted_accounts:
    description:
      - Shorthand for a cross-account trust policy, letting these AWS principals assume the role with
        C(sts:AssumeRole). Each is a 12-digit account id (the account's root, which means that the account's
        own IAM policies decide which of its users and roles may assume the role), an account's root ARN, or
        the ARN of an IAM role or user (only that role's sessions or that user).
      - IAM refuses a trust policy naming a role or user that does not exist, so create those first.
      - A malformed id or ARN fails before any call to AWS. Compared by meaning, like every trust policy, so an
        account written as id or as root ARN is the same.
      - May be combined with O(trusted_services). Mutually exclusive with O(assume_role_policy_document).
    type: list
    elements: str
  external_id:
    description:
      - The external id the principals of O(trusted_accounts) must pass to C(sts:AssumeRole), written into
        their statement as the condition C(StringEquals) on C(sts:ExternalId). Services are not affected.
      - 2 to 1224 characters from letters, digits and C(+=,.@:/-). It is no secret (anyone who may read the
        role sees it), it guards against the confused-deputy problem when a third party assumes the role.
      - Requires O(trusted_accounts).
    type: str
  description:
    description:
      - A description of the role. Omitted, the current description is kept.
    type: str
  max_session_duration:
    description:
      - The maximum session duration in seconds, 3600 to 43200. Omitted, the current value is kept.
    type: int
  boundary:
    description:
      - The ARN of a managed policy to use as the role's permissions boundary.
      - Set it to an empty string to remove the boundary. Omitted, the boundary is left as it is.
      - Unlike amazon.aws, a boundary may be set together with O(create_instance_profile=true); the boundary
        applies to the role and the profile only holds the role.
    aliases: ['boundary_policy_arn']
    type: str
  managed_policies:
    description:
      - Managed policies to attach, by ARN or by name (for example V(CloudWatchAgentServerPolicy)).
      - A name resolves without listing all of AWS's managed policies. A name already attached resolves with
        no call; otherwise the AWS-managed ARN and then the account's own ARN are tried, and only then the
        account's own policies under every path are searched. An unknown name fails, listing what was tried.
      - Omitted, attached policies are left as they are. Given, the list is exclusive when
        O(purge_policies=true) (the default); policies not listed are detached. To detach all, give an
        empty list.
    aliases: ['managed_policy']
    type: list
    elements: str
  purge_policies:
    description:
      - Whether managed policies not in O(managed_policies) are detached. Applies only when
        O(managed_policies) is given.
    aliases: ['purge_policy', 'purge_managed_policies']
    default: true
    type: bool
  inline_policies:
    description:
      - Inline policies of the role, as a dict of policy name to policy document (dict or JSON string).
      - Omitted, inline policies are left as they are. Given, the dict is exclusive when
        O(purge_inline_policies=true) (the default); inline policies not named are deleted.
      - amazon.aws manages inline policies with a separate module (amazon.aws.iam_policy).
    type: dict
  purge_inline_policies:
    description:
      - Whether inline policies not named in O(inline_policies) are deleted. Applies only when
        O(inline_policies) is given.
    default: true
    type: bool
  create_instance_profile:
    description:
      - Create an instance profile with the same name and path as the role, holding the role, when no
        profile of that name exists (and add the role to it when it exists empty).
      - Defaults to V(true), as in amazon.aws. Use M(iamkit.ec2.iam_instance_profile) for full control.
    type: bool
  delete_instance_profile:
    description:
      - With O(state=absent), also delete the instance profile named like the role when it holds the role.
        The role is removed from every other profile holding it, which are kept.
      - Defaults to V(false), as in amazon.aws.
    type: bool
  force:
    description:
      - With O(state=absent), a role whose instance profile is associated with EC2 instances in the module's
        region is refused unless O(force=true), which disassociates those profiles from the instances first.
      - Only the module's region is checked; associations in other regions are not seen.
    default: false
    type: bool
  state:
    description:
      - Whether the role should exist.
      - V(absent) detaches managed policies, deletes inline policies, removes the role from its instance
        profiles (deleting them only with O(delete_instance_profile)), then deletes the role.
    choices: ['present', 'absent']
    default: present
    type: str
  wait:
    description:
      - Wait until a new role is readable, and retry the calls IAM rejects right after a create while it
        becomes consistent.
    default: true
    type: bool
  wait_timeout:
    description:
      - How many seconds to wait and retry.
    default: 120
    type: int
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
  - iamkit.ec2.engine
notes:
  - Differences from amazon.aws.iam_role, all deliberate. O(boundary) may be combined with
    O(create_instance_profile) (amazon.aws refuses it). O(inline_policies), O(purge_inline_policies),
    O(trusted_services), O(trusted_accounts), O(external_id) and O(force) are new. Deleting a role whose
    profile is associated with instances is refused without O(force). Policy documents are compared by
    meaning. A policy document IAM would refuse fails before any write. The same-name profile of
    O(create_instance_profile) is given the role when it exists empty (amazon.aws only warns).
  - As in amazon.aws, a different O(path) for an existing role is not an error. IAM cannot move a role, so
    the role keeps its path, and the task warns and reports no change for it.
  - "Permissions needed (the minimal policy, tested under enforced IAM; see docs/permissions.md): iam:GetRole,
    iam:ListAttachedRolePolicies, iam:ListRolePolicies, iam:GetRolePolicy, iam:GetPolicy, iam:ListPolicies,
    iam:CreateRole, iam:UpdateRole, iam:UpdateAssumeRolePolicy, iam:PutRolePermissionsBoundary,
    iam:DeleteRolePermissionsBoundary, iam:TagRole, iam:UntagRole, iam:AttachRolePolicy, iam:DetachRolePolicy,
    iam:PutRolePolicy, iam:DeleteRolePolicy, iam:GetInstanceProfile, iam:CreateInstanceProfile,
    iam:AddRoleToInstanceProfile, iam:ListInstanceProfilesForRole, iam:RemoveRoleFromInstanceProfile,
    iam:DeleteInstanceProfile, iam:DeleteRole, ec2:DescribeIamInstanceProfileAssociations,
    ec2:DisassociateIamInstanceProfile."
author:
  - iamkit.ec2 developers (@iamkit)
"""

EXAMPLES = r"""
- name: A role EC2 instances can use, with the CloudWatch agent's policy, no instance profile
  iamkit.ec2.iam_role:
    name: CloudWatchAgentServerRole
    trusted_services:
      - ec2.amazonaws.com
    managed_policies:
      - CloudWatchAgentServerPolicy
    create_instance_profile: false
    tags:
      team: observability

- name: A role with an explicit trust policy, a description and an inline policy for one bucket
  iamkit.ec2.iam_role:
    name: seed-writer
    description: Writes seed data to one bucket
    assume_role_policy_document:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Principal:
            Service: ec2.amazonaws.com
          Action: sts:AssumeRole
    inline_policies:
      write-seed-bucket:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: s3:PutObject
            Resource: arn:aws:s3:::example-seed-bucket/*
    create_instance_profile: false

- name: A role that EC2 and a monitoring account may assume, the account only with its external id
  iamkit.ec2.iam_role:
    name: seed-reader
    trusted_services:
      - ec2.amazonaws.com
    trusted_accounts:
      - "111122223333"
    external_id: seed-monitoring
    create_instance_profile: false

- name: Keep the attached policies and add one more (purge_policies false)
  iamkit.ec2.iam_role:
    name: seed-writer
    managed_policies:
      - arn:aws:iam::aws:policy/ReadOnlyAccess
    purge_policies: false
    create_instance_profile: false

- name: Remove the role and the instance profile of the same name
  iamkit.ec2.iam_role:
    name: seed-writer
    state: absent
    delete_instance_profile: true
"""

RETURN = r"""
iam_role:
  description: The role after the task (predicted in check mode); empty when the role does not exist.
  returned: always
  type: complex
  contains:
    role_name:
      description: The name of the role.
      type: str
      returned: when the role exists
      sample: CloudWatchAgentServerRole
    path:
      description: The path of the role.
      type: str
      returned: when the role exists
      sample: /
    role_id:
      description: The stable unique id of the role (empty in check mode for a role not created yet).
      type: str
      returned: when the role exists
      sample: AROAEXAMPLEID1234567
    arn:
      description: The ARN of the role.
      type: str
      returned: when the role exists
      sample: arn:aws:iam::123456789012:role/CloudWatchAgentServerRole
    create_date:
      description: When the role was created, ISO 8601.
      type: str
      returned: when the role exists
      sample: "2026-11-23T14:30:00+00:00"
    description:
      description: The description of the role.
      type: str
      returned: when the role exists
      sample: Role for the CloudWatch agent
    max_session_duration:
      description: Maximum session duration in seconds.
      type: int
      returned: when the role exists
      sample: 3600
    assume_role_policy_document:
      description: The trust policy, as a dict with AWS's own key names.
      type: dict
      returned: when the role exists
      sample: {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
               "Principal": {"Service": "ec2.amazonaws.com"}}]}
    assume_role_policy_document_raw:
      description: The same trust policy, kept for compatibility with amazon.aws.
      type: dict
      returned: when the role exists
    attached_policies:
      description: The attached managed policies.
      type: list
      elements: dict
      returned: when the role exists
      contains:
        policy_name:
          description: The policy's name.
          type: str
          sample: CloudWatchAgentServerPolicy
        policy_arn:
          description: The policy's ARN.
          type: str
          sample: arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy
    managed_policies:
      description: The same list as RV(iam_role.attached_policies), under the name amazon.aws.iam_role_info uses.
      type: list
      elements: dict
      returned: when the role exists
    inline_policies:
      description:
        - Names of the role's inline policies.
        - Read only when O(inline_policies) is given, since listing them costs a call a no-op run can save.
      type: list
      elements: str
      returned: when the role exists and O(inline_policies) is given
      sample: ["write-seed-bucket"]
    permissions_boundary:
      description: The permissions boundary.
      type: dict
      returned: when the role has a boundary
      contains:
        permissions_boundary_arn:
          description: The ARN of the boundary policy.
          type: str
        permissions_boundary_type:
          description: Always C(Policy).
          type: str
    role_last_used:
      description: When and where the role was last used (empty when never).
      type: dict
      returned: when the role exists
      sample: {"last_used_date": "2026-11-22T21:54:29+00:00", "region": "us-east-1"}
    tags:
      description: The role's tags.
      type: dict
      returned: when the role exists
      sample: {"team": "observability"}
changes:
  description: What the task changed (or would change in check mode), in the order it was done.
  returned: always
  type: list
  elements: str
  sample:
    - create role CloudWatchAgentServerRole
    - attach arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy to role CloudWatchAgentServerRole
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.iamkit.ec2.plugins.module_utils import engine
from ansible_collections.iamkit.ec2.plugins.module_utils.resources import instance_profile
from ansible_collections.iamkit.ec2.plugins.module_utils.resources import profile_users
from ansible_collections.iamkit.ec2.plugins.module_utils.resources import role
from ansible_collections.iamkit.ec2.plugins.module_utils.resources import role_input
from ansible_collections.iamkit.ec2.plugins.module_utils.resources import role_state

ARGUMENT_SPEC = dict(
    name=dict(type="str", required=True, aliases=["role_name"]),
    path=dict(type="str", aliases=["prefix", "path_prefix"]),
    assume_role_policy_document=dict(type="json"),
    trusted_services=dict(type="list", elements="str"),
    trusted_accounts=dict(type="list", elements="str"),
    external_id=dict(type="str"),
    description=dict(type="str"),
    max_session_duration=dict(type="int"),
    boundary=dict(type="str", aliases=["boundary_policy_arn"]),
    managed_policies=dict(type="list", elements="str", aliases=["managed_policy"]),
    purge_policies=dict(type="bool", default=True, aliases=["purge_policy", "purge_managed_policies"]),
    inline_policies=dict(type="dict"),
    purge_inline_policies=dict(type="bool", default=True),
    tags=dict(type="dict", aliases=["resource_tags"]),
    purge_tags=dict(type="bool", default=True),
    create_instance_profile=dict(type="bool"),
    delete_instance_profile=dict(type="bool"),
    force=dict(type="bool", default=False),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    wait=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=120),
)


def plan(aws, current, desired):
    return role.plan(aws, current, desired, instance_profile.plan_for_role, profile_users.plan_disassociations)


RESOURCE = engine.Resource(
    desired=role_input.role_desired, read=role_state.read, plan=plan, settle=role.settle, result=role.result,
    describe=role.describe_task,
)


def main(clock=None):
    module = AnsibleAWSModule(
        argument_spec=ARGUMENT_SPEC,
        mutually_exclusive=[["assume_role_policy_document", "trusted_services"],
                            ["assume_role_policy_document", "trusted_accounts"]],
        required_by={"external_id": "trusted_accounts"},
        supports_check_mode=True,
    )
    engine.run(module, RESOURCE, clock)


if __name__ == "__main__":
    main()
