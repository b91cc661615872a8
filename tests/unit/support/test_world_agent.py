"""The test agent, held to the real agent's rules (each test names the real source file the rule comes from),
validated against AWS's own schema; and the package that installs it, built with dpkg-deb and rpmbuild.

No server is started: where a rule needs instance metadata, the metadata address is a loopback port that
refuses connections (a host without metadata), or a stand-in object for the one call that asks it.
"""

import importlib.util
import json
import os
import pwd
import socket
import subprocess
import sys

import pytest

from tests.support.agent_package import build as package_build
from tests.support.paths import ROOT
from tests.support.paths import shared_file

PACKAGE_DIR = os.path.join(ROOT, "tests", "support", "agent_package")
AGENT = os.path.join(PACKAGE_DIR, "agent.py")
FIRST_PHASE = "Configuration validation first phase failed. Agent version: 1.0.test."
VALID = {"metrics": {"namespace": "Test", "metrics_collected": {"mem": {"measurement": ["mem_used_percent"]}}}}
NO_REGION_ON_PREMISE = "please make sure the credentials and region set correctly on your hosts"
NO_REGION_EC2 = "please check if you can access the metadata service"
ROLE_ARN = "arn:aws:iam::210987654321:role/CentralMonitoringPublisher"


@pytest.fixture
def no_metadata():
    """A loopback address that refuses connections: a host without instance metadata."""
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused at once
    yield "http://127.0.0.1:%d" % blocker.getsockname()[1]
    blocker.close()


@pytest.fixture
def root(tmp_path, monkeypatch, no_metadata):
    root = tmp_path / "opt"
    for folder in ("bin", "etc/amazon-cloudwatch-agent.d", "logs", "var"):
        (root / folder).mkdir(parents=True)
    (root / "bin" / "CWAGENT_VERSION").write_text("1.0.test\n")
    monkeypatch.setenv("CWAGENT_ROOT", str(root))
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", no_metadata)
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy",
                 "https_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    return root


