#!/usr/bin/env python
"""Test double of the Amazon CloudWatch agent: `amazon-cloudwatch-agent-ctl` and the daemon, in one file.

Installed twice by the package, as bin/amazon-cloudwatch-agent-ctl and bin/amazon-cloudwatch-agent; the
name it is called by picks the role. It behaves as the real agent does, rule by rule, each rule taken from
the real agent's source (github.com/aws/amazon-cloudwatch-agent; the file is named beside each rule) or
from ../shared/cloudwatch-agent/FACTS.md, and it really talks to AWS: metrics by PutMetricData and log lines
by CloudWatch Logs, with credentials and region found the way the real agent finds them. It exists because
AWS's package is unreachable from the test machines; nothing in it may decide on its own that a call would be
refused, and it never uses the collection's own code to judge a configuration.

Addresses it honours besides the config: AWS_EC2_METADATA_SERVICE_ENDPOINT (instance metadata, default
http://169.254.169.254), AWS_ENDPOINT_URL_<SERVICE> / AWS_ENDPOINT_URL (AWS endpoints, as the AWS SDKs do),
CWAGENT_SCHEMA (schema.json path) and CWAGENT_ROOT (install folder, for tests on a development machine).
"""

import argparse
import configparser
import datetime
import glob
import ipaddress
import json
import os
import pwd
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.environ.get("CWAGENT_ROOT", "/opt/aws/amazon-cloudwatch-agent")
SERVICE = "amazon-cloudwatch-agent.service"
SCHEMA_PATHS = [os.environ.get("CWAGENT_SCHEMA", ""), "/usr/share/iamkit-test-agent/schema.json",
                os.path.join(ROOT, "etc", "schema.json")]
TOP_LEVEL = ("agent", "metrics", "logs", "traces", "opentelemetry")
DIMENSION_SOURCES = {"InstanceId": "instanceId", "ImageId": "imageId", "InstanceType": "instanceType"}
DEFAULT_CONFIG = {
    "metrics": {
        "append_dimensions": {"InstanceId": "${aws:InstanceId}"},
        "metrics_collected": {"mem": {"measurement": ["mem_used_percent"]},
                              "disk": {"measurement": ["used_percent"], "resources": ["/"]}},
    }
}
# translator/util/sdkutil.go: the profile onPremise hosts read when common-config.toml names none.
DEFAULT_PROFILE = "AmazonCloudWatchAgent"
# tool/downloader/downloader.go: why fetch-config stops before it reads any JSON, per mode.
NO_REGION_ON_PREMISE = "please make sure the credentials and region set correctly on your hosts"
NO_REGION_EC2 = ("please check if you can access the metadata service. For example, on linux, run "
                 "'wget -q -O - http://169.254.169.254/latest/meta-data/instance-id && echo'")
# translator/translate/metrics/config/registered_metrics.go (Registered_Metrics_Linux): the only measurement
# names the translator accepts per plugin, written without the plugin's prefix.
REGISTERED_METRICS = {
    "cpu": "time_active time_guest time_guest_nice time_idle time_iowait time_irq time_nice time_softirq "
           "time_steal time_system time_user usage_active usage_guest usage_guest_nice usage_idle usage_iowait "
           "usage_irq usage_nice usage_softirq usage_steal usage_system usage_user",
    "disk": "free inodes_free inodes_total inodes_used total used used_percent",
    "diskio": "iops_in_progress io_time reads read_bytes read_time writes write_bytes write_time "
              "ebs_total_read_ops ebs_total_write_ops ebs_total_read_bytes ebs_total_write_bytes "
              "ebs_total_read_time ebs_total_write_time ebs_volume_performance_exceeded_iops "
              "ebs_volume_performance_exceeded_tp ebs_ec2_instance_performance_exceeded_iops "
              "ebs_ec2_instance_performance_exceeded_tp ebs_volume_queue_length instance_store_total_read_ops "
              "instance_store_total_write_ops instance_store_total_read_bytes instance_store_total_write_bytes "
              "instance_store_total_read_time instance_store_total_write_time "
              "instance_store_performance_exceeded_iops instance_store_performance_exceeded_tp "
              "instance_store_volume_queue_length",
    "swap": "free used used_percent",
    "mem": "active available available_percent buffered cached free inactive shared total used used_percent",
    "net": "bytes_sent bytes_recv drop_in drop_out err_in err_out packets_sent packets_recv",
    "netstat": "tcp_close tcp_close_wait tcp_closing tcp_established tcp_fin_wait1 tcp_fin_wait2 tcp_last_ack "
               "tcp_listen tcp_none tcp_syn_sent tcp_syn_recv tcp_time_wait udp_socket",
    "processes": "blocked dead idle paging running sleeping stopped total total_threads wait zombies",
}
# translator/translate/util/placeholderUtil.go: what a placeholder becomes where metadata has no value.
UNKNOWN_INSTANCE_ID = "i-UNKNOWN"


def path(*parts):
    return os.path.join(ROOT, *parts)


def version():
    try:
        with open(path("bin", "CWAGENT_VERSION")) as handle:
            return handle.read().strip()
    except OSError:
        return "unknown"


