"""The real agent's ctl and package versions on a world host outside EC2 (onPremise): what the agent itself
says when its settings are incomplete, which mode `-m auto` picks there, and the role moving a host between
two builds (pinned, latest, pinned again), each judged by the agent's own status and the package database.

Run: python -m pytest tests/world/test_cloudwatch_agent_versions.py -q   (needs root for podman)
"""

import json

from tests.support import agent_build
from tests.world.agent_runs import run_role
from tests.world.agent_runs import sh

CTL = "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl"
OLDER, LATEST = agent_build.PACKAGE_VERSIONS[0], agent_build.PACKAGE_VERSIONS[-1]


def agent_status(world):
    return json.loads(sh(world, CTL + " -a status").stdout)


def installed_version(world):
    return sh(world, "dpkg-query -W -f '${Version}' amazon-cloudwatch-agent").stdout


def test_the_role_pins_upgrades_and_downgrades_between_two_builds(on_premise_world, agent_keys, tmp_path):
    world = on_premise_world
    for label, version, expected in (("pinned", OLDER, OLDER), ("latest", "latest", LATEST),
                                     ("downgrade", OLDER, OLDER)):
        result = run_role(world, tmp_path, agent_keys, label, cloudwatch_agent_version=version)
        assert result["stats"]["host1"]["failures"] == 0 and result["stats"]["host1"]["changed"] > 0, label
        status = agent_status(world)
        assert (status["version"], status["status"], status["configstatus"]) == (expected, "running", "configured")
        assert installed_version(world) == expected + "-1"
    again = run_role(world, tmp_path, agent_keys, "again", cloudwatch_agent_version=OLDER)
    assert again["stats"]["host1"]["failures"] == 0 and again["stats"]["host1"]["changed"] == 0


def test_the_agents_own_answers_outside_ec2(on_premise_world, agent_keys, tmp_path):
    """Run after the role installed the agent (above, or here when this test runs alone)."""
    world = on_premise_world
    if sh(world, "test -x " + CTL).returncode != 0:
        run_role(world, tmp_path, agent_keys, "install")
    config = {"agent": {"metrics_collection_interval": 60},
              "metrics": {"metrics_collected": {"mem": {"measurement": ["mem_used_percent"]}}}}
    sh(world, "echo '%s' > /tmp/agent.json" % json.dumps(config))
    # -m auto outside EC2 (metadata disabled on this host): the agent takes onPremise, so it needs a region
    # from a credentials profile, and an empty common-config.toml names none; it refuses, saying so.
    sh(world, "cp /opt/aws/amazon-cloudwatch-agent/etc/common-config.toml /tmp/common-config.toml.kept && "
              "printf '' > /opt/aws/amazon-cloudwatch-agent/etc/common-config.toml")
    try:
        refused = sh(world, CTL + " -a fetch-config -m auto -c file:/tmp/agent.json")
    finally:
        sh(world, "cp /tmp/common-config.toml.kept /opt/aws/amazon-cloudwatch-agent/etc/common-config.toml")
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    # The downloader's words when it finds no region outside EC2; in ec2 mode it would point at the metadata
    # service instead (tool/downloader/downloader.go), so this is also the proof that auto chose onPremise.
    assert "please make sure the credentials and region set correctly on your hosts" in output, output
    assert "metadata" not in output, output
