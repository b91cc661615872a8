"""module_utils/cloudwatch_agent: which package a host gets and from where, and the configuration the role builds."""

import json

import pytest

from ansible_collections.iamkit.ec2.plugins.module_utils import cloudwatch_agent as agent
from tests.support.paths import shared_file

STRUCTURED = dict(metrics_collection_interval=60, namespace="CWAgent", append_dimensions=["InstanceId"],
                  metrics_collected={"mem": {"measurement": ["mem_used_percent"]},
                                     "disk": {"measurement": ["used_percent"], "resources": ["/"]}},
                  log_files=[])


def load_schema():
    with open(shared_file("cloudwatch-agent/schema.json")) as handle:
        return json.load(handle)


# ------------------------------------------------------------------------------------------ package selection

@pytest.mark.parametrize("distribution, family, machine, expected", [
    ("Debian", "Debian", "x86_64", ("debian", "amd64", "deb")),
    ("Ubuntu", "Debian", "x86_64", ("ubuntu", "amd64", "deb")),
    ("Ubuntu", "Debian", "aarch64", ("ubuntu", "arm64", "deb")),
    # AWS publishes no debian/arm64 package and sends Debian arm64 users to the Ubuntu one.
    ("Debian", "Debian", "aarch64", ("ubuntu", "arm64", "deb")),
    ("Amazon", "RedHat", "x86_64", ("amazon_linux", "amd64", "rpm")),
    ("Amazon", "RedHat", "aarch64", ("amazon_linux", "arm64", "rpm")),
    ("RedHat", "RedHat", "x86_64", ("redhat", "amd64", "rpm")),
    ("RedHat", "RedHat", "arm64", ("redhat", "arm64", "rpm")),
    ("Rocky", "RedHat", "x86_64", ("redhat", "amd64", "rpm")),
    ("CentOS", "RedHat", "x86_64", ("centos", "amd64", "rpm")),
    ("CentOS", "RedHat", "aarch64", ("redhat", "arm64", "rpm")),
    ("SLES", "Suse", "aarch64", ("suse", "arm64", "rpm")),
    # Unknown by name: the OS family decides.
    ("Fedora", "RedHat", "x86_64", ("redhat", "amd64", "rpm")),
    ("Linuxmint", "Debian", "amd64", ("debian", "amd64", "deb")),
])
def test_select_package(distribution, family, machine, expected):
    assert agent.select_package(distribution, family, machine) == expected


def test_select_package_refuses_an_architecture_aws_does_not_build_naming_the_supported_ones():
    with pytest.raises(agent.AgentConfigError) as error:
        agent.select_package("Debian", "Debian", "ppc64le")
    assert "'ppc64le'" in str(error.value) and "aarch64" in str(error.value) and "x86_64" in str(error.value)


def test_select_package_refuses_an_unknown_distribution_naming_the_supported_ones():
    with pytest.raises(agent.AgentConfigError) as error:
        agent.select_package("Gentoo", "Gentoo", "x86_64")
    assert "'Gentoo'" in str(error.value) and "Ubuntu" in str(error.value)


def test_bucket_url_global_and_regional():
    assert agent.bucket_url() == "https://amazoncloudwatch-agent.s3.amazonaws.com"
    assert agent.bucket_url("eu-west-3") == "https://amazoncloudwatch-agent-eu-west-3.s3.eu-west-3.amazonaws.com"


def test_package_url_latest_pinned_and_mirror():
    assert (agent.package_url(agent.bucket_url(), "ubuntu", "arm64", "latest", "deb")
            == "https://amazoncloudwatch-agent.s3.amazonaws.com/ubuntu/arm64/latest/amazon-cloudwatch-agent.deb")
    assert (agent.package_url("http://mirror.example/cwagent/", "amazon_linux", "amd64", "1.300049.1b929", "rpm")
            == "http://mirror.example/cwagent/amazon_linux/amd64/1.300049.1b929/amazon-cloudwatch-agent.rpm")


# ------------------------------------------------------------------------------------------ configuration

