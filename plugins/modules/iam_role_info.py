#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: iam_role_info
short_description: Describe IAM roles completely, by name, by path prefix, or all
version_added: 0.1.0
description:
  - Returns IAM roles with everything about them whichever way they were found, tags, permissions boundary,
    attached and inline policy names, instance profiles and last use included.
  - Accepts every option of M(amazon.aws.iam_role_info) with the same meaning.
options:
  name:
    description:
      - The name of one role. An unknown name returns an empty list.
      - Mutually exclusive with O(path_prefix).
    aliases: ['role_name']
    type: str
  path_prefix:
    description:
      - Return the roles whose path begins with this prefix, for example V(/service/).
      - Mutually exclusive with O(name). With neither, all roles of the account are returned.
    aliases: ['path', 'prefix']
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Each role costs four calls (GetRole, ListAttachedRolePolicies, ListRolePolicies,
    ListInstanceProfilesForRole); amazon.aws.iam_role_info makes the same reads.
  - "Permissions needed (the minimal policy, tested under enforced IAM; see docs/permissions.md): iam:GetRole,
    iam:ListRoles, iam:ListAttachedRolePolicies, iam:ListRolePolicies, iam:ListInstanceProfilesForRole."
author:
  - iamkit.ec2 developers (@iamkit)
"""

EXAMPLES = r"""
- name: Describe one role
  iamkit.ec2.iam_role_info:
    name: CloudWatchAgentServerRole
  register: agent_role

- name: Describe the roles under a path
  iamkit.ec2.iam_role_info:
    path_prefix: /service/
  register: service_roles
"""

RETURN = r"""
iam_roles:
  description: The roles found, each described completely; empty when none matched.
  returned: always
  type: list
  elements: dict
  contains:
    role_name:
      description: The name of the role.
      type: str
      sample: CloudWatchAgentServerRole
    path:
      description: The path of the role.
      type: str
      sample: /
    role_id:
      description: The stable unique id of the role.
      type: str
      sample: AROAEXAMPLEID1234567
    arn:
      description: The ARN of the role.
      type: str
      sample: arn:aws:iam::123456789012:role/CloudWatchAgentServerRole
    create_date:
      description: When the role was created, ISO 8601.
      type: str
    description:
      description: The description of the role.
      type: str
    max_session_duration:
      description: Maximum session duration in seconds.
      type: int
    assume_role_policy_document:
      description: The trust policy, as a dict with AWS's own key names.
      type: dict
    assume_role_policy_document_raw:
      description: The same trust policy, kept for compatibility with amazon.aws.
      type: dict
    trusted_principals:
      description:
        - Who may assume the role, read from the Allow statements of its trust policy that grant
          C(sts:AssumeRole). Deny statements are not subtracted; the whole policy is in
          RV(iam_roles[].assume_role_policy_document).
        - New in iamkit.ec2; amazon.aws.iam_role_info has no such key.
      type: dict
      contains:
        services:
          description: AWS services, such as C(ec2.amazonaws.com).
          type: list
          elements: str
        accounts:
          description: Account ids trusted as a whole (written as id or as the account's root ARN).
          type: list
          elements: str
        arns:
          description: IAM roles, users and other AWS principals by ARN; C(*) when anyone may.
          type: list
          elements: str
        federated:
          description: Identity providers (web identity or SAML).
          type: list
          elements: str
        external_ids:
          description: External ids the statements require through C(sts:ExternalId).
          type: list
          elements: str
      sample: {"services": ["ec2.amazonaws.com"], "accounts": ["111122223333"], "arns": [], "federated": [],
               "external_ids": ["seed-monitoring"]}
    attached_policies:
      description: The attached managed policies (name and ARN).
      type: list
      elements: dict
    managed_policies:
      description: The attached managed policies, under amazon.aws.iam_role_info's name.
      type: list
      elements: dict
      contains:
        policy_name:
          description: The policy's name.
          type: str
        policy_arn:
          description: The policy's ARN.
          type: str
    inline_policies:
      description: Names of the inline policies.
      type: list
      elements: str
    instance_profiles:
      description: The instance profiles holding the role.
      type: list
      elements: dict
      contains:
        instance_profile_name:
          description: The profile's name.
          type: str
        instance_profile_id:
          description: The profile's id.
          type: str
        arn:
          description: The profile's ARN.
          type: str
        path:
          description: The profile's path.
          type: str
        create_date:
          description: When the profile was created.
          type: str
        roles:
          description: The roles in the profile (name and ARN).
          type: list
          elements: dict
    permissions_boundary:
      description: The permissions boundary, when the role has one.
      type: dict
    role_last_used:
      description: When and where the role was last used (empty when never).
      type: dict
    tags:
      description: The role's tags.
      type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.iamkit.ec2.plugins.module_utils import engine
from ansible_collections.iamkit.ec2.plugins.module_utils.resources import role_info

ARGUMENT_SPEC = dict(
    name=dict(type="str", aliases=["role_name"]),
    path_prefix=dict(type="str", aliases=["path", "prefix"]),
)

RESOURCE = engine.Resource(
    desired=role_info.desired, read=role_info.read, plan=engine.nothing_to_change, result=role_info.result,
    describe=role_info.describe_task,
)


def main(clock=None):
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, mutually_exclusive=[["name", "path_prefix"]],
                              supports_check_mode=True)
    engine.run(module, RESOURCE, clock)


if __name__ == "__main__":
    main()
