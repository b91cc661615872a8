# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CloudWatch agent's configuration (build and check it) and package (which file, from where).

Used on the controller by the cloudwatch_agent role, through the cloudwatch_agent_config module, so a bad
configuration or an unsupported platform fails before any host is touched.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import re

# Dimensions the agent can append from instance metadata (AWS's agent documentation).
APPENDABLE_DIMENSIONS = {
    "ImageId": "${aws:ImageId}",
    "InstanceId": "${aws:InstanceId}",
    "InstanceType": "${aws:InstanceType}",
    "AutoScalingGroupName": "${aws:AutoScalingGroupName}",
}
# What the agent collects when the user does not say: memory and root-disk use, as AWS's basic sample does.
DEFAULT_METRICS = {
    "mem": {"measurement": ["mem_used_percent"]},
    "disk": {"measurement": ["used_percent"], "resources": ["/"]},
}
TOP_LEVEL_SECTIONS = ("agent", "metrics", "logs", "traces", "opentelemetry")
SSM_PREFIX = "AmazonCloudWatch-"
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$")
MODES = ("ec2", "onPremise")

# distribution (Ansible fact) -> the platform folder of AWS's bucket.
PLATFORMS = {
    "Debian": "debian",
    "Ubuntu": "ubuntu",
    "RedHat": "redhat",
    "CentOS": "centos",
    "Rocky": "redhat",
    "AlmaLinux": "redhat",
    "Amazon": "amazon_linux",
    "OracleLinux": "oracle_linux",
    "SLES": "suse",
    "openSUSE Leap": "suse",
}
ARCHITECTURES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}
# AWS publishes no debian/arm64 package and points Debian users on arm64 to the Ubuntu one.
ARM64_PLATFORMS = ("amazon_linux", "redhat", "ubuntu", "suse")


class AgentConfigError(ValueError):
    """A configuration or platform the role cannot use; the message names the variable."""


def build_config(structured):
    """The agent's JSON configuration from the role's structured variables (a dict of them)."""
    config = {"agent": {"metrics_collection_interval": structured["metrics_collection_interval"]}}
    if structured.get("region"):
        config["agent"]["region"] = structured["region"]
    if structured.get("run_as_user"):
        config["agent"]["run_as_user"] = structured["run_as_user"]
    if structured.get("debug"):
        config["agent"]["debug"] = True
    metrics = structured.get("metrics_collected")
    if metrics is None:
        metrics = DEFAULT_METRICS
    if metrics:
        config["metrics"] = {
            "namespace": structured["namespace"],
            "metrics_collected": metrics,
        }
        dimensions = structured.get("append_dimensions") or []
        if dimensions:
            config["metrics"]["append_dimensions"] = dict((d, APPENDABLE_DIMENSIONS.get(d, d)) for d in dimensions)
    files = structured.get("log_files") or []
    if files:
        config["logs"] = {"logs_collected": {"files": {"collect_list": [_log_file(f) for f in files]}}}
    for key in ("endpoint_override", "force_flush_interval"):
        for section in ("metrics", "logs"):
            if structured.get(key) and section in config:
                config[section][key] = structured[key]
    return config


def with_role_arn(config, role_arn):
    """The configuration with agent.credentials.role_arn set: the agent then publishes as that role."""
    if not role_arn:
        return config
    if not ROLE_ARN.match(role_arn):
        raise AgentConfigError(
            "cloudwatch_agent_role_arn=%r is not an IAM role ARN (arn:aws:iam::<account id>:role/<name>)" % role_arn
        )
    agent_section = config.get("agent") or {}
    given = (agent_section.get("credentials") or {}).get("role_arn")
    if given and given != role_arn:
        raise AgentConfigError(
            "cloudwatch_agent_role_arn=%r conflicts with agent.credentials.role_arn=%r of the configuration: "
            "give the role in one place" % (role_arn, given)
        )
    credentials = dict(agent_section.get("credentials") or {}, role_arn=role_arn)
    return dict(config, agent=dict(agent_section, credentials=credentials))