def test_build_config_defaults_collect_memory_and_disk_with_the_instance_id_dimension():
    config = agent.build_config(STRUCTURED)
    assert config == {
        "agent": {"metrics_collection_interval": 60},
        "metrics": {"namespace": "CWAgent", "append_dimensions": {"InstanceId": "${aws:InstanceId}"},
                    "metrics_collected": STRUCTURED["metrics_collected"]},
    }
    assert agent.check_config(config) == []


def test_build_config_log_files_region_and_agent_settings():
    structured = dict(STRUCTURED, region="eu-west-1", run_as_user="cwagent", debug=True, metrics_collected={},
                      log_files=[{"file_path": "/var/log/syslog", "log_group_name": "syslog"},
                                 {"file_path": "/var/log/app/*.log", "log_group_name": "app",
                                  "log_stream_name": "{hostname}", "retention_in_days": 7}])
    config = agent.build_config(structured)
    assert config["agent"] == {"metrics_collection_interval": 60, "region": "eu-west-1", "run_as_user": "cwagent",
                               "debug": True}
    assert "metrics" not in config
    assert config["logs"]["logs_collected"]["files"]["collect_list"] == [
        # No stream name given: the agent names it (instance id on EC2, host name on premises).
        {"file_path": "/var/log/syslog", "log_group_name": "syslog"},
        {"file_path": "/var/log/app/*.log", "log_group_name": "app", "log_stream_name": "{hostname}",
         "retention_in_days": 7},
    ]
    assert agent.check_config(config) == []


def test_build_config_endpoint_override_and_flush_interval_reach_metrics_and_logs():
    structured = dict(STRUCTURED, endpoint_override="https://vpce-0a1b.monitoring.eu-west-1.vpce.amazonaws.com",
                      log_files=[{"file_path": "/var/log/syslog", "log_group_name": "syslog"}])
    config = agent.build_config(structured)
    assert config["metrics"]["endpoint_override"] == structured["endpoint_override"]
    assert config["logs"]["endpoint_override"] == structured["endpoint_override"]
    assert agent.schema_problems(config, load_schema()) == []
    flushed = agent.build_config(dict(structured, force_flush_interval=5))
    assert flushed["metrics"]["force_flush_interval"] == flushed["logs"]["force_flush_interval"] == 5
    assert agent.schema_problems(flushed, load_schema()) == []
    # Without logs to send, no logs section is made for the endpoint alone.
    assert "logs" not in agent.build_config(dict(STRUCTURED, endpoint_override="http://127.0.0.1:1"))


@pytest.mark.parametrize("config, expected", [
    ({}, "must be a non-empty dict"),
    ({"agent": {}, "metric": {}}, "unknown sections ['metric']"),
    ({"agent": {"metrics_collection_interval": 60}}, "collects nothing"),
    ({"metrics": {"metrics_collected": {}}}, "metrics.metrics_collected is required"),
    ({"metrics": {"metrics_collected": {"mem": {"measurement": ["mem_used_percent"]}},
                  "append_dimensions": {"InstanceId": "i-123"}}}, "append_dimensions.InstanceId='i-123'"),
    ({"logs": {"logs_collected": {"files": {"collect_list": [{"log_group_name": "g"}]}}}},
     "collect_list[0].file_path is required"),
    ({"logs": {"logs_collected": {}}}, "needs files.collect_list entries"),
])
def test_check_config_names_the_problem_and_where(config, expected):
    problems = agent.check_config(config, "cloudwatch_agent_config")
    assert any(expected in problem for problem in problems), problems
    assert all(problem.startswith("cloudwatch_agent_config") for problem in problems)


def test_the_configuration_the_role_builds_validates_against_aws_schema():
    structured = dict(STRUCTURED, region="eu-west-1",
                      log_files=[{"file_path": "/var/log/syslog", "log_group_name": "syslog"}])
    assert agent.schema_problems(agent.build_config(structured), load_schema()) == []


@pytest.mark.parametrize("sample", ["basic_config_linux.json", "advanced_config_linux.json",
                                    "complete_linux_config.json"])