def log(message, file_name="amazon-cloudwatch-agent.log"):
    """Append a line to one of the agent's logs, in the agent's own `<time> <level>! text` style."""
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    os.makedirs(path("logs"), exist_ok=True)
    with open(path("logs", file_name), "a") as handle:
        handle.write("%s %s\n" % (stamp, message))


class ConfigError(Exception):
    pass


class DownloadError(Exception):
    """config-downloader's refusal: printed as is, before any JSON is read (tool/downloader/downloader.go)."""


class ServiceError(Exception):
    pass


class NoCredentials(Exception):
    pass


# ------------------------------------------------------------------------------------------- common config

def common_config():
    import tomllib

    try:
        with open(path("etc", "common-config.toml"), "rb") as handle:
            return tomllib.load(handle)
    except (OSError, ValueError):
        return {}


def credentials_map(mode, common):
    """translator/util/sdkutil.go GetCredentials: common-config's [credentials], with the default profile
    added in onPremise mode."""
    found = dict((key, value) for key, value in (common.get("credentials") or {}).items()
                 if key in ("shared_credential_profile", "shared_credential_file"))
    if "shared_credential_profile" not in found and mode == "onPremise":
        found["shared_credential_profile"] = DEFAULT_PROFILE
    return found


def apply_proxy_env(common):
    """translator/util/proxyutil.go SetProxyEnv: common-config's [proxy] (else the environment's) becomes
    HTTP_PROXY, HTTPS_PROXY and NO_PROXY for every HTTP call of the process, instance metadata included."""
    proxy = common.get("proxy") or {}
    for key, names in (("http_proxy", ("HTTP_PROXY", "http_proxy")), ("https_proxy", ("HTTPS_PROXY", "https_proxy")),
                       ("no_proxy", ("No_PROXY", "no_proxy"))):
        value = proxy.get(key) or next((os.environ[name] for name in names if os.environ.get(name)), "")
        if value:
            os.environ[key.upper()] = value


def proxy_for(url):
    """The proxy a Go program sends `url` through (golang.org/x/net/http/httpproxy, useProxy): never for
    localhost or loopback addresses, never for a host NO_PROXY lists, else HTTP(S)_PROXY by scheme."""
    parts = urllib.parse.urlsplit(url)
    proxy = os.environ.get("HTTPS_PROXY" if parts.scheme == "https" else "HTTP_PROXY", "")
    host = (parts.hostname or "").lower()
    if not proxy or host == "localhost":
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None and address.is_loopback:
        return None
    for entry in [item.strip().lower() for item in os.environ.get("NO_PROXY", "").split(",") if item.strip()]:
        if entry == "*" or entry.strip("[]") == host:
            return None
        if address is not None and "/" in entry:
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return None
            except ValueError:
                pass
        if address is None and host.endswith("." + entry.lstrip(".")):
            return None
    return proxy


# ------------------------------------------------------------------------------------------- metadata

class Metadata:
    """IMDSv2 client: a token first, then GETs with it, as the real agent's SDK does, through the proxy
    settings in force (translator/util/proxyutil.go)."""

    def __init__(self, endpoint=None):
        self.endpoint = (endpoint or os.environ.get("AWS_EC2_METADATA_SERVICE_ENDPOINT")
                         or "http://169.254.169.254").rstrip("/")

    def open(self, request):
        # aws-sdk-go aws/ec2metadata/service.go: AWS_EC2_METADATA_DISABLED=true fails every metadata request
        # before it is sent (a server outside EC2, in the test world).
        if os.environ.get("AWS_EC2_METADATA_DISABLED", "").lower() == "true":
            raise OSError("EC2 IMDS access disabled via AWS_EC2_METADATA_DISABLED env var")
        proxy = proxy_for(request.full_url)
        handler = urllib.request.ProxyHandler({"http": proxy, "https": proxy} if proxy else {})
        return urllib.request.build_opener(handler).open(request, timeout=2)

    def token(self):
        request = urllib.request.Request(self.endpoint + "/latest/api/token", method="PUT",
                                         headers={"X-aws-ec2-metadata-token-ttl-seconds": "21600"})
        with self.open(request) as response:
            return response.read().decode()

    def get(self, suffix):
        request = urllib.request.Request(self.endpoint + "/latest/" + suffix,
                                         headers={"X-aws-ec2-metadata-token": self.token()})
        with self.open(request) as response:
            return response.read().decode()

    def identity(self):
        return json.loads(self.get("dynamic/instance-identity/document"))

    def region(self):
        """translator/util/ec2util/ec2util.go: the identity document's region, empty when metadata is silent."""
        try:
            return self.identity().get("region", "")
        except (OSError, ValueError):
            return ""

    def credentials(self):
        """Role credentials of the instance; raises NoCredentials when it has no instance profile."""
        try:
            role = self.get("meta-data/iam/security-credentials/").strip().splitlines()[0]
            document = json.loads(self.get("meta-data/iam/security-credentials/" + role))
        except urllib.error.HTTPError as error:
            raise NoCredentials("instance metadata has no role credentials (HTTP %s): is an instance profile "
                                "associated with this instance?" % error.code) from None
        except (OSError, IndexError) as error:
            raise NoCredentials("instance metadata unreachable at %s: %s" % (self.endpoint, error)) from None
        return {"aws_access_key_id": document["AccessKeyId"], "aws_secret_access_key": document["SecretAccessKey"],
                "aws_session_token": document["Token"]}


