"""The test agent's ctl: the real flags with the real effects (../shared/cloudwatch-agent/FACTS.md), validated
against AWS's own schema; and the package that installs it, built with dpkg-deb (and rpmbuild where present)."""

import importlib.util
import json
import os
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


@pytest.fixture
def root(tmp_path, monkeypatch):
    root = tmp_path / "opt"
    for folder in ("bin", "etc/amazon-cloudwatch-agent.d", "logs", "var"):
        (root / folder).mkdir(parents=True)
    (root / "bin" / "CWAGENT_VERSION").write_text("1.0.test\n")
    monkeypatch.setenv("CWAGENT_ROOT", str(root))
    return root


def ctl(root, *args, schema=None, required=False):
    """Run the ctl as a command, as Ansible would: (exit code, stdout, stderr)."""
    env = dict(os.environ, CWAGENT_ROOT=str(root), CWAGENT_SCHEMA=schema or str(root / "no-schema.json"))
    if required:
        env["CWAGENT_SCHEMA_REQUIRED"] = "1"
    result = subprocess.run([sys.executable, AGENT] + list(args), env=env, capture_output=True, text=True,
                            check=False)
    return result.returncode, result.stdout, result.stderr


def write(path, document):
    path.write_text(json.dumps(document) if not isinstance(document, str) else document)
    return str(path)


def listing(root):
    return sorted(os.listdir(root / "etc")), sorted(os.listdir(root / "etc" / "amazon-cloudwatch-agent.d"))


@pytest.mark.parametrize("sample", ["basic_config_linux.json", "advanced_config_linux.json",
                                    "complete_linux_config.json"])
def test_aws_samples_pass_fetch_config(root, sample):
    schema = shared_file("cloudwatch-agent/schema.json")
    source = shared_file("cloudwatch-agent/" + sample)
    code, out, err = ctl(root, "-a", "fetch-config", "-m", "ec2", "-c", "file:" + source, schema=schema)
    assert (code, err) == (0, "")
    assert listing(root)[1] == ["file_" + sample]
    assert os.path.exists(source), "a source outside etc/ stays where it is"


def test_invalid_config_fails_first_phase_with_the_schema_message(root, tmp_path):
    schema = shared_file("cloudwatch-agent/schema.json")
    bad = write(tmp_path / "bad.json", {"metrics": {"metrics_collected": {"mem": {}}, "bogus_key": 1}})
    code, out, err = ctl(root, "-a", "fetch-config", "-c", "file:" + bad, schema=schema)
    assert code == 1
    assert FIRST_PHASE in err
    assert "Under path : /metrics | Error : Additional properties are not allowed ('bogus_key' was unexpected)" in err
    assert listing(root) == (["amazon-cloudwatch-agent.d"], []), "a refused config changes nothing"
    assert FIRST_PHASE in (root / "logs" / "configuration-validation.log").read_text()


def test_fetch_config_replaces_and_removes_source_json_in_etc(root, tmp_path):
    write(root / "etc" / "amazon-cloudwatch-agent.d" / "file_old.json", VALID)
    source = write(root / "etc" / "amazon-cloudwatch-agent.json", VALID)
    code, out, err = ctl(root, "-a", "fetch-config", "-m", "ec2", "-c", "file:" + source)
    assert code == 0, err
    assert listing(root) == (["amazon-cloudwatch-agent.d", "amazon-cloudwatch-agent.toml"],
                             ["file_amazon-cloudwatch-agent.json"])
    toml = (root / "etc" / "amazon-cloudwatch-agent.toml").read_text()
    assert 'namespace = "Test"' in toml and 'mode = "ec2"' in toml


def test_append_and_remove_config(root, tmp_path):
    first = write(tmp_path / "first.json", VALID)
    second = write(tmp_path / "second.json", {"logs": {"logs_collected": {"files": {"collect_list": [
        {"file_path": "/var/log/x.log", "log_group_name": "x"}]}}}})
    assert ctl(root, "-a", "fetch-config", "-c", "file:" + first)[0] == 0
    assert ctl(root, "-a", "append-config", "-c", "file:" + second)[0] == 0
    assert listing(root)[1] == ["file_first.json", "file_second.json"]
    toml = (root / "etc" / "amazon-cloudwatch-agent.toml").read_text()
    assert "[[logs.logs_collected.files.collect_list]]" in toml and 'namespace = "Test"' in toml
    assert ctl(root, "-a", "remove-config", "-c", "file:" + second)[0] == 0
    assert listing(root)[1] == ["file_first.json"]
    assert "collect_list" not in (root / "etc" / "amazon-cloudwatch-agent.toml").read_text()


def test_without_schema_only_syntax_and_sections_are_checked_and_said(root, tmp_path):
    unknown_section = write(tmp_path / "odd.json", {"metrix": {}})
    code, out, err = ctl(root, "-a", "fetch-config", "-c", "file:" + unknown_section)
    assert code == 1
    assert "schema.json not found" in err and "top-level sections only" in err
    assert "Additional property metrix is not allowed" in err
    broken = write(tmp_path / "broken.json", "{not json")
    code, out, err = ctl(root, "-a", "fetch-config", "-c", "file:" + broken)
    assert code == 1 and "Failed to parse" in err
    # A config the schema would refuse passes the reduced check: the log says why.
    loose = write(tmp_path / "loose.json", {"metrics": {"metrics_collected": {"mem": {}}, "bogus_key": 1}})
    assert ctl(root, "-a", "fetch-config", "-c", "file:" + loose)[0] == 0
    assert "top-level sections only" in (root / "logs" / "configuration-validation.log").read_text()


def test_missing_schema_is_a_failure_when_required(root, tmp_path):
    source = write(tmp_path / "ok.json", VALID)
    code, out, err = ctl(root, "-a", "fetch-config", "-c", "file:" + source, required=True)
    assert code == 1 and "schema.json not found" in err
    assert listing(root) == (["amazon-cloudwatch-agent.d"], [])


def test_bad_flags_are_refused_naming_the_choices(root):
    code, out, err = ctl(root, "-a", "explode")
    assert code == 2 and "invalid choice: 'explode'" in err and "fetch-config" in err
    code, out, err = ctl(root, "-a", "fetch-config", "-c", "nowhere:x")
    assert code == 1 and "use default, ssm:<name> or file:<path>" in err


def test_status_shape_when_stopped(root):
    code, out, err = ctl(root, "-a", "status")
    assert code == 0
    assert json.loads(out) == {"status": "stopped", "starttime": "", "configstatus": "not configured",
                               "version": "1.0.test"}


def load_agent():
    spec = importlib.util.spec_from_file_location("iamkit_test_agent_dims", AGENT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
    build = package_build
    if not build.can_build_rpm():
        pytest.skip("rpmbuild not installed (python -m tests.support.system_packages --rpm installs it)")
    rpm = build.build_rpm("1.2.3", "arm64", str(tmp_path))
    query = subprocess.run(["rpm", "-qp", "--qf", "%{NAME} %{VERSION} %{ARCH}\\n", rpm], capture_output=True,
                           text=True, check=True).stdout.strip()
    assert query == "amazon-cloudwatch-agent 1.2.3 aarch64"
    files = subprocess.run(["rpm", "-qpl", rpm], capture_output=True, text=True, check=True).stdout.split()
    assert "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl" in files
    assert "/etc/systemd/system/amazon-cloudwatch-agent.service" in files