def test_aws_samples_pass_both_checks(sample):
    with open(shared_file("cloudwatch-agent/" + sample)) as handle:
        config = json.load(handle)
    assert agent.schema_problems(config, load_schema()) == []
    assert agent.check_config(config) == []


def test_schema_refuses_what_the_agent_would_refuse_with_the_schema_message():
    config = agent.build_config(STRUCTURED)
    config["agent"]["metrics_collection_interval"] = "often"
    config["metrics"]["no_such_setting"] = True
    problems = agent.schema_problems(config, load_schema())
    assert any(p.startswith("agent/metrics_collection_interval: 'often' is not of type 'integer'") for p in problems)
    assert any(p.startswith("metrics: Additional properties are not allowed ('no_such_setting'") for p in problems)


def test_ssm_parameter_must_be_readable_under_the_managed_policy():
    agent.check_ssm_parameter("AmazonCloudWatch-linux")
    with pytest.raises(agent.AgentConfigError) as error:
        agent.check_ssm_parameter("cwagent-linux")
    assert "cloudwatch_agent_ssm_parameter='cwagent-linux'" in str(error.value)
    assert "AmazonCloudWatch-*" in str(error.value)


def test_render_is_stable_whatever_the_key_order():
    one = agent.render({"metrics": {"b": 1, "a": 2}, "agent": {"x": 1}})
    two = agent.render({"agent": {"x": 1}, "metrics": {"a": 2, "b": 1}})
    assert one == two and one.endswith("\n") and json.loads(one) == {"agent": {"x": 1}, "metrics": {"a": 2, "b": 1}}


# ------------------------------------------------------------------------- the module's checking pipeline

def test_schema_problems_come_after_the_roles_own_checks_pass():
    config = agent.build_config(STRUCTURED)
    config["metrics"]["no_such_setting"] = True
    problems = agent.config_problems(config, "cloudwatch_agent_config", shared_file("cloudwatch-agent/schema.json"))
    assert problems and all(p.startswith("configuration validation against AWS's schema failed: ") for p in problems)
    assert any("no_such_setting" in p for p in problems)


def test_the_schema_is_not_read_while_the_roles_own_checks_fail(tmp_path):
    """A configuration the role's checks refuse reports those, even with a schema file that cannot be read."""
    config = agent.build_config(STRUCTURED)
    config["metrics"]["metrics_collected"] = {}
    problems = agent.config_problems(config, "cloudwatch_agent_config", str(tmp_path / "missing.json"))
    assert problems and all(p.startswith("cloudwatch_agent_config") for p in problems)


def test_an_unreadable_schema_is_an_error_naming_schema_path(tmp_path):
    path = tmp_path / "schema.json"
    path.write_text("{not json")
    with pytest.raises(agent.AgentConfigError, match="schema_path=%s cannot be read as JSON" % path):
        agent.config_problems(agent.build_config(STRUCTURED), "cloudwatch_agent_config", str(path))


def test_a_whole_configuration_wins_over_the_structured_settings_and_gets_the_role_arn():
    given = {"metrics": {"metrics_collected": {"mem": {"measurement": ["mem_used_percent"]}}}}
    arn = "arn:aws:iam::123456789012:role/publisher"
    wanted = agent.wanted_config(given, dict(STRUCTURED, namespace="Other"), {}, arn)
    assert wanted["metrics"] == given["metrics"]
    assert wanted["agent"]["credentials"] == {"role_arn": arn}
    assert "credentials" not in given.get("agent", {})  # the caller's dict is not changed


def test_without_any_settings_the_defaults_are_built():
    assert agent.wanted_config(None, None, STRUCTURED) == agent.build_config(STRUCTURED)


def test_a_new_parameter_value_gives_a_new_identity():
    first = agent.ssm_identity('{"agent": {}}', 1)
    assert first["ssm_version"] == 1 and len(first["ssm_checksum"]) == 40
    assert agent.ssm_identity('{"agent": {"debug": true}}', 2)["ssm_checksum"] != first["ssm_checksum"]
    assert agent.ssm_identity('{"agent": {}}', 1) == first
