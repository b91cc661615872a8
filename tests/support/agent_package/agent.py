#!/usr/bin/env python
"""Test double of the Amazon CloudWatch agent: `amazon-cloudwatch-agent-ctl` and the daemon, in one file.

Installed twice by the package, as bin/amazon-cloudwatch-agent-ctl and bin/amazon-cloudwatch-agent; the
name it is called by picks the role. It behaves as ../shared/cloudwatch-agent/FACTS.md describes the real
agent (flags, file layout, fetch-config's replacement and deletion of JSON, status JSON, validation
messages) and really talks to AWS: metrics by PutMetricData and log lines by CloudWatch Logs, with
credentials found the way the real agent finds them. It exists because AWS's package is unreachable
from the test machines; nothing in it may decide on its own that a call would be refused.

Addresses it honours besides the config: AWS_EC2_METADATA_SERVICE_ENDPOINT (instance metadata, default
http://169.254.169.254), AWS_ENDPOINT_URL_<SERVICE> / AWS_ENDPOINT_URL (AWS endpoints, as the AWS SDKs do),
CWAGENT_SCHEMA (schema.json path) and CWAGENT_ROOT (install folder, for tests on a development machine).
"""

import argparse
import datetime
import glob
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
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


class ServiceError(Exception):
    pass


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


def validate(text, source):
    """Phase one of the real agent's validation; raises ConfigError with the agent's messages."""
    try:
        config = json.loads(text)
    except ValueError as error:
        raise ConfigError(["Failed to parse %s as JSON: %s" % (source, error)]) from None
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


def first_phase_failure(errors):
    lines = list(errors) + [
        "Configuration validation first phase failed. Agent version: %s. Verify the JSON input is only "
        "using features supported by this version." % version()]
    for line in lines:
        log("E! " + line, "configuration-validation.log")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------- translation

def config_files():
    files = sorted(glob.glob(path("etc", "amazon-cloudwatch-agent.d", "*")))
    main = path("etc", "amazon-cloudwatch-agent.json")
    return ([main] if os.path.exists(main) else []) + [name for name in files if os.path.isfile(name)]


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


def translate(mode):
    """Merge etc/amazon-cloudwatch-agent.json and etc/amazon-cloudwatch-agent.d/ into the generated TOML."""
    merged = {}
    for name in config_files():
        with open(name) as handle:
            merge(merged, validate(handle.read(), name))
    if not merged:
        raise ConfigError(["No json config files found under %s" % path("etc")])
    lines = ["# Generated by the test amazon-cloudwatch-agent from: %s" % ", ".join(config_files())]
    toml_table({"iamkit": {"mode": mode}}, "", lines)
    toml_table(merged, "", lines)
    with open(path("etc", "amazon-cloudwatch-agent.toml"), "w") as handle:
        handle.write("\n".join(lines) + "\n")
    return merged


def generated():
    """The running configuration as the last translation wrote it: (mode, config)."""
    import tomllib

    with open(path("etc", "amazon-cloudwatch-agent.toml"), "rb") as handle:
        data = tomllib.load(handle)
    mode = data.pop("iamkit", {}).get("mode", "ec2")
    return mode, data


# ------------------------------------------------------------------------------------------- credentials

def common_config():
    import tomllib

    try:
        with open(path("etc", "common-config.toml"), "rb") as handle:
            return tomllib.load(handle)
    except (OSError, ValueError):
        return {}


class Metadata:
    """IMDSv2 client: a token first, then GETs with it, as the real agent's SDK does."""

    def __init__(self, endpoint=None):
        self.endpoint = (endpoint or os.environ.get("AWS_EC2_METADATA_SERVICE_ENDPOINT")
                         or "http://169.254.169.254").rstrip("/")

    def token(self):
        request = urllib.request.Request(self.endpoint + "/latest/api/token", method="PUT",
                                         headers={"X-aws-ec2-metadata-token-ttl-seconds": "21600"})
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.read().decode()

    def get(self, suffix):
        request = urllib.request.Request(self.endpoint + "/latest/" + suffix,
                                         headers={"X-aws-ec2-metadata-token": self.token()})
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.read().decode()

    def reachable(self):
        try:
            self.token()
            return True
        except (OSError, urllib.error.URLError):
            return False

    def identity(self):
        return json.loads(self.get("dynamic/instance-identity/document"))

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