def detect_mode(mode, metadata):
    """translator/util/sdkutil.go DetectAgentMode: `auto` is ec2 when instance metadata gives a region."""
    if mode == "onPrem":
        return "onPremise"
    if mode != "auto":
        return mode
    return "ec2" if metadata.region() else "onPremise"


# ------------------------------------------------------------------------------------------- region

def home_directory():
    """translator/util/sdkutil.go detectHomeDirectory: the current user's home, /root when it has none."""
    try:
        return pwd.getpwuid(os.getuid()).pw_dir or "/root"
    except KeyError:
        return "/root"


def profile_region(mode, common):
    """translator/util/sdkutil.go SDKRegionWithCredsMap: the region of the credentials profile, read by the AWS
    SDK for Go (v1) with shared config enabled: AWS_REGION (or AWS_DEFAULT_REGION) first, else the profile's
    `region` in the credentials file and the `config` file beside it, in that order (the later wins); a
    section is named after the profile, or `profile <name>` (aws-sdk-go aws/session/shared_config.go)."""
    credentials = credentials_map(mode, common)
    if not credentials:
        return ""
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        if os.environ.get(name):
            return os.environ[name]
    profile = credentials.get("shared_credential_profile", "default")
    if credentials.get("shared_credential_file"):
        credential_file = credentials["shared_credential_file"]
        files = [credential_file, os.path.join(os.path.dirname(credential_file), "config")]
    else:
        files = [os.path.join(home_directory(), ".aws", name) for name in ("credentials", "config")]
    region = ""
    for file_name in files:
        parser = configparser.RawConfigParser()
        try:
            with open(file_name) as handle:
                parser.read_file(handle)
        except (OSError, configparser.Error):
            continue
        for section in (profile, "profile " + profile):
            if parser.has_option(section, "region"):
                region = parser.get(section, "region").strip()
                break
    return region


def detect_region(mode, common, metadata):
    """translator/util/sdkutil.go detectRegion: the profile's region, else (ec2 mode) instance metadata."""
    region = profile_region(mode, common)
    if not region and mode == "ec2":
        region = metadata.region()
    return region


# ------------------------------------------------------------------------------------------- validation

def find_schema():
    for candidate in SCHEMA_PATHS:
        if candidate and os.path.exists(candidate):
            return candidate
    return None


def schema_errors(config, schema_path):
    """The schema's own messages for a config, as config-translator prints them."""
    import jsonschema

    with open(schema_path) as handle:
        schema = json.load(handle)
    validator = jsonschema.Draft4Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda error: list(error.absolute_path))
    return ["Under path : /%s | Error : %s" % ("/".join(str(part) for part in error.absolute_path), error.message)
            for error in errors]


def top_level_errors(config):
    """What can be checked without AWS's schema: an object made of the known sections."""
    if not isinstance(config, dict):
        return ["Under path : / | Error : Invalid type. Expected: object"]
    errors = ["Under path : / | Error : Additional property %s is not allowed" % key
              for key in config if key not in TOP_LEVEL]
    errors += ["Under path : /%s | Error : Invalid type. Expected: object" % key
               for key in TOP_LEVEL if key in config and not isinstance(config[key], dict)]
    if isinstance(config.get("metrics"), dict) and "metrics_collected" not in config["metrics"]:
        errors.append("Under path : /metrics | Error : metrics_collected is required")
    return errors


def parse(text, source):
    try:
        return json.loads(text)
    except ValueError as error:
        raise ConfigError(["Failed to parse %s as JSON: %s" % (source, error)]) from None


def validate(config):
    """Phase one's schema check of the real agent (translator/cmdutil/translatorutil.go checkSchema)."""
    schema = find_schema()
    if schema is None:
        note = ("W! schema.json not found (looked in %s): checked JSON syntax and top-level sections only"
                % ", ".join(p for p in SCHEMA_PATHS if p))
        log(note, "configuration-validation.log")
        print(note, file=sys.stderr)
        if os.environ.get("CWAGENT_SCHEMA_REQUIRED") == "1":
            raise ConfigError([note])
        errors = top_level_errors(config)
    else:
        errors = schema_errors(config, schema)
    if errors:
        raise ConfigError(errors)
    return config


def measurement_errors(config):
    """translator/translate/metrics/util/measurementutil.go ApplyMeasurementRule: every measurement of a
    registered plugin must be one of its registered names (with or without the `<plugin>_` prefix)."""
    errors = []
    collected = (config.get("metrics") or {}).get("metrics_collected") or {}
    for plugin, settings in sorted(collected.items()):
        if plugin not in REGISTERED_METRICS or not isinstance(settings, dict):
            continue
        where = "/metrics/metrics_collected/%s/" % plugin
        if "measurement" not in settings:
            errors.append("The path of the error is : %s | Errors : measurement field is missed." % where)
            continue
        allowed = REGISTERED_METRICS[plugin].split()
        for item in settings["measurement"]:
            name = item if isinstance(item, str) else (item or {}).get("name", "")
            short = name.strip()
            short = short[len(plugin) + 1:] if short.startswith(plugin + "_") else short
            if short not in allowed:
                errors.append("Under path : %s | Error : measurement name %s is invalid" % (where, name))
    return errors