def _log_file(entry):
    # Without log_stream_name the agent names the stream itself: the instance id on EC2, the host's name on
    # premises (translator/translate/logs/ruleLogStreamName.go in aws/amazon-cloudwatch-agent).
    result = {"file_path": entry.get("file_path"), "log_group_name": entry.get("log_group_name")}
    for key in ("log_stream_name", "timezone", "timestamp_format", "multi_line_start_pattern", "retention_in_days"):
        if key in entry:
            result[key] = entry[key]
    return result


def check_config(config, option="cloudwatch_agent_config"):
    """The role's own checks of a configuration; returns the list of problems, each naming where."""
    problems = []
    if not isinstance(config, dict) or not config:
        return ["%s must be a non-empty dict with sections among %s" % (option, ", ".join(TOP_LEVEL_SECTIONS))]
    unknown = sorted(set(config) - set(TOP_LEVEL_SECTIONS))
    if unknown:
        problems.append("%s has unknown sections %s; allowed: %s" % (option, unknown, ", ".join(TOP_LEVEL_SECTIONS)))
    if "metrics" not in config and "logs" not in config and "traces" not in config:
        problems.append("%s collects nothing: give metrics, logs or traces" % option)
    problems.extend(_check_metrics(config.get("metrics"), option))
    problems.extend(_check_logs(config.get("logs"), option))
    return problems


def _check_metrics(metrics, option):
    if metrics is None:
        return []
    problems = []
    if not metrics.get("metrics_collected"):
        problems.append("%s.metrics.metrics_collected is required and must not be empty" % option)
    for name, value in (metrics.get("append_dimensions") or {}).items():
        if name not in APPENDABLE_DIMENSIONS or value != APPENDABLE_DIMENSIONS[name]:
            problems.append(
                "%s.metrics.append_dimensions.%s=%r is not supported; allowed: %s"
                % (option, name, value, ", ".join("%s: %s" % kv for kv in sorted(APPENDABLE_DIMENSIONS.items())))
            )
    return problems


def _check_logs(logs, option):
    if logs is None:
        return []
    files = ((logs.get("logs_collected") or {}).get("files") or {}).get("collect_list")
    if not files and not (logs.get("logs_collected") or {}).get("journald"):
        return ["%s.logs.logs_collected needs files.collect_list entries" % option]
    problems = []
    for index, entry in enumerate(files or []):
        for key in ("file_path", "log_group_name"):
            if not entry.get(key):
                problems.append("%s.logs.logs_collected.files.collect_list[%d].%s is required" % (option, index, key))
    return problems


def schema_problems(config, schema):
    """AWS's schema check (the agent's first validation phase), with the schema's own messages."""
    import jsonschema

    validator = jsonschema.Draft4Validator(schema)
    return ["%s: %s" % ("/".join(str(p) for p in error.absolute_path) or "(top)", error.message)
            for error in sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))]


def config_problems(config, option, schema_path=None):
    """Everything wrong with a configuration: the role's own checks, then (when they pass and a schema file is
    given) AWS's schema. Raises AgentConfigError when the schema cannot be used at all."""
    problems = check_config(config, option)
    if not schema_path or problems:
        return problems
    try:
        with open(schema_path) as handle:
            schema = json.load(handle)
    except (IOError, OSError, ValueError) as error:
        raise AgentConfigError("schema_path=%s cannot be read as JSON: %s" % (schema_path, error)) from None
    try:
        found = schema_problems(config, schema)
    except ImportError:
        raise AgentConfigError("schema_path needs the jsonschema Python package on the controller") from None
    return ["configuration validation against AWS's schema failed: %s" % problem for problem in found]


