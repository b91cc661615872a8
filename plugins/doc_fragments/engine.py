# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    """How every state-changing module of the collection runs a task (module_utils/engine.py)."""

    DOCUMENTATION = r"""
options: {}
notes:
  - The module reads the current state once, plans every write, and applies the plan in order. Check mode
    reports the plan without making any write call; diff mode shows the state before and the state the plan
    leads to, so C(changed) and the diff always agree. A second run with the same options plans nothing and
    reports C(changed=false).
  - When a write fails, the task fails saying after how many of the planned changes, lists the changes made
    (C(changes)) and those not made (C(pending_changes)), returns the state reached as AWS shows it, and is
    C(changed) when any write was made. Running the task again plans from that state and completes the rest.
  - "Throttling and transient errors are retried by botocore (standard retry mode); set O(aws_config) to
    change that, for example C({retries: {mode: adaptive, max_attempts: 20}}). Errors meaning that AWS has not
    yet caught up with something made moments ago are retried for O(wait_timeout) (or the module's
    propagation timeout) seconds."
"""