def retention_errors(config):
    """translator/translate/logs/util/validate_fields.go validateLogRetentionSettings: one log group (names
    compared in lower case) cannot be given two different retention_in_days values (-1 and 0 do not count)."""
    errors = []
    seen = {}
    collect = (((config.get("logs") or {}).get("logs_collected") or {}).get("files") or {}).get("collect_list") or []
    for entry in collect:
        days = entry.get("retention_in_days") if isinstance(entry, dict) else None
        if not isinstance(days, (int, float)) or isinstance(days, bool) or days < 1:
            continue
        group = str(entry.get("log_group_name", "")).lower()
        if group in seen and seen[group] != int(days):
            errors.append("Under path : /logs/logs_collected/files/collect_list/ | Error : Different "
                          "retention_in_days values can't be set for the same log group: %s" % group)
        seen.setdefault(group, int(days))
    return errors


def run_as_user(config):
    """internal/util/user/userutil.go DetectRunAsUser: agent.run_as_user, else root."""
    user = (config.get("agent") or {}).get("run_as_user", "root")
    if not isinstance(user, str):
        raise ConfigError(["E! run_as_user is not string %s" % user])
    return user


def translator_errors(config, mode, credentials, region):
    """Rules of the real translator beyond the schema, each from the file named in its function."""
    errors = measurement_errors(config) + retention_errors(config)
    # translator/translate/agent/ruleRegion.go: agent.region, else the detected one; none is an error.
    if not region:
        errors.append("Under path : /agent/ruleRegion/ | Error : Region info is missing for mode: %s" % mode)
    # translator/cmdutil/credentials.go VerifyCredentials (called by tool/translator/translator.go).
    if mode == "onPremise" and run_as_user(config) != "root" and "shared_credential_file" not in credentials:
        errors.append("E! Credentials path is not set while runasuser is not root")
    return errors


def first_phase_failure(errors):
    lines = list(errors) + [
        "Configuration validation first phase failed. Agent version: %s. Verify the JSON input is only "
        "using features supported by this version." % version()]
    for line in lines:
        log("E! " + line, "configuration-validation.log")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------- translation

def json_dir():
    return path("etc", "amazon-cloudwatch-agent.d")


def existing_configs():
    """{file: text} of the JSON configs in place: etc/amazon-cloudwatch-agent.json and etc/....d/*."""
    found = {}
    main = path("etc", "amazon-cloudwatch-agent.json")
    for name in ([main] if os.path.exists(main) else []) + sorted(glob.glob(os.path.join(json_dir(), "*"))):
        if os.path.isfile(name):
            with open(name) as handle:
                found[name] = handle.read()
    return found


def merge(base, extra):
    """Deep merge as the translator does for append-config: objects merge, lists append, values override."""
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        elif isinstance(value, list) and isinstance(base.get(key), list):
            base[key] = base[key] + value
        else:
            base[key] = value
    return base


def toml_key(key):
    return key if re.match(r"^[A-Za-z0-9_-]+$", key) else json.dumps(key)


def toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[%s]" % ", ".join(toml_value(item) for item in value)
    if isinstance(value, dict):
        return "{%s}" % ", ".join("%s = %s" % (toml_key(k), toml_value(v)) for k, v in value.items())
    return json.dumps(value)


def toml_table(data, prefix, lines):
    scalars = [(k, v) for k, v in data.items() if not isinstance(v, dict) and not is_table_list(v)]
    if prefix and (scalars or not data):
        lines.append("\n[%s]" % prefix)
    for key, value in scalars:
        lines.append("%s = %s" % (toml_key(key), toml_value(value)))
    for key, value in data.items():
        name = "%s.%s" % (prefix, toml_key(key)) if prefix else toml_key(key)
        if isinstance(value, dict):
            toml_table(value, name, lines)
        elif is_table_list(value):
            for item in value:
                lines.append("\n[[%s]]" % name)
                lines.extend("%s = %s" % (toml_key(k), toml_value(v)) for k, v in item.items())


def is_table_list(value):
    return isinstance(value, list) and value and all(isinstance(item, dict) for item in value)


def translate(mode_flag, configs, metadata):
    """config-translator: merge the configs, check them (schema, then the translator's rules) and write the
    TOML the daemon runs from. `configs` is {source: text}; nothing is written unless all of it passes."""
    common = common_config()
    apply_proxy_env(common)
    mode = detect_mode(mode_flag, metadata)
    merged = {}
    for source, text in configs.items():
        merge(merged, validate(parse(text, source)))
    if not merged:
        raise ConfigError(["No json config files found under %s" % path("etc")])
    credentials = credentials_map(mode, common)
    region = (merged.get("agent") or {}).get("region") or detect_region(mode, common, metadata)
    errors = translator_errors(merged, mode, credentials, region)
    if errors:
        raise ConfigError(errors)
    # translator/translate/agent/ruleCommonCreds.go: a profile without a file means the home's default file.
    if "shared_credential_profile" in credentials and "shared_credential_file" not in credentials:
        credentials["shared_credential_file"] = os.path.join(home_directory(), ".aws", "credentials")
    state = dict({"mode": mode, "region": region}, **credentials)
    lines = ["# Generated by the test amazon-cloudwatch-agent from: %s" % ", ".join(configs)]
    toml_table({"iamkit": state}, "", lines)
    toml_table(merged, "", lines)
    with open(path("etc", "amazon-cloudwatch-agent.toml"), "w") as handle:
        handle.write("\n".join(lines) + "\n")
    # packaging/dependencies/amazon-cloudwatch-agent-ctl: `chmod ug+rw` on the TOML after translating.
    os.chmod(path("etc", "amazon-cloudwatch-agent.toml"), 0o664)
    return merged