class NoCredentials(Exception):
    pass


def resolve_mode(mode, metadata):
    if mode == "auto":
        return "ec2" if metadata.reachable() else "onPremise"
    return mode


def session_for(mode, config, metadata):
    """A boto3 session holding the credentials the real agent would use in this mode."""
    import boto3
    import botocore.exceptions

    common = common_config().get("credentials", {})
    region = config.get("agent", {}).get("region")
    if mode == "ec2":
        region = region or metadata.identity()["region"]
        session = boto3.Session(region_name=region, **metadata.credentials())
    else:
        if common.get("shared_credential_file"):
            os.environ["AWS_SHARED_CREDENTIALS_FILE"] = common["shared_credential_file"]
        profile = common.get("shared_credential_profile", "AmazonCloudWatchAgent")
        try:
            session = boto3.Session(profile_name=profile, region_name=region)
        except botocore.exceptions.ProfileNotFound:
            raise NoCredentials("credentials profile %s not found" % profile) from None
        if session.get_credentials() is None:
            raise NoCredentials("no credentials in profile %s" % profile)
    role_arn = config.get("agent", {}).get("credentials", {}).get("role_arn")
    if role_arn:
        sts = client(session, "sts", None)
        found = sts.assume_role(RoleArn=role_arn, RoleSessionName="AmazonCloudWatchAgent")["Credentials"]
        session = boto3.Session(region_name=session.region_name, aws_access_key_id=found["AccessKeyId"],
                                aws_secret_access_key=found["SecretAccessKey"],
                                aws_session_token=found["SessionToken"])
    return session


def client(session, service, endpoint_override):
    from botocore.config import Config

    proxy = common_config().get("proxy", {})
    proxies = dict((scheme, proxy[key]) for scheme, key in (("http", "http_proxy"), ("https", "https_proxy"))
                   if proxy.get(key))
    if proxy.get("no_proxy"):
        os.environ["NO_PROXY"] = proxy["no_proxy"]
    variable = "AWS_ENDPOINT_URL_" + service.upper().replace("-", "_")
    endpoint = endpoint_override or os.environ.get(variable) or os.environ.get("AWS_ENDPOINT_URL")
    return session.client(service, endpoint_url=endpoint,
                          config=Config(proxies=proxies or None, retries={"max_attempts": 2, "mode": "standard"}))


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


def expand(template, identity):
    for placeholder, value in (("{instance_id}", identity.get("instanceId") or socket.gethostname()),
                               ("{hostname}", socket.getfqdn()), ("{local_hostname}", socket.gethostname()),
                               ("{ip_address}", identity.get("privateIp") or "127.0.0.1")):
        template = template.replace(placeholder, value)
    return template


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
        signal.signal(signal.SIGTERM, lambda *_: setattr(self, "stopping", True))
        mode = generated()[0] if os.path.exists(path("etc", "amazon-cloudwatch-agent.toml")) else "ec2"
        try:
            translate(mode)
        except ConfigError as error:
            log("E! " + first_phase_failure(error.args[0]).replace("\n", " "))
            return 1
        mode, config = generated()
        log("I! test agent %s started (mode %s)" % (version(), mode))
        interval = int(config.get("agent", {}).get("metrics_collection_interval", 60))
        while not self.stopping:
            self.cycle(mode, config)
            deadline = time.monotonic() + interval
            while not self.stopping and time.monotonic() < deadline:
                time.sleep(0.5)
        log("I! test agent stopped")
        return 0

    def cycle(self, mode, config):
        """One collection and flush; every failure is logged and nothing is sent without credentials."""
        import botocore.exceptions

        metadata = Metadata()
        try:
            actual_mode = resolve_mode(mode, metadata)
            identity = metadata.identity() if actual_mode == "ec2" else {}
            session = session_for(actual_mode, config, metadata)
        except NoCredentials as error:
            log("E! no credentials, nothing sent: %s" % error)
            return
        except (OSError, urllib.error.URLError, botocore.exceptions.BotoCoreError) as error:
            log("E! cannot get credentials, nothing sent: %s" % error)
            return
        for name, step in (("cloudwatch", self.send_metrics), ("cloudwatchlogs", self.send_logs)):
            try:
                step(session, config, identity)
            except botocore.exceptions.ClientError as error:
                log("E! %s: %s: %s" % (name, error.response["Error"].get("Code"), error))
            except botocore.exceptions.BotoCoreError as error:
                log("E! %s: %s" % (name, error))

    def send_metrics(self, session, config, identity):
        data = metric_data(config, identity)
        if not data:
            return
        metrics = config.get("metrics", {})
        cloudwatch = client(session, "cloudwatch", metrics.get("endpoint_override"))
        namespace = metrics.get("namespace", "CWAgent")
        for start in range(0, len(data), 20):
            cloudwatch.put_metric_data(Namespace=namespace, MetricData=data[start:start + 20])
        log("I! cloudwatch: wrote %d metrics to namespace %s" % (len(data), namespace))

    def send_logs(self, session, config, identity):
        logs_config = config.get("logs", {})
        collect = logs_config.get("logs_collected", {}).get("files", {}).get("collect_list", [])
        if not collect:
            return
        logs = client(session, "logs", logs_config.get("endpoint_override"))
        for entry in collect:
            for file_path in sorted(glob.glob(entry["file_path"])):
                lines = new_lines(file_path)
                if lines:
                    group = expand(entry.get("log_group_name", file_path), identity)
                    stream = expand(entry.get("log_stream_name", logs_config.get("log_stream_name", "{instance_id}")),
                                    identity)
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


