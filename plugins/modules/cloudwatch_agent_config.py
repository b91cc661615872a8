#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cloudwatch_agent_config
short_description: Build and check an Amazon CloudWatch agent configuration on the controller
version_added: 0.1.0
description:
  - Builds the agent's JSON configuration from structured settings, or takes a whole configuration, and checks
    it before any host is touched, with the checks of the iamkit.ec2.cloudwatch_agent role and, when
    O(schema_path) is given, AWS's own JSON schema (the agent's first validation phase).
  - Changes nothing anywhere; run it on the controller (with C(delegate_to) V(localhost)).
options:
  config:
    description:
      - A whole agent configuration. When given, O(structured) is ignored.
    type: dict
  structured:
    description:
      - Settings the configuration is built from.
    type: dict
    suboptions:
      metrics_collection_interval:
        description: Seconds between metric collections.
        type: int
        default: 60
      namespace:
        description: CloudWatch namespace of the metrics.
        type: str
        default: CWAgent
      append_dimensions:
        description: Instance dimensions added to every metric.
        type: list
        elements: str
        choices: [ImageId, InstanceId, InstanceType, AutoScalingGroupName]
        default: [InstanceId]
      metrics_collected:
        description:
          - The agent's C(metrics_collected) section; V({}) collects no metrics.
          - When not given, memory use (C(mem_used_percent) of C(mem)) and the root file system's use
            (C(used_percent) of C(disk) for C(/)) are collected.
        type: dict
      log_files:
        description: Log files to send, each with C(file_path), C(log_group_name) and optionally C(log_stream_name).
        type: list
        elements: dict
        default: []
      region:
        description: Region the agent sends to (C(agent.region)).
        type: str
      run_as_user:
        description: User the agent runs as.
        type: str
      debug:
        description: Debug logging of the agent.
        type: bool
        default: false
  ssm_parameter:
    description:
      - Name of an SSM parameter holding the configuration instead; it must start with C(AmazonCloudWatch-).
    type: str
  role_arn:
    description:
      - ARN of an IAM role the agent assumes (with its own credentials) to publish, written to
        C(agent.credentials.role_arn) of the configuration, built or given; metrics and logs then land in
        that role's account.
      - Not with O(ssm_parameter): put C(agent.credentials.role_arn) into the parameter instead.
    type: str
  schema_path:
    description:
      - Path on the controller to AWS's schema.json of the agent configuration; when given the configuration
        is also validated against it.
    type: path
notes:
  - Needs the jsonschema Python package on the controller when O(schema_path) is given.
author:
  - iamkit.ec2 developers (@iamkit)
"""

EXAMPLES = r"""
- name: Build the configuration for memory and disk use, and one log file
  iamkit.ec2.cloudwatch_agent_config:
    structured:
      metrics_collected:
        mem:
          measurement: [mem_used_percent]
        disk:
          measurement: [used_percent]
          resources: ["/"]
      log_files:
        - file_path: /var/log/syslog
          log_group_name: syslog
  delegate_to: localhost
  register: agent_config

- name: Publish as a role of another account (the agent assumes it with the instance's credentials)
  iamkit.ec2.cloudwatch_agent_config:
    structured: {}
    role_arn: arn:aws:iam::210987654321:role/CentralMonitoringPublisher
  delegate_to: localhost
  register: agent_config
"""

RETURN = r"""
config:
  description: The checked configuration (empty when O(ssm_parameter) is used).
  returned: always
  type: dict
  sample: {"agent": {"metrics_collection_interval": 60}, "metrics": {"namespace": "CWAgent"}}
content:
  description: The configuration as the JSON text to write on the hosts (sorted keys, so it is stable).
  returned: always
  type: str
schema_checked:
  description: Whether AWS's schema was applied.
  returned: always
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.iamkit.ec2.plugins.module_utils import cloudwatch_agent as agent

STRUCTURED = dict(
    metrics_collection_interval=dict(type="int", default=60),
    namespace=dict(type="str", default="CWAgent"),
    append_dimensions=dict(type="list", elements="str", default=["InstanceId"],
                           choices=sorted(agent.APPENDABLE_DIMENSIONS)),
    metrics_collected=dict(type="dict"),
    log_files=dict(type="list", elements="dict", default=[]),
    region=dict(type="str"),
    run_as_user=dict(type="str"),
    debug=dict(type="bool", default=False),
)


def load_schema(module, path):
    import json

    try:
        with open(path) as handle:
            return json.load(handle)
    except (IOError, OSError, ValueError) as error:
        module.fail_json(msg="schema_path=%s cannot be read as JSON: %s" % (path, error))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            config=dict(type="dict"),
            structured=dict(type="dict", options=STRUCTURED),
            ssm_parameter=dict(type="str"),
            schema_path=dict(type="path"),
            role_arn=dict(type="str"),
        ),
        mutually_exclusive=[["config", "ssm_parameter"]],
        supports_check_mode=True,
    )
    params = module.params
    if params["ssm_parameter"] and params["role_arn"]:
        module.fail_json(msg="role_arn (cloudwatch_agent_role_arn) cannot be added to a configuration kept in SSM "
                             "(ssm_parameter=%s): put agent.credentials.role_arn into the parameter" % params["ssm_parameter"])
    if params["ssm_parameter"]:
        try:
            agent.check_ssm_parameter(params["ssm_parameter"])
        except agent.AgentConfigError as error:
            module.fail_json(msg=str(error))
        module.exit_json(changed=False, config={}, content="", schema_checked=False)

    option = "cloudwatch_agent_config" if params["config"] else "cloudwatch_agent structured settings"
    defaults = dict((key, spec.get("default")) for key, spec in STRUCTURED.items())
    config = params["config"] or agent.build_config(params["structured"] or defaults)
    try:
        config = agent.with_role_arn(config, params["role_arn"])
    except agent.AgentConfigError as error:
        module.fail_json(msg=str(error))
    problems = agent.check_config(config, option)
    schema_checked = bool(params["schema_path"])
    if schema_checked and not problems:
        try:
            problems = agent.schema_problems(config, load_schema(module, params["schema_path"]))
        except ImportError:
            module.fail_json(msg="schema_path needs the jsonschema Python package on the controller")
        problems = ["configuration validation against AWS's schema failed: %s" % p for p in problems]
    if problems:
        module.fail_json(msg="; ".join(problems), problems=problems)
    module.exit_json(changed=False, config=config, content=agent.render(config), schema_checked=schema_checked)


if __name__ == "__main__":
    main()
