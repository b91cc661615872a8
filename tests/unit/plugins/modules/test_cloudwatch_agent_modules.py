"""cloudwatch_agent_config and cloudwatch_agent_package_info, run in-process on the controller side; the SSM
parameter cases read moto in-process."""

import hashlib
import importlib
import io
import json
from contextlib import redirect_stdout

import pytest
from moto.core import set_initial_no_auth_action_count

from tests.support.inprocess import module_args
from tests.support.paths import shared_file


def run(module, args, check_mode=False):
    """main() of a plain AnsibleModule (no AWS options); the result dict, `failed` set on fail_json."""
    target = importlib.import_module("ansible_collections.iamkit.ec2.plugins.modules.%s" % module)
    output = io.StringIO()
    with module_args(dict(args, _ansible_check_mode=check_mode)), redirect_stdout(output):
        with pytest.raises(SystemExit):
            target.main()
    return json.loads(output.getvalue())


# ------------------------------------------------------------------------------------------ cloudwatch_agent_config

def test_defaults_build_memory_disk_and_instance_id_and_pass_aws_schema():
    schema = shared_file("cloudwatch-agent/schema.json")
    result = run("cloudwatch_agent_config", {"structured": {}, "schema_path": schema})
    assert not result.get("failed") and result["changed"] is False and result["schema_checked"] is True
    assert result["config"]["metrics"]["append_dimensions"] == {"InstanceId": "${aws:InstanceId}"}
    assert result["config"]["metrics"]["metrics_collected"] == {
        "mem": {"measurement": ["mem_used_percent"]}, "disk": {"measurement": ["used_percent"], "resources": ["/"]}}


def test_a_whole_config_is_used_as_given():
    config = {"agent": {"metrics_collection_interval": 30},
              "logs": {"logs_collected": {"files": {"collect_list": [{"file_path": "/x.log", "log_group_name": "x"}]}}}}
    result = run("cloudwatch_agent_config", {"config": config, "structured": {"namespace": "Ignored"}})
    assert result["config"] == config


def test_the_role_checks_refuse_before_any_host_naming_the_option():
    result = run("cloudwatch_agent_config", {"config": {"agent": {}, "metric": {"metrics_collected": {}}}})
    assert result["failed"]
    assert "cloudwatch_agent_config has unknown sections ['metric']" in result["msg"]
    assert "agent, metrics, logs, traces, opentelemetry" in result["msg"]


def test_aws_schema_refuses_with_its_own_message():
    config = {"agent": {"metrics_collection_interval": "often"},
              "metrics": {"metrics_collected": {"mem": {"measurement": ["mem_used_percent"]}}}}
    result = run("cloudwatch_agent_config", {"config": config,
                                             "schema_path": shared_file("cloudwatch-agent/schema.json")})
    assert result["failed"]
    assert "validation against AWS's schema failed: agent/metrics_collection_interval: 'often' is not of type" \
        in result["msg"]


def test_an_unreadable_schema_fails_naming_the_path(tmp_path):
    path = tmp_path / "schema.json"
    path.write_text("not json")
    result = run("cloudwatch_agent_config", {"structured": {}, "schema_path": str(path)})
    assert result["failed"] and "schema_path=%s cannot be read as JSON" % path in result["msg"]


def test_a_bad_dimension_fails_naming_the_allowed_values():
    result = run("cloudwatch_agent_config", {"structured": {"append_dimensions": ["Hostname"]}})
    assert result["failed"] and "append_dimensions" in result["msg"] and "InstanceId" in result["msg"]


SSM_CONFIG = {"metrics": {"metrics_collected": {"mem": {"measurement": ["mem_used_percent"]}}}}