def read_source(location, mode):
    """Text of a config named like the real ctl's -c: file:PATH, ssm:NAME or default."""
    if location == "default":
        return json.dumps(DEFAULT_CONFIG), "default", None
    if location.startswith("file:"):
        source = location[len("file:"):]
        try:
            with open(source) as handle:
                return handle.read(), "file_" + os.path.basename(source), source
        except OSError as error:
            raise ConfigError(["Cannot access %s: %s" % (source, error.strerror)]) from None
    if location.startswith("ssm:"):
        import botocore.exceptions

        name = location[len("ssm:"):]
        metadata = Metadata()
        try:
            session = session_for(resolve_mode(mode, metadata), {}, metadata)
            value = client(session, "ssm", None).get_parameter(Name=name)["Parameter"]["Value"]
        except (NoCredentials, botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
            raise ConfigError(["Cannot get SSM parameter %s: %s" % (name, error)]) from None
        return value, "ssm_" + re.sub(r"[^A-Za-z0-9_.-]", "_", name), None
    raise ConfigError(["Invalid config location %s: use default, ssm:<name> or file:<path>" % location])


def remove_json_configs(source):
    """fetch-config makes the new config the only one: existing JSON in etc/ goes, the source too if there."""
    folder = path("etc", "amazon-cloudwatch-agent.d")
    for name in glob.glob(os.path.join(folder, "*")):
        os.remove(name)
    main = path("etc", "amazon-cloudwatch-agent.json")
    if os.path.exists(main):
        os.remove(main)
    if source and os.path.abspath(source).startswith(path("etc") + os.sep) and os.path.exists(source):
        os.remove(source)


def config_action(action, mode, location):
    os.makedirs(path("etc", "amazon-cloudwatch-agent.d"), exist_ok=True)
    text, target_name, source = read_source(location, mode)
    target = path("etc", "amazon-cloudwatch-agent.d", target_name)
    if action == "remove-config":
        if os.path.exists(target):
            os.remove(target)
    else:
        validate(text, location)
        if action == "fetch-config":
            remove_json_configs(source)
        with open(target, "w") as handle:
            handle.write(text)
    if config_files():
        translate(mode)
    elif os.path.exists(path("etc", "amazon-cloudwatch-agent.toml")):
        os.remove(path("etc", "amazon-cloudwatch-agent.toml"))
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
    current_mode = generated()[0] if os.path.exists(path("etc", "amazon-cloudwatch-agent.toml")) else mode
    translate(mode or current_mode)
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
    mode = "onPremise" if args.mode == "onPrem" else args.mode
    try:
        if args.action == "status":
            print(json.dumps(status(), indent=2))
        elif args.action == "stop":
            systemctl("stop", SERVICE)
            systemctl("disable", SERVICE)
        elif args.action in ("start", "cond-restart"):
            start(mode)
        elif args.action == "set-log-level":
            log("I! log level set to %s" % args.log_level)
        elif args.action == "prep-restart":
            pass
        else:
            if not args.config:
                raise ConfigError(["-c is required for %s" % args.action])
            config_action(args.action, mode, args.config)
            if args.restart:
                start(mode)
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
