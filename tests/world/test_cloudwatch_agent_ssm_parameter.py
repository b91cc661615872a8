"""cloudwatch_agent with its configuration kept in SSM, on a world host outside EC2 (onPremise, run_as_user):
the configuration is applied again when the parameter gets a new version under the same name. Judged from
outside: the playbook's recap and the agent's copy of the parameter on the host. Its own module, so its own
host, run beside the run_as_user tests on another worker.

Run: python -m pytest tests/world/test_cloudwatch_agent_ssm_parameter.py -q   (needs root for podman)
"""

import json

from tests.world.agent_runs import NAMESPACE
from tests.world.agent_runs import run_role
from tests.world.agent_runs import sh


def test_a_new_version_of_the_ssm_parameter_is_applied_again(on_premise_world, agent_keys, tmp_path):
    """Same parameter name, new value: check mode says it would change and leaves the agent's copy; the run
    applies it (the agent's copy is the new value); the run after that changes nothing."""
    world = on_premise_world
    ssm = world.aws.client("ssm")
    name = "AmazonCloudWatch-iamkit-world"
    applied = "/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.d/ssm_" + name

    def value(interval):
        return json.dumps({"agent": {"run_as_user": "cwagent", "metrics_collection_interval": interval},
                           "metrics": {"namespace": NAMESPACE, "force_flush_interval": 5,
                                       "metrics_collected": {"mem": {"measurement": ["mem_used_percent"]}}}})

    ssm.put_parameter(Name=name, Value=value(5), Type="String")
    first = run_role(world, tmp_path, agent_keys, "ssm-first", cloudwatch_agent_ssm_parameter=name)
    assert first["stats"]["host1"]["failures"] == 0
    assert sh(world, "cat " + applied).stdout == value(5)

    ssm.put_parameter(Name=name, Value=value(10), Type="String", Overwrite=True)
    checked = run_role(world, tmp_path, agent_keys, "ssm-check", check=True, cloudwatch_agent_ssm_parameter=name)
    assert checked["stats"]["host1"]["failures"] == 0 and checked["stats"]["host1"]["changed"] > 0
    assert sh(world, "cat " + applied).stdout == value(5)

    second = run_role(world, tmp_path, agent_keys, "ssm-second", cloudwatch_agent_ssm_parameter=name)
    assert second["stats"]["host1"]["failures"] == 0 and second["stats"]["host1"]["changed"] > 0
    assert sh(world, "cat " + applied).stdout == value(10)

    again = run_role(world, tmp_path, agent_keys, "ssm-again", cloudwatch_agent_ssm_parameter=name)
    assert again["stats"]["host1"]["failures"] == 0 and again["stats"]["host1"]["changed"] == 0