def generated():
    """The running configuration as the last translation wrote it: (state, config)."""
    import tomllib

    with open(path("etc", "amazon-cloudwatch-agent.toml"), "rb") as handle:
        data = tomllib.load(handle)
    return data.pop("iamkit", {}), data


# ------------------------------------------------------------------------------------------- run_as_user

def chown_tree(uid, gid, folder):
    """internal/util/user/userutil.go chownRecursive: like chown -R, skipping executables, set-id files,
    world-writable files and symbolic links."""
    for base, folders, names in os.walk(folder):
        for name in [None] + names:
            target = base if name is None else os.path.join(base, name)
            info = os.lstat(target)
            mode = info.st_mode
            if os.path.islink(target):
                continue
            if name is not None and (mode & 0o6000 or mode & 0o111 or mode & 0o002):
                continue
            os.chown(target, uid, gid)
        folders[:] = [entry for entry in folders if not os.path.islink(os.path.join(base, entry))]


def change_user(user):
    """internal/util/user/userutil_linux.go ChangeUser: hand etc/, logs/ and var/ to the user, then become it."""
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        raise ServiceError("E! Failed to ChangeUser: user: unknown user %s" % user) from None
    for folder in ("logs", "etc", "var"):
        chown_tree(entry.pw_uid, entry.pw_gid, path(folder))
    if user == "root":
        return
    os.setgroups(os.getgrouplist(user, entry.pw_gid))
    os.setgid(entry.pw_gid)
    os.setuid(entry.pw_uid)
    os.environ["HOME"] = entry.pw_dir


# ------------------------------------------------------------------------------------------- credentials

def shared_session(state):
    """A session from the shared credentials file and profile the translation recorded; the file is read as
    the user the agent runs as (aws-sdk-go SharedCredentialsProvider: "SharedCredsLoad: failed to load")."""
    import boto3

    file_name = state.get("shared_credential_file")
    profile = state.get("shared_credential_profile", "default")
    try:
        with open(file_name) as handle:
            parser = configparser.RawConfigParser()
            parser.read_file(handle)
    except OSError as error:
        raise NoCredentials("SharedCredsLoad: failed to load shared credentials file: %s" % error) from None
    if not parser.has_option(profile, "aws_access_key_id"):
        raise NoCredentials("SharedCredsLoad: failed to get profile %s from %s" % (profile, file_name))
    keys = dict((key, parser.get(profile, key)) for key in ("aws_access_key_id", "aws_secret_access_key",
                                                            "aws_session_token") if parser.has_option(profile, key))
    return boto3.Session(region_name=state.get("region"), **keys)


def session_for(state, config, metadata):
    """The credentials the real agent publishes with (cfg/aws/credentials.go): the shared profile when one is
    configured, else the instance's role; then, with agent.credentials.role_arn, that role assumed with them
    (translator/translate/agent/ruleGlobalCredentials.go)."""
    import boto3

    if state.get("shared_credential_file"):
        session = shared_session(state)
    elif state.get("mode") == "ec2":
        session = boto3.Session(region_name=state.get("region"), **metadata.credentials())
    else:
        raise NoCredentials("no shared credentials configured in onPremise mode")
    role_arn = ((config.get("agent") or {}).get("credentials") or {}).get("role_arn")
    if role_arn:
        sts = client(session, "sts", None)
        # aws-sdk-go aws/credentials/stscreds: a session named after the current time when none is given.
        found = sts.assume_role(RoleArn=role_arn, RoleSessionName=str(time.time_ns()))["Credentials"]
        session = boto3.Session(region_name=session.region_name, aws_access_key_id=found["AccessKeyId"],
                                aws_secret_access_key=found["SecretAccessKey"],
                                aws_session_token=found["SessionToken"])
    return session


def client(session, service, endpoint_override):
    from botocore.config import Config

    variable = "AWS_ENDPOINT_URL_" + service.upper().replace("-", "_")
    endpoint = endpoint_override or os.environ.get(variable) or os.environ.get("AWS_ENDPOINT_URL")
    probe = endpoint or "https://%s.%s.amazonaws.com" % (service, session.region_name)
    proxy = proxy_for(probe)
    return session.client(service, endpoint_url=endpoint,
                          config=Config(proxies={"http": proxy, "https": proxy} if proxy else {},
                                        retries={"max_attempts": 2, "mode": "standard"}))


# ------------------------------------------------------------------------------------------- collection

def read_meminfo():
    values = {}
    with open("/proc/meminfo") as handle:
        for line in handle:
            name, rest = line.split(":", 1)
            values[name] = float(rest.split()[0])
    return values