def on_premise(root, region="eu-west-1", profile="AmazonCloudWatchAgent", where="credentials"):
    """common-config.toml naming a credentials file and profile, the region in that file or the one beside."""
    credentials = root / "etc" / "credentials"
    (root / "etc" / "common-config.toml").write_text(
        '[credentials]\nshared_credential_profile = "%s"\nshared_credential_file = "%s"\n' % (profile, credentials))
    lines = ["[%s]" % profile, "aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "aws_secret_access_key = not-a-secret"]
    if region and where == "credentials":
        lines.append("region = %s" % region)
    credentials.write_text("\n".join(lines) + "\n")
    if region and where == "config":
        (root / "etc" / "config").write_text("[profile %s]\nregion = %s\n" % (profile, region))
    return credentials


def ctl(root, *args, schema=None, required=False, env=None):
    """Run the ctl as a command, as Ansible would: (exit code, stdout, stderr)."""
    run_env = dict(os.environ, CWAGENT_ROOT=str(root), CWAGENT_SCHEMA=schema or str(root / "no-schema.json"))
    run_env.update(env or {})
    if required:
        run_env["CWAGENT_SCHEMA_REQUIRED"] = "1"
    result = subprocess.run([sys.executable, AGENT] + list(args), env=run_env, capture_output=True, text=True,
                            check=False)
    return result.returncode, result.stdout, result.stderr


def write(path, document):
    path.write_text(json.dumps(document) if not isinstance(document, str) else document)
    return str(path)


SETTINGS = ("common-config.toml", "credentials", "config")


def listing(root):
    """(etc/ without the host's settings, etc/amazon-cloudwatch-agent.d/)"""
    return (sorted(name for name in os.listdir(root / "etc") if name not in SETTINGS),
            sorted(os.listdir(root / "etc" / "amazon-cloudwatch-agent.d")))


def toml_state(root):
    import tomllib

    return tomllib.loads((root / "etc" / "amazon-cloudwatch-agent.toml").read_text())["iamkit"]


def load_agent():
    spec = importlib.util.spec_from_file_location("iamkit_test_agent", AGENT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SCHEMA = "cloudwatch-agent/schema.json"


# ------------------------------------------------------------------------------------- ctl: configs in place

@pytest.mark.parametrize("sample", ["basic_config_linux.json", "advanced_config_linux.json",
                                    "complete_linux_config.json"])
def test_aws_samples_pass_fetch_config(root, sample):
    on_premise(root)
    source = shared_file("cloudwatch-agent/" + sample)
    code, out, err = ctl(root, "-a", "fetch-config", "-m", "onPremise", "-c", "file:" + source,
                         schema=shared_file(SCHEMA))
    assert (code, err) == (0, ""), out
    assert listing(root)[1] == ["file_" + sample]
    assert os.path.exists(source), "a source outside etc/ stays where it is"


def test_invalid_config_fails_first_phase_with_the_schema_message(root, tmp_path):
    on_premise(root)
    bad = write(tmp_path / "bad.json", {"metrics": {"metrics_collected": {"mem": {}}, "bogus_key": 1}})
    code, out, err = ctl(root, "-a", "fetch-config", "-m", "onPremise", "-c", "file:" + bad,
                         schema=shared_file(SCHEMA))
    assert code == 1
    assert FIRST_PHASE in err
    assert "Under path : /metrics | Error : Additional properties are not allowed ('bogus_key' was unexpected)" in err
    assert listing(root) == (["amazon-cloudwatch-agent.d"], []), "a refused config changes nothing"
    assert FIRST_PHASE in (root / "logs" / "configuration-validation.log").read_text()


def test_fetch_config_replaces_and_removes_source_json_in_etc(root):
    on_premise(root)
    write(root / "etc" / "amazon-cloudwatch-agent.d" / "file_old.json", VALID)
    source = write(root / "etc" / "amazon-cloudwatch-agent.json", VALID)
    code, out, err = ctl(root, "-a", "fetch-config", "-m", "onPremise", "-c", "file:" + source)
    assert code == 0, out + err
    assert listing(root) == (["amazon-cloudwatch-agent.d", "amazon-cloudwatch-agent.toml"],
                             ["file_amazon-cloudwatch-agent.json"])
    toml = (root / "etc" / "amazon-cloudwatch-agent.toml").read_text()
    assert 'namespace = "Test"' in toml
    assert toml_state(root)["mode"] == "onPremise"


def test_append_and_remove_config(root, tmp_path):
    on_premise(root)
    first = write(tmp_path / "first.json", VALID)
    second = write(tmp_path / "second.json", {"logs": {"logs_collected": {"files": {"collect_list": [
        {"file_path": "/var/log/x.log", "log_group_name": "x"}]}}}})
    assert ctl(root, "-a", "fetch-config", "-m", "onPremise", "-c", "file:" + first)[0] == 0
    assert ctl(root, "-a", "append-config", "-m", "onPremise", "-c", "file:" + second)[0] == 0
    assert listing(root)[1] == ["file_first.json", "file_second.json"]
    toml = (root / "etc" / "amazon-cloudwatch-agent.toml").read_text()
    assert "[[logs.logs_collected.files.collect_list]]" in toml and 'namespace = "Test"' in toml
    os.remove(second)  # remove-config goes by name: the source may be gone (downloader.go reads nothing)
    assert ctl(root, "-a", "remove-config", "-m", "onPremise", "-c", "file:" + second)[0] == 0
    assert listing(root)[1] == ["file_first.json"]
    assert "collect_list" not in (root / "etc" / "amazon-cloudwatch-agent.toml").read_text()


def test_without_schema_only_syntax_and_sections_are_checked_and_said(root, tmp_path):
    on_premise(root)
    unknown_section = write(tmp_path / "odd.json", {"metrix": {}})
    code, out, err = ctl(root, "-a", "fetch-config", "-m", "onPremise", "-c", "file:" + unknown_section)
    assert code == 1
    assert "schema.json not found" in err and "top-level sections only" in err
    assert "Additional property metrix is not allowed" in err
    broken = write(tmp_path / "broken.json", "{not json")
    code, out, err = ctl(root, "-a", "fetch-config", "-m", "onPremise", "-c", "file:" + broken)
    assert code == 1 and "Failed to parse" in err
    # A config the schema would refuse passes the reduced check: the log says why.
    loose = write(tmp_path / "loose.json", {"metrics": {"metrics_collected": {"mem": {"measurement": []}},
                                                        "bogus_key": 1}})
    assert ctl(root, "-a", "fetch-config", "-m", "onPremise", "-c", "file:" + loose)[0] == 0
    assert "top-level sections only" in (root / "logs" / "configuration-validation.log").read_text()


def test_missing_schema_is_a_failure_when_required(root, tmp_path):
    on_premise(root)
    source = write(tmp_path / "ok.json", VALID)
    code, out, err = ctl(root, "-a", "fetch-config", "-m", "onPremise", "-c", "file:" + source, required=True)
    assert code == 1 and "schema.json not found" in err
    assert listing(root) == (["amazon-cloudwatch-agent.d"], [])


def test_bad_flags_are_refused_naming_the_choices(root):
    code, out, err = ctl(root, "-a", "explode")
    assert code == 2 and "invalid choice: 'explode'" in err and "fetch-config" in err
    on_premise(root)
    code, out, err = ctl(root, "-a", "fetch-config", "-m", "onPremise", "-c", "nowhere:x")
    assert code == 1 and "location type nowhere is not supported" in out


def test_status_shape_when_stopped(root):
    code, out, err = ctl(root, "-a", "status")
    assert code == 0
    assert json.loads(out) == {"status": "stopped", "starttime": "", "configstatus": "not configured",
                               "version": "1.0.test"}


# ------------------------------------------------------------------------- region (tool/downloader/downloader.go)

def test_on_premise_without_a_region_fails_before_reading_any_json(root, tmp_path):
    on_premise(root, region=None)
    source = write(tmp_path / "ok.json", VALID)
    code, out, err = ctl(root, "-a", "fetch-config", "-m", "onPremise", "-c", "file:" + source)
    assert code == 1 and NO_REGION_ON_PREMISE in out
    assert listing(root) == (["amazon-cloudwatch-agent.d"], [])
    # agent.region in the JSON does not help: the downloader finds the region before it reads the JSON.
    with_region = write(tmp_path / "with-region.json", dict(VALID, agent={"region": "eu-west-1"}))
    code, out, err = ctl(root, "-a", "fetch-config", "-m", "onPremise", "-c", "file:" + with_region)
    assert code == 1 and NO_REGION_ON_PREMISE in out


@pytest.mark.parametrize("where", ["credentials", "config"])
def test_on_premise_region_comes_from_the_profile_in_the_credentials_file_or_the_config_beside(root, tmp_path,
                                                                                               where):
    on_premise(root, region="ap-southeast-2", where=where)
    source = write(tmp_path / "ok.json", VALID)
    code, out, err = ctl(root, "-a", "fetch-config", "-m", "onPremise", "-c", "file:" + source)
    assert code == 0, out + err
    assert toml_state(root)["region"] == "ap-southeast-2"


def test_on_premise_region_from_aws_region_and_a_region_of_another_profile_does_not_count(root, tmp_path):
    credentials = on_premise(root, region=None)
    with credentials.open("a") as handle:
        handle.write("[default]\nregion = us-west-2\n")
    source = write(tmp_path / "ok.json", VALID)
    assert NO_REGION_ON_PREMISE in ctl(root, "-a", "fetch-config", "-m", "onPremise", "-c", "file:" + source)[1]
    code, out, err = ctl(root, "-a", "fetch-config", "-m", "onPremise", "-c", "file:" + source,
                         env={"AWS_REGION": "sa-east-1"})
    assert code == 0, out + err
    assert toml_state(root)["region"] == "sa-east-1"


def test_ec2_mode_without_metadata_fails_naming_the_metadata_service(root, tmp_path):
    source = write(tmp_path / "ok.json", VALID)
    code, out, err = ctl(root, "-a", "fetch-config", "-m", "ec2", "-c", "file:" + source)
    assert code == 1 and NO_REGION_EC2 in out


def test_the_translator_refuses_a_config_without_region_even_from_default(root):
    # `default` needs no region to download (downloader.go), the translator does (translate/agent/ruleRegion.go).
    (root / "etc" / "common-config.toml").write_text("")
    code, out, err = ctl(root, "-a", "fetch-config", "-m", "onPremise", "-c", "default")
    assert code == 1
    assert "Under path : /agent/ruleRegion/ | Error : Region info is missing for mode: onPremise" in err


# ---------------------------------------------------------------------- mode (translator/util/sdkutil.go)

class MetadataAnswering:
    """Stands in for instance metadata that answers, for the one question DetectAgentMode asks."""

    def region(self):
        return "eu-central-1"


def test_auto_mode_is_ec2_when_metadata_answers_else_on_premise(root, tmp_path):
    agent = load_agent()
    assert agent.detect_mode("auto", MetadataAnswering()) == "ec2"
    assert agent.detect_mode("auto", agent.Metadata()) == "onPremise"
    assert agent.detect_mode("onPrem", agent.Metadata()) == "onPremise"
    on_premise(root)
    source = write(tmp_path / "ok.json", VALID)
    assert ctl(root, "-a", "fetch-config", "-m", "auto", "-c", "file:" + source)[0] == 0
    assert toml_state(root)["mode"] == "onPremise"


# --------------------------------------------------------------------------- translator rules beyond the schema

@pytest.mark.parametrize("config, message", [
    # translator/translate/metrics/util/measurementutil.go with metrics/config/registered_metrics.go
    ({"metrics": {"metrics_collected": {"mem": {"measurement": ["mem_used_percentage"]}}}},
     "Under path : /metrics/metrics_collected/mem/ | Error : measurement name mem_used_percentage is invalid"),
    ({"metrics": {"metrics_collected": {"disk": {"measurement": [{"name": "usage", "rename": "D"}]}}}},
     "measurement name usage is invalid"),
    # translator/translate/logs/util/validate_fields.go validateLogRetentionSettings
    ({"logs": {"logs_collected": {"files": {"collect_list": [
        {"file_path": "/var/log/a.log", "log_group_name": "App", "retention_in_days": 7},
        {"file_path": "/var/log/b.log", "log_group_name": "app", "retention_in_days": 14}]}}}},
     "Different retention_in_days values can't be set for the same log group: app"),
])
def test_the_translator_refuses_what_the_schema_lets_through(root, tmp_path, config, message):
    on_premise(root)
    source = write(tmp_path / "config.json", config)
    code, out, err = ctl(root, "-a", "fetch-config", "-m", "onPremise", "-c", "file:" + source,
                         schema=shared_file(SCHEMA))
    assert code == 1 and message in err and FIRST_PHASE in err
    assert listing(root) == (["amazon-cloudwatch-agent.d"], [])


def test_on_premise_run_as_user_needs_a_credentials_file(root, tmp_path):
    # translator/cmdutil/credentials.go VerifyCredentials
    common = '[credentials]\nshared_credential_profile = "AmazonCloudWatchAgent"\n'
    (root / "etc" / "common-config.toml").write_text(common)
    source = write(tmp_path / "config.json", dict(VALID, agent={"run_as_user": "cwagent", "region": "eu-west-1"}))
    code, out, err = ctl(root, "-a", "fetch-config", "-m", "onPremise", "-c", "file:" + source,
                         env={"AWS_REGION": "eu-west-1"})
    assert code == 1 and "E! Credentials path is not set while runasuser is not root" in err


# ---------------------------------------------------------------------- run_as_user (internal/util/user/)

@pytest.mark.skipif(os.geteuid() != 0, reason="changing owners needs root")
def test_run_as_user_hands_the_folders_over_as_the_real_agent_does(root):
    agent = load_agent()
    nobody = pwd.getpwnam("nobody")
    (root / "etc" / "credentials").write_text("[x]\n")
    os.chmod(root / "etc" / "credentials", 0o600)
    (root / "etc" / "tool").write_text("#!/bin/sh\n")
    os.chmod(root / "etc" / "tool", 0o755)
    (root / "var" / "shared").write_text("")
    os.chmod(root / "var" / "shared", 0o666)
    os.symlink("/etc/hostname", root / "logs" / "link")
    for folder in ("etc", "logs", "var"):
        agent.chown_tree(nobody.pw_uid, nobody.pw_gid, str(root / folder))
    owner = lambda name: os.lstat(root / name).st_uid  # noqa: E731
    assert owner("etc") == owner("etc/credentials") == owner("etc/amazon-cloudwatch-agent.d") == nobody.pw_uid
    assert owner("logs") == owner("var") == nobody.pw_uid
    # userutil.go chownRecursive skips executables, world-writable files and symbolic links.
    assert owner("etc/tool") == owner("var/shared") == owner("logs/link") == 0
    assert os.stat(root / "etc" / "credentials").st_mode & 0o777 == 0o600


def test_run_as_user_unknown_fails_the_start_naming_the_user():
    agent = load_agent()
    with pytest.raises(agent.ServiceError) as error:
        agent.change_user("no-such-agent-user")
    assert "unknown user no-such-agent-user" in str(error.value)
    with pytest.raises(agent.ConfigError):
        agent.run_as_user({"agent": {"run_as_user": 0}})


def test_a_credentials_file_the_agent_cannot_read_gives_no_credentials(tmp_path):
    agent = load_agent()
    with pytest.raises(agent.NoCredentials) as error:
        agent.shared_session({"shared_credential_file": str(tmp_path / "absent"), "region": "eu-west-1"})
    assert "SharedCredsLoad: failed to load shared credentials file" in str(error.value)


# ---------------------------------------------------------------------- proxy (translator/util/proxyutil.go)

def test_proxy_applies_to_metadata_unless_no_proxy_lists_it_and_never_to_loopback(root, monkeypatch):
    agent = load_agent()
    agent.apply_proxy_env({"proxy": {"http_proxy": "http://proxy.example:3128", "https_proxy": "http://p:3128"}})
    assert agent.proxy_for("http://169.254.169.254/latest/api/token") == "http://proxy.example:3128"
    assert agent.proxy_for("http://[fd00:ec2::254]/latest/api/token") == "http://proxy.example:3128"
    assert agent.proxy_for("https://monitoring.eu-west-1.amazonaws.com") == "http://p:3128"
    assert agent.proxy_for("http://127.0.0.1:8080/") is None and agent.proxy_for("http://localhost/") is None
    monkeypatch.setenv("NO_PROXY", "169.254.169.254,fd00:ec2::254,.amazonaws.com")
    assert agent.proxy_for("http://169.254.169.254/latest/api/token") is None
    assert agent.proxy_for("http://[fd00:ec2::254]/latest/api/token") is None
    assert agent.proxy_for("https://monitoring.eu-west-1.amazonaws.com") is None


# ---------------------------------------------------------------------- placeholders and streams

def test_placeholders_on_premise_follow_placeholder_util(root):
    agent = load_agent()
    assert agent.expand("{instance_id}", {}) == "i-UNKNOWN"
    assert agent.expand("{hostname}/{aws_region}", {}, "eu-west-1") == socket.gethostname() + "/eu-west-1"
    assert agent.expand("{instance_id}", {"instanceId": "i-0abc"}) == "i-0abc"
    assert agent.default_stream("onPremise") == socket.gethostname()
    assert agent.default_stream("ec2") == "{instance_id}"


def test_metric_names_and_dimensions_follow_the_config(root):
    agent = load_agent()
    identity = {"instanceId": "i-0123456789abcdef0", "imageId": "ami-1", "instanceType": "t3.micro"}
    config = {"metrics": {"append_dimensions": {"InstanceId": "${aws:InstanceId}", "ImageId": "${aws:ImageId}",
                                                "AutoScalingGroupName": "${aws:AutoScalingGroupName}"},
                          "metrics_collected": {"mem": {"measurement": ["used_percent", "mem_available_percent"]},
                                                "disk": {"measurement": [{"name": "used_percent",
                                                                          "rename": "DiskUsed"}]}}}}
    data = agent.metric_data(config, identity)
    assert [item["MetricName"] for item in data] == ["DiskUsed", "mem_used_percent", "mem_available_percent"]
    assert data[1]["Dimensions"] == [{"Name": "ImageId", "Value": "ami-1"},
                                     {"Name": "InstanceId", "Value": "i-0123456789abcdef0"}]
    assert {"Name": "path", "Value": "/"} in data[0]["Dimensions"]
    assert 0 < data[1]["Value"] < 100
    without = agent.metric_data({"metrics": {"metrics_collected": {"mem": {"measurement": ["used_percent"]}}}},
                                identity)
    assert [dimension["Name"] for dimension in without[0]["Dimensions"]] == ["host"]


# ---------------------------------------------------------------------- role_arn (ruleGlobalCredentials.go)

def test_role_arn_publishes_with_the_assumed_role_into_its_account(root, aws_clients, monkeypatch):
    import boto3

    agent = load_agent()
    credentials = on_premise(root)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    state = {"mode": "onPremise", "region": "us-east-1", "shared_credential_file": str(credentials),
             "shared_credential_profile": "AmazonCloudWatchAgent"}
    config = dict(VALID, agent={"credentials": {"role_arn": ROLE_ARN}})
    session = agent.session_for(state, config, agent.Metadata())
    caller = session.client("sts").get_caller_identity()
    assert caller["Account"] == "210987654321" and ":assumed-role/CentralMonitoringPublisher/" in caller["Arn"]
    agent.Daemon().send_metrics(session, state, config, {})
    in_role_account = session.client("cloudwatch").list_metrics(Namespace="Test")["Metrics"]
    own = boto3.Session(aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="x", region_name="us-east-1")
    assert [metric["MetricName"] for metric in in_role_account] == ["mem_used_percent"]
    assert own.client("cloudwatch").list_metrics(Namespace="Test")["Metrics"] == []


def test_without_role_arn_the_profile_keys_publish(root, aws_clients, monkeypatch):
    agent = load_agent()
    credentials = on_premise(root)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    state = {"mode": "onPremise", "region": "us-east-1", "shared_credential_file": str(credentials),
             "shared_credential_profile": "AmazonCloudWatchAgent"}
    session = agent.session_for(state, VALID, agent.Metadata())
    assert session.get_credentials().access_key == "AKIAIOSFODNN7EXAMPLE"


# ------------------------------------------------------------------------------------------- the packages

def test_deb_installs_what_the_real_package_installs(tmp_path):
    build = package_build
    deb = build.build_deb("1.2.3", "amd64", str(tmp_path))
    contents = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True, text=True, check=True).stdout
    paths = set(line.split()[5] for line in contents.splitlines())
    for expected in ("./opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl",
                     "./opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent",
                     "./opt/aws/amazon-cloudwatch-agent/bin/CWAGENT_VERSION",
                     "./opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.d/",
                     "./opt/aws/amazon-cloudwatch-agent/etc/common-config.toml",
                     "./opt/aws/amazon-cloudwatch-agent/logs/", "./opt/aws/amazon-cloudwatch-agent/var/",
                     "./etc/systemd/system/amazon-cloudwatch-agent.service", "./usr/bin/amazon-cloudwatch-agent-ctl"):
        assert expected in paths
    fields = subprocess.run(["dpkg-deb", "-f", deb, "Package", "Version", "Architecture"], capture_output=True,
                            text=True, check=True).stdout.split("\n")
    assert fields[:3] == ["Package: amazon-cloudwatch-agent", "Version: 1.2.3", "Architecture: amd64"]
    scripts = subprocess.run(["dpkg-deb", "-I", deb, "postinst"], capture_output=True, text=True, check=True).stdout
    assert "useradd --system" in scripts and "cwagent" in scripts
    again = build.build_deb("1.2.3", "amd64", str(tmp_path / "again"))
    assert open(deb, "rb").read() == open(again, "rb").read(), "builds are reproducible (stable signatures)"


def test_rpm_carries_the_same_files(tmp_path):
    from tests.support.system_packages import install_world_packages

    install_world_packages(with_rpm=True)
    rpm = package_build.build_rpm("1.2.3", "arm64", str(tmp_path))
    query = subprocess.run(["rpm", "-qp", "--qf", "%{NAME} %{VERSION} %{ARCH}\\n", rpm], capture_output=True,
                           text=True, check=True).stdout.strip()
    assert query == "amazon-cloudwatch-agent 1.2.3 aarch64"
    files = subprocess.run(["rpm", "-qpl", rpm], capture_output=True, text=True, check=True).stdout.split()
    assert "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl" in files
    assert "/etc/systemd/system/amazon-cloudwatch-agent.service" in files
    scripts = subprocess.run(["rpm", "-qp", "--scripts", rpm], capture_output=True, text=True, check=True).stdout
    assert "useradd --system" in scripts and "cwagent" in scripts
