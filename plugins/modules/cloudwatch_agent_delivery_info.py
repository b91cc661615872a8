#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cloudwatch_agent_delivery_info
short_description: Whether a CloudWatch agent's metrics or log events arrived in CloudWatch
version_added: 0.1.0
description:
  - Looks in CloudWatch for what an agent sent since a moment (typically the agent's start): metrics of a
    namespace carrying given dimensions that have data points since then, and/or events of a log stream since
    then. Waits up to O(timeout) seconds for them to appear.
  - The agent's C(-a status) only says that its service runs and that a configuration was translated; this
    says whether data really arrived, which also proves its credentials, region, network and permissions.
  - Changes nothing. Refused reads (no credentials, access denied) are reported in RV(access_denied), not as a
    failure, so a caller can treat "cannot look" apart from "nothing arrived".
options:
  namespace:
    description: Namespace of the metrics to look for. With neither this nor O(log_group_name) nothing is checked.
    type: str
  dimensions:
    description:
      - Dimensions the metrics must carry, name to value, for example C(InstanceId) and the instance's id, or
        C(host) and the host's name (what the agent adds without append_dimensions).
    type: dict
    default: {}
  log_group_name:
    description: Log group to look in; needs O(log_stream_name).
    type: str
  log_stream_name:
    description: Log stream to look in.
    type: str
  since:
    description:
      - Only data at or after this moment counts, in ISO 8601 (C(2024-05-01T10:00:00+0000), as C(-a status)
        prints C(starttime)) or epoch seconds. Empty counts any data CloudWatch still lists.
    type: str
    default: ""
  timeout:
    description: Seconds to wait for the data to appear; V(0) looks once.
    type: int
    default: 0
  delay:
    description: Seconds between looks while waiting.
    type: int
    default: 5
notes:
  - "Permissions needed: cloudwatch:ListMetrics and cloudwatch:GetMetricStatistics for metrics,
    logs:GetLogEvents for log events."
  - Metrics published through C(agent.credentials.role_arn) land in that role's account; read them with
    credentials of that account.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
author:
  - iamkit.ec2 developers (@iamkit)
"""

EXAMPLES = r"""
- name: Did this instance's agent send metrics since it started? Wait up to 3 minutes
  iamkit.ec2.cloudwatch_agent_delivery_info:
    namespace: CWAgent
    dimensions:
      InstanceId: i-0123456789abcdef0
    since: "2024-05-01T10:00:00+0000"
    timeout: 180
  register: delivery

- name: Did the application log reach its stream?
  iamkit.ec2.cloudwatch_agent_delivery_info:
    log_group_name: app
    log_stream_name: i-0123456789abcdef0
  register: log_delivery
"""

RETURN = r"""
delivered:
  description: Whether the metrics (or, without O(namespace), the log events) were found.
  returned: always
  type: bool
metrics:
  description: Names of the metrics found with data since O(since).
  returned: always
  type: list
  elements: str
  sample: [disk_used_percent, mem_used_percent]
log_events:
  description: How many log events (up to 10) were found since O(since).
  returned: always
  type: int
access_denied:
  description: The reads were refused or no credentials were found; RV(message) says which.
  returned: always
  type: bool
message:
  description: What was found, or why nothing could be looked at.
  returned: always
  type: str
waited:
  description: Seconds spent waiting.
  returned: always
  type: float
"""

import datetime

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.iamkit.ec2.plugins.module_utils import cloudwatch_delivery as delivery
from ansible_collections.iamkit.ec2.plugins.module_utils.aws import module_client_factory
from ansible_collections.iamkit.ec2.plugins.module_utils.cloudwatch_agent import is_access_denied


def look(module, since):
    """(metric names, log event count) found now."""
    params = module.params
    metrics, events = [], 0
    now = datetime.datetime.now(datetime.timezone.utc)
    if params["namespace"]:
        metrics = delivery.metrics_since(module_client_factory(module)("cloudwatch"), params["namespace"],
                                         params["dimensions"], since, now)
    if params["log_group_name"]:
        events = delivery.log_events_since(module_client_factory(module)("logs"), params["log_group_name"],
                                           params["log_stream_name"], since)
    return metrics, events


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            namespace=dict(type="str"),
            dimensions=dict(type="dict", default={}),
            log_group_name=dict(type="str"),
            log_stream_name=dict(type="str"),
            since=dict(type="str", default=""),
            timeout=dict(type="int", default=0),
            delay=dict(type="int", default=5),
        ),
        required_together=[["log_group_name", "log_stream_name"]],
        required_one_of=[["namespace", "log_group_name"]],
        supports_check_mode=True,
    )
    params = module.params
    try:
        since = delivery.parse_moment(params["since"])
    except ValueError as error:
        module.fail_json(msg=str(error))
    dimensions = params["dimensions"] = dict((str(k), str(v)) for k, v in params["dimensions"].items())
    found = {}

    def arrived():
        found["metrics"], found["events"] = look(module, since)
        return found["metrics"] if params["namespace"] else found["events"]

    try:
        _result, waited = delivery.wait_for(arrived, max(params["timeout"], 0), max(params["delay"], 1))
    except (botocore.exceptions.NoCredentialsError, botocore.exceptions.ClientError) as error:
        if isinstance(error, botocore.exceptions.ClientError) and not is_access_denied(error):
            module.fail_json_aws(error, msg="Failed to read CloudWatch")
        module.exit_json(changed=False, delivered=False, metrics=[], log_events=0, access_denied=True, waited=0.0,
                         message="cannot read CloudWatch from here: %s" % error)
    except botocore.exceptions.BotoCoreError as error:
        module.fail_json_aws(error, msg="Failed to read CloudWatch")
    delivered = bool(found["metrics"]) if params["namespace"] else found["events"] > 0
    what = ("metrics %s of %s with %s" % (found["metrics"], params["namespace"], dimensions) if params["namespace"]
            else "%d events in %s/%s" % (found["events"], params["log_group_name"], params["log_stream_name"]))
    module.exit_json(changed=False, delivered=delivered, metrics=found["metrics"], log_events=found["events"],
                     access_denied=False, waited=round(waited, 1),
                     message=("found " if delivered else "nothing yet: no ") + what
                     + (" since %s" % params["since"] if params["since"] else ""))


if __name__ == "__main__":
    main()
