# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""iam_role, with the module_defaults of group/aws and group/amazon.aws.aws
(see plugin_utils/aws_group_defaults.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.iamkit.ec2.plugins.plugin_utils.aws_group_defaults import AwsGroupDefaultsAction


class ActionModule(AwsGroupDefaultsAction):
    pass
