"""Runs of the cloudwatch_agent playbook, onPremise with run_as_user, against a world host outside EC2 (the
on_premise_world fixture, tests/world/conftest.py); the tests judge what they return from outside."""

import json

from tests.support import host_image
from tests.support.ansible_cli import clean_env
from tests.support.ansible_cli import run
from tests.support.paths import COLLECTIONS
from tests.support.paths import ROOT
from tests.support.paths import tool

NAMESPACE = "IamkitRunAsUser"
CREDENTIALS = "/etc/iamkit-cwagent-credentials"
AGENT_LOG = "/opt/aws/amazon-cloudwatch-agent/logs/amazon-cloudwatch-agent.log"
WAIT = 60  # seconds the role (and a test) waits for the agent's data


def run_role(world, tmp_path, keys, label, check=False, **extra):
    """ansible-playbook iamkit.ec2.cloudwatch_agent (its play becomes root) against the world's host, with
    `extra` role variables; the ansible.posix.json callback's output."""
    settings = {
        "cloudwatch_agent_mode": "onPremise", "cloudwatch_agent_manage_iam": False,
        "cloudwatch_agent_access_key_id": keys[0], "cloudwatch_agent_secret_access_key": keys[1],
        "cloudwatch_agent_region": world.aws.region, "cloudwatch_agent_run_as_user": "cwagent",
        "cloudwatch_agent_credentials_file": CREDENTIALS,
        "cloudwatch_agent_namespace": NAMESPACE, "cloudwatch_agent_append_dimensions": [],
        "cloudwatch_agent_metrics_collection_interval": 5, "cloudwatch_agent_force_flush_interval": 5,
        "cloudwatch_agent_download_base_url": world.mirror_url,
        "cloudwatch_agent_gpg_fingerprint": world.state["mirror"]["fingerprint"],
        "cloudwatch_agent_controller_cache": world.state_dir + "/controller-cache",
        "cloudwatch_agent_verify_delivery_timeout": WAIT,
    }
    settings.update(extra)
    if world.state.get("schema"):
        settings["cloudwatch_agent_schema_path"] = world.state["schema"]
    home = tmp_path / label
    home.mkdir()
    env = clean_env(home, collections_path=COLLECTIONS)
    env.update(world.aws.env())
    env.update(host_image.podman_env(world.cache))
    env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.posix.json"
    command = [tool("ansible-playbook"), "iamkit.ec2.cloudwatch_agent", "-i", world.inventory_path,
               "-e", json.dumps(settings)] + (["--check"] if check else [])
    return json.loads(run(command, env, cwd=ROOT, timeout=900).stdout)


def delivery_results(output):
    names = [task["task"]["name"] for play in output["plays"] for task in play["tasks"]]
    found = [result for play in output["plays"] for task in play["tasks"]
             if task["task"]["name"].endswith("Look in CloudWatch for what the agent sent since it started")
             for result in task["hosts"].values()]
    assert found, names
    return found


def sh(world, script):
    return world.exec("host1", "bash", "-c", script)
