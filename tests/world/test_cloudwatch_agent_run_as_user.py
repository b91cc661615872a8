"""cloudwatch_agent with run_as_user on a real host of the test world (a podman host outside EC2, onPremise).

The agent runs as cwagent, so it reads its credentials file after dropping root; the file is put outside the
agent's etc/ (which the agent hands to its user at each start, internal/util/user/userutil.go), so only the
role's own ownership makes it readable. The test agent reads it as that user and sends nothing when it cannot
(aws-sdk-go SharedCredentialsProvider's "SharedCredsLoad"). Judged from outside: the playbook's recap, the
file's owner and mode and the agent's process owner on the host, and the metrics in CloudWatch (boto3).
A second run changes nothing (no re-owning, so no restart); a file handed back to root is repaired.
A configuration kept in SSM is applied again when the parameter gets a new version under the same name.

Run: python -m pytest tests/world/test_cloudwatch_agent_run_as_user.py -q   (needs root for podman)
"""

import json
import time

import pytest

from tests.support import host_image
from tests.support.ansible_cli import clean_env
from tests.support.ansible_cli import run
from tests.support.paths import COLLECTIONS
from tests.support.paths import ROOT
from tests.support.paths import tool
from tests.support.system_packages import install_world_packages
from tests.support.world import World

AGENT_POLICY = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"
USER = "iamkit-world-run-as-user"
NAMESPACE = "IamkitRunAsUser"
CREDENTIALS = "/etc/iamkit-cwagent-credentials"
AGENT_LOG = "/opt/aws/amazon-cloudwatch-agent/logs/amazon-cloudwatch-agent.log"
WAIT = 60


@pytest.fixture(scope="module")
def on_premise_world(tmp_path_factory):
    """One world host that is a server outside EC2, for this module."""
    install_world_packages()
    lines = []
    handle = World(str(tmp_path_factory.mktemp("world")))
    handle.up(hosts=1, log=lines.append, on_premise=True)
    print("\n".join(lines))
    yield handle
    handle.down()


@pytest.fixture(scope="module")
def agent_keys(on_premise_world):
    """An IAM user allowed what the agent needs, and its access key (made with the admin's keys)."""
    iam = on_premise_world.aws.client("iam")
    iam.create_user(UserName=USER)
    iam.attach_user_policy(UserName=USER, PolicyArn=AGENT_POLICY)
    key = iam.create_access_key(UserName=USER)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def run_role(world, tmp_path, keys, label, check=False, **extra):
    """ansible-playbook iamkit.ec2.cloudwatch_agent (its play becomes root) against the world's host, with
    `extra` role variables; the ansible.posix.json callback's output."""
    settings = {
        "cloudwatch_agent_mode": "onPremise", "cloudwatch_agent_manage_iam": False,
        "cloudwatch_agent_access_key_id": keys[0], "cloudwatch_agent_secret_access_key": keys[1],
        "cloudwatch_agent_region": world.aws.region, "cloudwatch_agent_run_as_user": "cwagent",
        "cloudwatch_agent_credentials_file": CREDENTIALS,
        "cloudwatch_agent_namespace": NAMESPACE, "cloudwatch_agent_append_dimensions": [],
        "cloudwatch_agent_metrics_collection_interval": 5,
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


def test_the_agent_runs_as_its_user_reads_its_credentials_and_never_churns(on_premise_world, agent_keys, tmp_path):
    world = on_premise_world
    first = run_role(world, tmp_path, agent_keys, "first")
    assert first["stats"]["host1"]["failures"] == 0 and first["stats"]["host1"]["changed"] > 0
    # The role's own delivery check ran and found the data (it fails the play otherwise).
    assert [result.get("delivered") for result in delivery_results(first)] == [True]

    assert sh(world, "stat -c '%U %a' " + CREDENTIALS).stdout.split() == ["cwagent", "600"]
    owners = sh(world, "ps -eo user:20,args | grep '[a]mazon-cloudwatch-agent' | grep -v ctl").stdout.split("\n")
    assert owners[0] and all(line.split()[0] == "cwagent" for line in owners if line.strip()), owners
    cloudwatch = world.aws.client("cloudwatch")
    assert cloudwatch.list_metrics(Namespace=NAMESPACE)["Metrics"]

    started = sh(world, "systemctl show -p ExecMainStartTimestampMonotonic amazon-cloudwatch-agent").stdout
    second = run_role(world, tmp_path, agent_keys, "second")
    assert second["stats"]["host1"]["failures"] == 0
    assert second["stats"]["host1"]["changed"] == 0
    # Not restarted either: the same main process start.
    assert sh(world, "systemctl show -p ExecMainStartTimestampMonotonic amazon-cloudwatch-agent").stdout == started


def test_a_credentials_file_root_keeps_is_unreadable_to_the_agent_and_the_role_repairs_it(
        on_premise_world, agent_keys, tmp_path):
    """The check above can fail: handed back to root, the file cannot be read by cwagent and nothing is sent;
    the next run gives it back to the agent's user."""
    world = on_premise_world
    run_role(world, tmp_path, agent_keys, "before")
    mark = sh(world, "wc -l < " + AGENT_LOG).stdout.strip()
    sh(world, "chown root:root %s && systemctl restart amazon-cloudwatch-agent" % CREDENTIALS)
    deadline = time.monotonic() + WAIT
    while "SharedCredsLoad" not in sh(world, "tail -n +%s %s" % (int(mark) + 1, AGENT_LOG)).stdout:
        assert time.monotonic() < deadline, "the agent did not report its unreadable credentials file"
        time.sleep(1)
    repaired = run_role(world, tmp_path, agent_keys, "repair")
    assert repaired["stats"]["host1"]["failures"] == 0 and repaired["stats"]["host1"]["changed"] > 0
    assert sh(world, "stat -c '%U %a' " + CREDENTIALS).stdout.split() == ["cwagent", "600"]
    assert [result.get("delivered") for result in delivery_results(repaired)] == [True]


def test_a_new_version_of_the_ssm_parameter_is_applied_again(on_premise_world, agent_keys, tmp_path):
    """Same parameter name, new value: check mode says it would change and leaves the agent's copy; the run
    applies it (the agent's copy is the new value); the run after that changes nothing."""
    world = on_premise_world
    ssm = world.aws.client("ssm")
    name = "AmazonCloudWatch-iamkit-world"
    applied = "/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.d/ssm_" + name

    def value(interval):
        return json.dumps({"agent": {"run_as_user": "cwagent", "metrics_collection_interval": interval},
                           "metrics": {"namespace": NAMESPACE,
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