def test_ssm_parameter_gives_its_version_and_checksum_and_reads_only(aws_clients, module_runner, calls):
    ssm = aws_clients("ssm")
    text = json.dumps(SSM_CONFIG)
    ssm.put_parameter(Name="AmazonCloudWatch-web", Value=text, Type="String")
    first = module_runner("cloudwatch_agent_config", {"ssm_parameter": "AmazonCloudWatch-web",
                                                      "schema_path": shared_file("cloudwatch-agent/schema.json")})
    assert not first.get("failed"), first
    assert (first["ssm_version"], first["ssm_file"], first["config"]) == (1, "ssm_AmazonCloudWatch-web", SSM_CONFIG)
    assert first["ssm_checksum"] == hashlib.sha1(text.encode()).hexdigest() and first["schema_checked"]
    assert calls.actions == ["GetParameter"] and first["changed"] is False
    changed = json.dumps({"logs": {"logs_collected": {"files": {"collect_list": [
        {"file_path": "/var/log/syslog", "log_group_name": "syslog"}]}}}})
    ssm.put_parameter(Name="AmazonCloudWatch-web", Value=changed, Type="String", Overwrite=True)
    second = module_runner("cloudwatch_agent_config", {"ssm_parameter": "AmazonCloudWatch-web"})
    assert second["ssm_version"] == 2 and second["ssm_checksum"] == hashlib.sha1(changed.encode()).hexdigest()


@pytest.mark.parametrize("value, expected", [
    ("{not json", "SSM parameter AmazonCloudWatch-web does not hold a JSON configuration"),
    (json.dumps({"metric": {}}), "SSM parameter AmazonCloudWatch-web has unknown sections ['metric']"),
])
def test_a_bad_ssm_configuration_fails_naming_the_parameter(aws_clients, module_runner, value, expected):
    aws_clients("ssm").put_parameter(Name="AmazonCloudWatch-web", Value=value, Type="String")
    result = module_runner("cloudwatch_agent_config", {"ssm_parameter": "AmazonCloudWatch-web"})
    assert result["failed"] and expected in result["msg"], result["msg"]


def test_a_missing_ssm_parameter_fails_naming_it_and_the_region(aws_clients, module_runner):
    result = module_runner("cloudwatch_agent_config", {"ssm_parameter": "AmazonCloudWatch-absent"})
    assert result["failed"] and "ssm_parameter=AmazonCloudWatch-absent does not exist in us-east-1" in result["msg"]


def test_a_badly_named_ssm_parameter_fails_before_any_call(aws_clients, module_runner, calls):
    result = module_runner("cloudwatch_agent_config", {"ssm_parameter": "web-agent"})
    assert result["failed"] and "AmazonCloudWatch-*" in result["msg"] and calls.actions == []


@set_initial_no_auth_action_count(3)
def test_an_ssm_parameter_the_controller_may_not_read_warns_and_gives_no_version(aws_clients, module_runner):
    iam = aws_clients("iam")
    iam.create_user(UserName="no-ssm")
    key = iam.create_access_key(UserName="no-ssm")["AccessKey"]
    aws_clients("ssm").put_parameter(Name="AmazonCloudWatch-web", Value="{}", Type="String")
    result = module_runner("cloudwatch_agent_config", {
        "ssm_parameter": "AmazonCloudWatch-web", "access_key": key["AccessKeyId"],
        "secret_key": key["SecretAccessKey"]})
    assert not result.get("failed"), result
    assert result["ssm_version"] is None and result["ssm_checksum"] is None
    assert "cannot read SSM parameter AmazonCloudWatch-web from the controller" in json.dumps(result["warnings"])


def test_config_and_ssm_parameter_exclude_each_other():
    result = run("cloudwatch_agent_config", {"config": {"agent": {}}, "ssm_parameter": "AmazonCloudWatch-x"})
    assert result["failed"] and "mutually exclusive" in result["msg"]


ROLE_ARN = "arn:aws:iam::210987654321:role/CentralMonitoringPublisher"


def test_role_arn_goes_into_agent_credentials_and_passes_aws_schema():
    result = run("cloudwatch_agent_config", {"structured": {"region": "eu-west-1"}, "role_arn": ROLE_ARN,
                                             "schema_path": shared_file("cloudwatch-agent/schema.json")})
    assert not result.get("failed"), result
    assert result["config"]["agent"] == {"metrics_collection_interval": 60, "region": "eu-west-1",
                                         "credentials": {"role_arn": ROLE_ARN}}


def test_role_arn_is_added_to_a_whole_config_keeping_the_rest():
    config = {"agent": {"metrics_collection_interval": 30, "credentials": {}},
              "metrics": {"metrics_collected": {"mem": {"measurement": ["mem_used_percent"]}}}}
    result = run("cloudwatch_agent_config", {"config": config, "role_arn": ROLE_ARN})
    assert result["config"]["agent"] == {"metrics_collection_interval": 30, "credentials": {"role_arn": ROLE_ARN}}
    assert result["config"]["metrics"] == config["metrics"]


