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
  - With O(ssm_parameter), reads that parameter (C(ssm:GetParameter)) with the play's AWS settings and checks
    its content the same way, and returns its version and checksum, so a role can apply it again when it
    changes under the same name.
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
      endpoint_override:
        description:
          - URL the agent sends metrics and logs to instead of the region's public endpoints (for example an
            interface VPC endpoint without private DNS), as C(endpoint_override) of C(metrics) and C(logs).
        type: str
      force_flush_interval:
        description:
          - Longest wait, in seconds, before the agent sends what it collected (C(force_flush_interval) of
            C(metrics) and C(logs)); the agent's own when not given (60 s for metrics, 5 s for logs).
        type: int
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
      - It is read in the region of the play's AWS settings. When the controller may not read it (no
        credentials, access denied), the module warns and returns no version or checksum.
    type: str
  role_arn:
    description:
      - ARN of an IAM role the agent assumes (with its own credentials) to publish, written to
        C(agent.credentials.role_arn) of the configuration, built or given; metrics and logs then land in
        that role's account.
      - Not with O(ssm_parameter); put C(agent.credentials.role_arn) into the parameter instead.
    type: str
  schema_path:
    description:
      - Path on the controller to AWS's schema.json of the agent configuration; when given the configuration
        is also validated against it.
    type: path
notes:
  - Needs the jsonschema Python package on the controller when O(schema_path) is given.
  - Makes no AWS call unless O(ssm_parameter) is given.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
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
  description: The checked configuration (with O(ssm_parameter), the parameter's, or empty when unreadable).
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
ssm_version:
  description: Version of the SSM parameter, null without O(ssm_parameter) or when it could not be read.
  returned: always
  type: int
  sample: 3
ssm_checksum:
  description:
    - SHA-1 of the parameter's value, as fetch-config writes it to the host
      (C(etc/amazon-cloudwatch-agent.d/ssm_<name>)); null when it could not be read.
  returned: always
  type: str
ssm_file:
  description: Name of the file fetch-config writes for the parameter, empty without O(ssm_parameter).
  returned: always
  type: str
  sample: ssm_AmazonCloudWatch-web
"""

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.iamkit.ec2.plugins.module_utils import cloudwatch_agent as agent
from ansible_collections.iamkit.ec2.plugins.module_utils.aws import module_client_factory

STRUCTURED = dict(
    metrics_collection_interval=dict(type="int", default=60),
    namespace=dict(type="str", default="CWAgent"),
    append_dimensions=dict(type="list", elements="str", default=["InstanceId"],
                           choices=sorted(agent.APPENDABLE_DIMENSIONS)),
    metrics_collected=dict(type="dict"),
    log_files=dict(type="list", elements="dict", default=[]),
    region=dict(type="str"),
    endpoint_override=dict(type="str"),
    force_flush_interval=dict(type="int"),
    run_as_user=dict(type="str"),
    debug=dict(type="bool", default=False),
)


def read_parameter(module, name):
    """The parameter's {"Value", "Version"}, or None (with a warning) when this controller may not read it."""
    unreadable = None
    try:
        return module_client_factory(module)("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]
    except is_boto3_error_code("ParameterNotFound"):
        module.fail_json(msg="ssm_parameter=%s does not exist in %s: create it before the agent is pointed at it"
                             % (name, module.region))
    except botocore.exceptions.ClientError as error:  # pylint: disable=duplicate-except
        if not agent.is_access_denied(error):
            module.fail_json_aws(error, msg="Failed to read SSM parameter %s" % name)
        unreadable = error
    except botocore.exceptions.NoCredentialsError as error:
        unreadable = error
    except botocore.exceptions.BotoCoreError as error:
        module.fail_json_aws(error, msg="Failed to read SSM parameter %s" % name)
    module.warn("cannot read SSM parameter %s from the controller (%s): its content is not checked here, and a "
                "change of its value is applied only with a change of its name" % (name, unreadable))
    return None


def fail_on_problems(module, config, option):
    """Fail naming every problem of the configuration (the role's checks, then AWS's schema when given)."""
    try:
        problems = agent.config_problems(config, option, module.params["schema_path"])
    except agent.AgentConfigError as error:
        module.fail_json(msg=str(error))
    if problems:
        module.fail_json(msg="; ".join(problems), problems=problems)


def ssm_result(module):
    name = module.params["ssm_parameter"]
    if module.params["role_arn"]:
        module.fail_json(msg="role_arn (cloudwatch_agent_role_arn) cannot be added to a configuration kept in SSM "
                             "(ssm_parameter=%s): put agent.credentials.role_arn into the parameter" % name)
    try:
        agent.check_ssm_parameter(name)
    except agent.AgentConfigError as error:
        module.fail_json(msg=str(error))
    result = dict(changed=False, config={}, content="", schema_checked=False, ssm_version=None, ssm_checksum=None,
                  ssm_file=agent.ssm_file_name(name))
    parameter = read_parameter(module, name)
    if parameter is None:
        return result
    try:
        config = agent.parse_ssm_config(name, parameter["Value"])
    except agent.AgentConfigError as error:
        module.fail_json(msg=str(error))
    fail_on_problems(module, config, "SSM parameter %s" % name)
    return dict(result, config=config, schema_checked=bool(module.params["schema_path"]),
                **agent.ssm_identity(parameter["Value"], parameter.get("Version")))


def main():
    module = AnsibleAWSModule(
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
    if params["ssm_parameter"]:
        module.exit_json(**ssm_result(module))

    option = "cloudwatch_agent_config" if params["config"] else "cloudwatch_agent structured settings"
    defaults = dict((key, spec.get("default")) for key, spec in STRUCTURED.items())
    try:
        config = agent.wanted_config(params["config"], params["structured"], defaults, params["role_arn"])
    except agent.AgentConfigError as error:
        module.fail_json(msg=str(error))
    fail_on_problems(module, config, option)
    module.exit_json(changed=False, config=config, content=agent.render(config),
                     schema_checked=bool(params["schema_path"]), ssm_version=None, ssm_checksum=None, ssm_file="")


if __name__ == "__main__":
    main()