def sample(plugin, measurement):
    """A value for a measurement; plugins the test agent does not model report 0 so names still flow."""
    short = measurement[len(plugin) + 1:] if measurement.startswith(plugin + "_") else measurement
    if plugin == "mem":
        info = read_meminfo()
        used = info["MemTotal"] - info.get("MemAvailable", info["MemFree"])
        return {"used_percent": 100.0 * used / info["MemTotal"], "available_percent":
                100.0 * info.get("MemAvailable", 0) / info["MemTotal"]}.get(short, 0.0), "Percent"
    if plugin == "disk":
        stats = os.statvfs("/")
        total = stats.f_blocks * stats.f_frsize
        free = stats.f_bavail * stats.f_frsize
        return {"used_percent": 100.0 * (total - free) / total if total else 0.0}.get(short, 0.0), "Percent"
    if plugin == "swap":
        info = read_meminfo()
        total = info.get("SwapTotal", 0)
        return (100.0 * (total - info.get("SwapFree", 0)) / total if total else 0.0), "Percent"
    if plugin == "cpu":
        return os.getloadavg()[0], "Percent"
    return 0.0, "None"


def metric_name(plugin, measurement):
    if plugin in ("procstat", "statsd", "collectd", "prometheus", "jmx", "otlp"):
        return measurement
    return measurement if measurement.startswith(plugin + "_") else "%s_%s" % (plugin, measurement)


def dimensions(metrics_config, identity):
    appended = metrics_config.get("append_dimensions", {})
    found = []
    for name, value in sorted(appended.items()):
        source = DIMENSION_SOURCES.get(name)
        if source and value == "${aws:%s}" % name:
            if identity.get(source):
                found.append({"Name": name, "Value": identity[source]})
        elif name != "AutoScalingGroupName":
            found.append({"Name": name, "Value": str(value)})
    if not appended and not metrics_config.get("omit_hostname"):
        found.append({"Name": "host", "Value": socket.gethostname()})
    return found


def metric_data(config, identity):
    metrics_config = config.get("metrics", {})
    omit = config.get("agent", {}).get("omit_hostname", False)
    base = dimensions(dict(metrics_config, omit_hostname=omit), identity)
    data = []
    for plugin, settings in sorted(metrics_config.get("metrics_collected", {}).items()):
        for measurement in settings.get("measurement", []) if isinstance(settings, dict) else []:
            name = measurement if isinstance(measurement, str) else measurement.get("name", "")
            value, unit = sample(plugin, name)
            if isinstance(measurement, dict):
                unit = measurement.get("unit", unit)
                name_out = measurement.get("rename") or metric_name(plugin, name)
            else:
                name_out = metric_name(plugin, name)
            extra = [{"Name": "path", "Value": "/"}] if plugin == "disk" else []
            data.append({"MetricName": name_out, "Value": float(value), "Unit": unit, "Dimensions": base + extra})
    return data


def expand(template, identity, region=""):
    """translator/translate/util/placeholderUtil.go: placeholders of log group and stream names."""
    local = socket.gethostname()
    for placeholder, value in (("{instance_id}", identity.get("instanceId") or UNKNOWN_INSTANCE_ID),
                               ("{hostname}", identity.get("hostname") or local), ("{local_hostname}", local),
                               ("{ip_address}", identity.get("privateIp") or "127.0.0.1"),
                               ("{aws_region}", region or "UNKNOWN-REGION"),
                               ("{account_id}", identity.get("accountId") or "UNKNOWN-ACCOUNT"),
                               ("{date}", time.strftime("%Y-%m-%d"))):
        template = template.replace(placeholder, value)
    return template


def default_stream(mode):
    """translator/translate/logs/ruleLogStreamName.go: the instance id on EC2, the host's name on premises."""
    return socket.gethostname() if mode == "onPremise" else "{instance_id}"


def new_lines(file_path):
    """Lines added to a file since the last read (offsets kept in var/, as the real agent's state files)."""
    state = path("var", "state", re.sub(r"[^A-Za-z0-9]", "_", file_path))
    offset = int(open(state).read() or 0) if os.path.exists(state) else 0
    if os.path.getsize(file_path) < offset:
        offset = 0
    with open(file_path, "rb") as handle:
        handle.seek(offset)
        data = handle.read()
    complete = data[:data.rfind(b"\n") + 1]
    os.makedirs(os.path.dirname(state), exist_ok=True)
    with open(state, "w") as handle:
        handle.write(str(offset + len(complete)))
    return [line for line in complete.decode("utf-8", "replace").splitlines() if line]


# ------------------------------------------------------------------------------------------- daemon