@pytest.mark.parametrize("args, expected", [
    ({"config": {"agent": {"credentials": {"role_arn": "arn:aws:iam::123456789012:role/Other"}},
                 "metrics": {"metrics_collected": {"mem": {"measurement": ["mem_used_percent"]}}}},
      "role_arn": ROLE_ARN}, "conflicts with agent.credentials.role_arn='arn:aws:iam::123456789012:role/Other'"),
    ({"structured": {}, "role_arn": "CentralMonitoringPublisher"},
     "cloudwatch_agent_role_arn='CentralMonitoringPublisher' is not an IAM role ARN"),
    ({"ssm_parameter": "AmazonCloudWatch-web", "role_arn": ROLE_ARN},
     "cannot be added to a configuration kept in SSM (ssm_parameter=AmazonCloudWatch-web)"),
])
def test_role_arn_refusals_name_the_variable(args, expected):
    result = run("cloudwatch_agent_config", args)
    assert result["failed"] and expected in result["msg"], result["msg"]


# ---------------------------------------------------------------------------------- cloudwatch_agent_package_info

GLOBAL = "https://amazoncloudwatch-agent.s3.amazonaws.com"


@pytest.mark.parametrize("facts, expected_url", [
    (("Debian", "Debian", "x86_64"), GLOBAL + "/debian/amd64/latest/amazon-cloudwatch-agent.deb"),
    (("Debian", "Debian", "aarch64"), GLOBAL + "/ubuntu/arm64/latest/amazon-cloudwatch-agent.deb"),
    (("Amazon", "RedHat", "aarch64"), GLOBAL + "/amazon_linux/arm64/latest/amazon-cloudwatch-agent.rpm"),
    (("RedHat", "RedHat", "x86_64"), GLOBAL + "/redhat/amd64/latest/amazon-cloudwatch-agent.rpm"),
])
def test_package_info_global_bucket(facts, expected_url):
    distribution, family, machine = facts
    result = run("cloudwatch_agent_package_info",
                 {"distribution": distribution, "os_family": family, "architecture": machine})
    assert result["changed"] is False
    assert result["url"] == expected_url and result["signature_url"] == expected_url + ".sig"
    assert result["version_url"] == GLOBAL + "/info/latest/CWAGENT_VERSION"
    assert result["key_url"] == GLOBAL + "/assets/amazon-cloudwatch-agent.gpg"
    assert result["package_type"] == expected_url.rsplit(".", 1)[1]


def test_package_info_regional_bucket_and_pinned_version():
    result = run("cloudwatch_agent_package_info", {"distribution": "Ubuntu", "os_family": "Debian",
                                                   "architecture": "aarch64", "region": "eu-west-3",
                                                   "version": "1.300049.1b929"})
    assert result["url"] == ("https://amazoncloudwatch-agent-eu-west-3.s3.eu-west-3.amazonaws.com"
                             "/ubuntu/arm64/1.300049.1b929/amazon-cloudwatch-agent.deb")
    assert (result["platform"], result["arch"], result["package_type"]) == ("ubuntu", "arm64", "deb")
    # AWS publishes the key in the global bucket only: regional buckets carry the packages.
    assert result["key_url"] == GLOBAL + "/assets/amazon-cloudwatch-agent.gpg"


def test_package_info_mirror_wins_over_region():
    result = run("cloudwatch_agent_package_info", {"distribution": "Amazon", "architecture": "x86_64",
                                                   "base_url": "http://127.0.0.1:8080/cw/", "region": "eu-west-3"})
    assert result["url"] == "http://127.0.0.1:8080/cw/amazon_linux/amd64/latest/amazon-cloudwatch-agent.rpm"
    assert result["key_url"] == "http://127.0.0.1:8080/cw/assets/amazon-cloudwatch-agent.gpg"


def test_package_info_refuses_an_unsupported_architecture():
    result = run("cloudwatch_agent_package_info", {"distribution": "Debian", "architecture": "s390x"})
    assert result["failed"] and "'s390x'" in result["msg"] and "x86_64" in result["msg"]