def wanted_config(config, structured, defaults, role_arn=None):
    """The configuration the role applies: the whole one given, else one built from the structured settings
    (their defaults when none are given), with agent.credentials.role_arn when a role is to be assumed."""
    return with_role_arn(config or build_config(structured or defaults), role_arn)


def ssm_identity(text, version):
    """What tells one value of an SSM parameter from the next: its version and a checksum of its text."""
    return dict(ssm_version=version, ssm_checksum=hashlib.sha1(text.encode("utf-8")).hexdigest())


def check_ssm_parameter(name):
    if name and not name.startswith(SSM_PREFIX):
        raise AgentConfigError(
            "cloudwatch_agent_ssm_parameter=%r: the parameter must be named %s* so that "
            "CloudWatchAgentServerPolicy allows the agent to read it" % (name, SSM_PREFIX)
        )


def render(config):
    """The JSON text written to the host; sorted keys so the same config always gives the same file."""
    return json.dumps(config, indent=2, sort_keys=True) + "\n"


def parse_ssm_config(name, text):
    """The configuration kept in an SSM parameter, or AgentConfigError naming the parameter."""
    try:
        return json.loads(text)
    except ValueError as error:
        raise AgentConfigError("SSM parameter %s does not hold a JSON configuration: %s" % (name, error)) from None


# Codes AWS answers a read it refuses with; the message test covers services whose code varies
# ("User: ... is not authorized to perform: ssm:GetParameter ..." is AWS's own wording).
ACCESS_DENIED_CODES = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnrecognizedClientException",
                       "InvalidClientTokenId")


def is_access_denied(error):
    """Whether a botocore ClientError says the caller may not do this (rather than that the request is wrong)."""
    details = getattr(error, "response", {}).get("Error", {})
    return details.get("Code") in ACCESS_DENIED_CODES or "is not authorized to perform" in str(details.get("Message"))


def ssm_file_name(name):
    """The file fetch-config writes for ssm:<name> (EscapeFilePath of tool/downloader/downloader.go)."""
    for character in "/ :":
        name = name.replace(character, "_")
    return "ssm_" + name


# ------------------------------------------------------------------------------------------------ package

def select_package(distribution, os_family, machine):
    """(platform, arch, package type) of AWS's package for a host, or AgentConfigError naming the host's facts."""
    arch = ARCHITECTURES.get(machine)
    if arch is None:
        raise AgentConfigError(
            "architecture %r has no CloudWatch agent package; supported: %s"
            % (machine, ", ".join(sorted(ARCHITECTURES)))
        )
    platform = PLATFORMS.get(distribution)
    if platform is None:
        platform = {"Debian": "debian", "RedHat": "redhat", "Suse": "suse"}.get(os_family)
    if platform is None:
        raise AgentConfigError(
            "distribution %r (family %r) has no CloudWatch agent package; supported: %s"
            % (distribution, os_family, ", ".join(sorted(PLATFORMS)))
        )
    if arch == "arm64" and platform not in ARM64_PLATFORMS:
        platform = "ubuntu" if platform == "debian" else "redhat"
    package_type = "deb" if platform in ("debian", "ubuntu") else "rpm"
    return platform, arch, package_type


def key_url(base_url=None):
    """AWS's public signing key: published in the global bucket only (regional buckets carry packages, not
    the key), or in a mirror's assets/ folder."""
    return (base_url or bucket_url()).rstrip("/") + "/assets/amazon-cloudwatch-agent.gpg"


def package_url(base_url, platform, arch, version, package_type):
    return "%s/%s/%s/%s/amazon-cloudwatch-agent.%s" % (base_url.rstrip("/"), platform, arch, version, package_type)


def bucket_url(region=None):
    """AWS's download bucket: the global one, or the regional one when a region is given."""
    if region:
        return "https://amazoncloudwatch-agent-%s.s3.%s.amazonaws.com" % (region, region)
    return "https://amazoncloudwatch-agent.s3.amazonaws.com"