class Daemon:
    def __init__(self):
        self.stopping = False
        self.known_streams = set()

    def run(self):
        """cmd/start-amazon-cloudwatch-agent: translate again with `--mode auto`, hand the folders to
        run_as_user and become it, then collect until SIGTERM."""
        signal.signal(signal.SIGTERM, lambda *_: setattr(self, "stopping", True))
        try:
            translate("auto", existing_configs(), Metadata())
            state, config = generated()
            change_user(run_as_user(config))
        except ConfigError as error:
            log("E! Cannot translate JSON, ERROR is " + first_phase_failure(error.args[0]).replace("\n", " "))
            return 1
        except ServiceError as error:
            log(str(error))
            return 1
        log("I! test agent %s started (mode %s, region %s, user %s)"
            % (version(), state.get("mode"), state.get("region"), run_as_user(config)))
        interval = int(config.get("agent", {}).get("metrics_collection_interval", 60))
        while not self.stopping:
            self.cycle(state, config)
            deadline = time.monotonic() + interval
            while not self.stopping and time.monotonic() < deadline:
                time.sleep(0.5)
        log("I! test agent stopped")
        return 0

    def cycle(self, state, config):
        """One collection and flush; every failure is logged and nothing is sent without credentials."""
        import botocore.exceptions

        metadata = Metadata()
        try:
            identity = metadata.identity() if state.get("mode") == "ec2" else {}
            session = session_for(state, config, metadata)
        except NoCredentials as error:
            log("E! no credentials, nothing sent: %s" % error)
            return
        except (OSError, ValueError, botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
            log("E! cannot get credentials, nothing sent: %s" % error)
            return
        for name, step in (("cloudwatch", self.send_metrics), ("cloudwatchlogs", self.send_logs)):
            try:
                step(session, state, config, identity)
            except botocore.exceptions.ClientError as error:
                log("E! %s: %s: %s" % (name, error.response["Error"].get("Code"), error))
            except botocore.exceptions.BotoCoreError as error:
                log("E! %s: %s" % (name, error))

    def send_metrics(self, session, state, config, identity):
        data = metric_data(config, identity)
        if not data:
            return
        metrics = config.get("metrics", {})
        cloudwatch = client(session, "cloudwatch", metrics.get("endpoint_override"))
        namespace = metrics.get("namespace", "CWAgent")
        for start in range(0, len(data), 20):
            cloudwatch.put_metric_data(Namespace=namespace, MetricData=data[start:start + 20])
        log("I! cloudwatch: wrote %d metrics to namespace %s" % (len(data), namespace))

    def send_logs(self, session, state, config, identity):
        logs_config = config.get("logs", {})
        collect = logs_config.get("logs_collected", {}).get("files", {}).get("collect_list", [])
        if not collect:
            return
        logs = client(session, "logs", logs_config.get("endpoint_override"))
        for entry in collect:
            for file_path in sorted(glob.glob(entry["file_path"])):
                try:
                    lines = new_lines(file_path)
                except OSError as error:
                    log("E! cannot read %s: %s" % (file_path, error))
                    continue
                if lines:
                    group = expand(entry.get("log_group_name", file_path), identity, state.get("region"))
                    stream_template = entry.get("log_stream_name") or logs_config.get("log_stream_name") \
                        or default_stream(state.get("mode"))
                    stream = expand(stream_template, identity, state.get("region"))
                    self.put_lines(logs, group, stream, lines, entry.get("retention_in_days"))

    def put_lines(self, logs, group, stream, lines, retention):
        if (group, stream) not in self.known_streams:
            for call, params in ((logs.create_log_group, {"logGroupName": group}),
                                 (logs.create_log_stream, {"logGroupName": group, "logStreamName": stream})):
                try:
                    call(**params)
                except logs.exceptions.ResourceAlreadyExistsException:
                    pass
            if retention and retention > 0:
                logs.put_retention_policy(logGroupName=group, retentionInDays=retention)
            self.known_streams.add((group, stream))
        now = int(time.time() * 1000)
        logs.put_log_events(logGroupName=group, logStreamName=stream,
                            logEvents=[{"timestamp": now, "message": line} for line in lines])
        log("I! cloudwatchlogs: sent %d lines to %s/%s" % (len(lines), group, stream))


# ------------------------------------------------------------------------------------------- ctl

def systemctl(*args):
    return subprocess.run(["systemctl"] + list(args), capture_output=True, text=True, check=False)


def escape_file_path(name):
    """tool/downloader/downloader.go EscapeFilePath."""
    for character in "/ :":
        name = name.replace(character, "_")
    return name


def download(location, mode_flag, metadata, read=True):
    """config-downloader (tool/downloader/downloader.go): (target file name, text) of a -c location. The mode
    and region are found first; without a region only `default` can be fetched. With read false (remove-config)
    only the name is worked out."""
    common = common_config()
    apply_proxy_env(common)
    mode = detect_mode(mode_flag, metadata)
    region = detect_region(mode, common, metadata)
    kind, name = location.partition(":")[::2]
    if not name and location != "default":
        raise DownloadError("downloadLocation %s is malformed" % location)
    if not region and kind != "default":
        raise DownloadError(NO_REGION_EC2 if mode == "ec2" else NO_REGION_ON_PREMISE)
    if kind == "default":
        return "default", json.dumps(DEFAULT_CONFIG)
    if kind == "file":
        target = "file_" + escape_file_path(os.path.basename(name))
        if not read:
            return target, ""
        try:
            with open(name) as handle:
                return target, handle.read()
        except OSError as error:
            raise DownloadError("fail to fetch/remove json config: %s" % error) from None
    if kind == "ssm":
        target = "ssm_" + escape_file_path(name)
        return target, read_ssm(name, mode, common, region, metadata) if read else ""
    raise DownloadError("location type %s is not supported" % kind)


def read_ssm(name, mode, common, region, metadata):
    """downloadFromSSM: the profile's credentials when one is configured, else the instance's."""
    import boto3
    import botocore.exceptions

    credentials = credentials_map(mode, common)
    try:
        if credentials:
            state = dict(credentials, region=region)
            if "shared_credential_file" not in state:
                state["shared_credential_file"] = os.path.join(home_directory(), ".aws", "credentials")
            session = shared_session(state)
        else:
            session = boto3.Session(region_name=region, **metadata.credentials())
        return client(session, "ssm", None).get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    except (NoCredentials, botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
        raise DownloadError("fail to fetch/remove json config: error in retrieving parameter store content: %s"
                            % error) from None


def config_action(action, mode, location):
    """fetch-config, append-config, remove-config (packaging/dependencies/amazon-cloudwatch-agent-ctl
    cwa_config): download, validate and translate the configs the action leaves; only then replace them.
    fetch-config makes the new config the only one (etc/amazon-cloudwatch-agent.json goes too)."""
    metadata = Metadata()
    os.makedirs(json_dir(), exist_ok=True)
    target_name, text = download(location, mode, metadata, read=action != "remove-config")
    target = os.path.join(json_dir(), target_name)
    existing = existing_configs()
    if action == "fetch-config":
        wanted = {target: text}
    elif action == "append-config":
        wanted = dict(existing, **{target: text})
    else:
        wanted = dict((name, body) for name, body in existing.items() if name != target)
    if wanted:
        translate(mode, wanted, metadata)
    elif os.path.exists(path("etc", "amazon-cloudwatch-agent.toml")):
        os.remove(path("etc", "amazon-cloudwatch-agent.toml"))
    for name in existing:
        if name not in wanted:
            os.remove(name)
    if action != "remove-config":
        with open(target, "w") as handle:
            handle.write(text)
    print("Successfully %s config %s" % ({"remove-config": "removed"}.get(action, "fetched"), location))


def status():
    running = systemctl("is-active", SERVICE).stdout.strip() == "active"
    start = ""
    if running:
        stamp = systemctl("show", "-p", "ActiveEnterTimestampMonotonic", "--value", SERVICE).stdout.strip()
        if stamp.isdigit():
            boot_offset = time.clock_gettime(time.CLOCK_MONOTONIC) - int(stamp) / 1e6
            moment = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=boot_offset)
            start = moment.strftime("%Y-%m-%dT%H:%M:%S+0000")
    configured = os.path.exists(path("etc", "amazon-cloudwatch-agent.toml"))
    return {"status": "running" if running else "stopped", "starttime": start,
            "configstatus": "configured" if configured else "not configured", "version": version()}


def start(mode):
    """agent_start: apply the default config when none is there, then (re)start the unit, which translates."""
    if not os.path.exists(path("etc", "amazon-cloudwatch-agent.toml")):
        print("amazon-cloudwatch-agent is not configured. Applying amazon-cloudwatch-agent default configuration.")
        config_action("fetch-config", mode, "default")
    systemctl("daemon-reload")
    systemctl("enable", SERVICE)
    result = systemctl("restart", SERVICE)
    if result.returncode != 0:
        raise ServiceError("systemctl restart %s failed: %s" % (SERVICE, result.stderr.strip()))


def ctl(argv):
    parser = argparse.ArgumentParser(prog="amazon-cloudwatch-agent-ctl")
    parser.add_argument("-a", dest="action", required=True,
                        choices=["stop", "start", "status", "fetch-config", "append-config", "remove-config",
                                 "set-log-level", "cond-restart", "prep-restart"])
    parser.add_argument("-m", dest="mode", default="ec2", choices=["ec2", "onPremise", "onPrem", "auto"])
    parser.add_argument("-c", dest="config", default="")
    parser.add_argument("-o", dest="otel_config", default="")
    parser.add_argument("-s", dest="restart", action="store_true")
    parser.add_argument("-l", dest="log_level", default="INFO")
    args = parser.parse_args(argv)
    try:
        if args.action == "status":
            print(json.dumps(status(), indent=2))
        elif args.action == "stop":
            # The real ctl only stops the unit (agent_stop); it stays enabled.
            systemctl("stop", SERVICE)
        elif args.action in ("start", "cond-restart"):
            start(args.mode)
        elif args.action == "set-log-level":
            log("I! log level set to %s" % args.log_level)
        elif args.action == "prep-restart":
            pass
        else:
            config_action(args.action, args.mode, args.config or "default")
            if args.restart:
                systemctl("stop", SERVICE)
                start(args.mode)
    except DownloadError as error:
        print(str(error))
        return 1
    except ConfigError as error:
        print(first_phase_failure(error.args[0]), file=sys.stderr)
        return 1
    except ServiceError as error:
        print("E! %s" % error, file=sys.stderr)
        return 1
    return 0


def main():
    name = os.path.basename(sys.argv[0])
    if name == "amazon-cloudwatch-agent":
        return Daemon().run()
    return ctl(sys.argv[1:])


if __name__ == "__main__":
    os.umask(0o022)
    sys.exit(main())
