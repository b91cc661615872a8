"""The test world with real hosts (podman containers running systemd), end to end.

The issue's expected outcome: a host whose instance has no profile holds no credentials and publishes
nothing; after the collection's module associates a profile, the same host publishes and the metric shows
in the embedded CloudWatch with the instance's id as dimension; with a profile whose role lacks
CloudWatchAgentServerPolicy the embedded AWS refuses the metric. Then everything stops, leaving nothing.

Run: python -m pytest tests/world -q   (needs root for podman; installs podman & co. when missing)
"""

import json
import os
import subprocess
import sys
import time

import pytest

from tests.support.ansible_cli import aws_env
from tests.support.paths import tool
from tests.support.system_packages import install_world_packages
from tests.support.world import GUARD_RULE
from tests.support.world import LABEL
from tests.support.world import World
from tests.support.world import metadata_address_attempts
from tests.support.world import pid_alive
from tests.world.agent_runs import AGENT_LOG

AGENT_POLICY = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
NAMESPACE = "IamkitWorld"
AGENT_JSON = "/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json"


def agent_config():
    """Memory use every 2 s, sent every 5 s, with the instance id as dimension."""
    return {"agent": {"metrics_collection_interval": 2},
            "metrics": {"namespace": NAMESPACE, "append_dimensions": {"InstanceId": "${aws:InstanceId}"},
                        "force_flush_interval": 5,
                        "metrics_collected": {"mem": {"measurement": ["mem_used_percent"]}}}}


WAIT = 60


def wait_for(what, check):
    """Poll until check() is truthy: agents flush every 2 s, so this returns within a few seconds."""
    deadline = time.monotonic() + WAIT
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail("timed out waiting for %s" % what)
        time.sleep(1)


@pytest.fixture(scope="module")
def podman_world(tmp_path_factory):
    """A test world with two podman hosts, for this module."""
    install_world_packages()
    lines = []
    handle = World(str(tmp_path_factory.mktemp("world")))
    handle.up(hosts=2, log=lines.append)
    print("\n".join(lines))
    yield handle
    handle.down()


def sh(world, host, script):
    return world.exec(host, "bash", "-c", script)


def fetch_config(world, host, config_path):
    """ctl fetch-config in ec2 mode, told the host's metadata address: ctl asks it for the region before it
    reads any JSON (tool/downloader/downloader.go), and a command run by podman exec does not get the
    address systemd gives services (the role passes it the same way)."""
    return world.exec(host, "amazon-cloudwatch-agent-ctl", "-a", "fetch-config", "-m", "ec2", "-s",
                      "-c", "file:" + config_path,
                      env={"AWS_EC2_METADATA_SERVICE_ENDPOINT": world.host(host)["imds_url"]})


def install_agent(world, host, base):
    """Download, verify and install as the role does: (exit code, output)."""
    result = sh(world, host, """set -e
        cd /tmp && rm -f amazon-cloudwatch-agent.deb*
        curl -sSfO {base}/debian/amd64/latest/amazon-cloudwatch-agent.deb
        curl -sSfO {base}/debian/amd64/latest/amazon-cloudwatch-agent.deb.sig
        curl -sSf {mirror}/assets/amazon-cloudwatch-agent.gpg | gpg --batch --quiet --import
        gpg --batch --verify amazon-cloudwatch-agent.deb.sig amazon-cloudwatch-agent.deb
        dpkg -i -E amazon-cloudwatch-agent.deb""".format(base=base, mirror=world.mirror_url))
    return result.returncode, result.stdout + result.stderr


def metadata(world, host, path):
    """HTTP status of an IMDSv2 GET made from inside the host, at the address the world gives it."""
    url = world.host(host)["imds_url"]
    result = sh(world, host, "t=$(curl -sf -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' %s/latest/api/token)"
                             " && curl -s -o /dev/null -w '%%{http_code}' -H \"X-aws-ec2-metadata-token: $t\" %s%s"
                % (url, url, path))
    return result.stdout.strip()


def make_profile(world, name, policy):
    iam = world.aws.client("iam")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
    if policy:
        iam.attach_role_policy(RoleName=name, PolicyArn=policy)
    iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)


def associate_with_module(world, host, profile):
    """Associate through the collection's module, ad hoc, as a user would."""
    env = aws_env(os.path.join(world.state_dir, "ansible"), world.aws)
    command = [tool("ansible"), "localhost", "-i", "localhost,",
               "-c", "local", "-e", "ansible_python_interpreter=%s" % sys.executable,
               "-m", "iamkit.ec2.instance_profile_association",
               "-a", "instance_ids=%s instance_profile=%s endpoint_url=%s region=%s"
               % (world.host(host)["instance_id"], profile, world.aws.endpoint, world.aws.region)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "CHANGED" in result.stdout


def instance_metrics(world, host):
    instance_id = world.host(host)["instance_id"]
    metrics = world.aws.client("cloudwatch").list_metrics(
        Namespace=NAMESPACE, Dimensions=[{"Name": "InstanceId", "Value": instance_id}])["Metrics"]
    return [metric["MetricName"] for metric in metrics]


def put_statuses(world):
    return [call["status"] for call in world.aws.calls() if call["action"] == "PutMetricData"]


def test_hosts_are_systemd_machines_on_loopback(podman_world):
    world = podman_world
    for host in world.hosts:
        assert sh(world, host["name"], "systemctl is-system-running").stdout.strip() in ("running", "degraded")
        assert sh(world, host["name"], "hostname").stdout.strip() == host["name"]
        assert metadata(world, host["name"], "/latest/meta-data/instance-id") == "200"
        instance = sh(world, host["name"], "curl -s -o /dev/null -w '%%{http_code}' %s/latest/meta-data/instance-id"
                      % host["imds_url"])
        assert instance.stdout.strip() == "401", "IMDSv1 is refused"
    inventory = json.loads("".join(open(world.inventory_path).read().split("\n", 1)[1]))
    hosts = inventory["all"]["children"]["world_hosts"]["hosts"]
    assert sorted(hosts) == ["host1", "host2"]
    assert hosts["host1"]["ansible_connection"] == "containers.podman.podman"
    assert hosts["host1"]["instance_id"] == world.host("host1")["instance_id"]


def test_package_from_mirror_verifies_installs_and_tampering_is_refused(podman_world):
    world = podman_world
    code, output = install_agent(world, "host2", world.mirror_url + "/tampered")
    assert code != 0 and "BAD signature" in output
    assert sh(world, "host2", "test -e /opt/aws/amazon-cloudwatch-agent").returncode == 1
    for host in ("host1", "host2"):
        code, output = install_agent(world, host, world.mirror_url)
        assert code == 0, output
        assert "Good signature" in output
        assert sh(world, host, "id -u cwagent && command -v amazon-cloudwatch-agent-ctl && "
                               "cat /opt/aws/amazon-cloudwatch-agent/bin/CWAGENT_VERSION").returncode == 0


def test_no_profile_no_credentials_then_association_publishes(podman_world):
    world = podman_world
    with open(os.path.join(world.state_dir, "agent.json"), "w") as handle:
        json.dump(agent_config(), handle)
    world.podman("cp", os.path.join(world.state_dir, "agent.json"), world.host("host1")["container"] + ":" + AGENT_JSON)
    world.aws.reset_calls()
    started = fetch_config(world, "host1", AGENT_JSON)
    assert started.returncode == 0, started.stderr
    status = json.loads(sh(world, "host1", "amazon-cloudwatch-agent-ctl -a status").stdout)
    assert (status["status"], status["configstatus"]) == ("running", "configured")
    assert sh(world, "host1", "test -e " + AGENT_JSON).returncode == 1, "fetch-config removes the source in etc/"

    # No profile: metadata has no credentials, the host holds no keys, nothing reaches CloudWatch.
    assert metadata(world, "host1", "/latest/meta-data/iam/security-credentials/") == "404"
    # The agent's SDK (aws-sdk-go) tries the environment, a shared profile, then the instance's role, and
    # logs the chain's failure on every flush.
    wait_for("the agent to report missing credentials",
             lambda: "EC2RoleRequestError: no EC2 instance role found" in sh(world, "host1", "cat " + AGENT_LOG).stdout)
    keys = sh(world, "host1", "ls /root/.aws 2>/dev/null; cat /proc/$(systemctl show -p MainPID --value "
                              "amazon-cloudwatch-agent)/environ | tr '\\0' '\\n' | grep -c AWS_ACCESS_KEY_ID")
    assert keys.stdout.strip() == "0"
    assert put_statuses(world) == []
    assert instance_metrics(world, "host1") == []

    make_profile(world, "world-agent", AGENT_POLICY)
    associate_with_module(world, "host1", "world-agent")
    assert metadata(world, "host1", "/latest/meta-data/iam/security-credentials/world-agent") == "200"
    assert wait_for("the metric of host1", lambda: instance_metrics(world, "host1")) == ["mem_used_percent"]
    assert set(put_statuses(world)) == {200}


def test_role_without_policy_is_refused_by_embedded_aws(podman_world):
    world = podman_world
    world.podman("cp", os.path.join(world.state_dir, "agent.json"),
                 world.host("host2")["container"] + ":/tmp/agent.json")
    make_profile(world, "world-no-policy", None)
    associate_with_module(world, "host2", "world-no-policy")
    assert metadata(world, "host2", "/latest/meta-data/iam/security-credentials/world-no-policy") == "200"
    world.aws.reset_calls()
    assert fetch_config(world, "host2", "/tmp/agent.json").returncode == 0

    def refusal_logged():
        text = sh(world, "host2", "cat " + AGENT_LOG).stdout
        return "AccessDenied" in text and text

    log = wait_for("the refusal in host2's agent log", refusal_logged)
    assert "not authorized to perform: cloudwatch:PutMetricData" in log
    assert 403 in put_statuses(world)
    assert instance_metrics(world, "host2") == []


def test_no_request_to_the_real_metadata_address_was_attempted(podman_world):
    """The agents above ran in ec2 mode and re-translate with `-mode auto` at each start, which asks the
    metadata service: every one must have asked its host's own endpoint. The world's firewall rule refuses and
    counts any packet to 169.254.169.254 from anything on this machine, these hosts included."""
    assert subprocess.run(["iptables", "-C"] + GUARD_RULE, capture_output=True, check=False).returncode == 0
    assert metadata_address_attempts() == podman_world.state["metadata_attempts_at_up"]


def test_down_leaves_no_process_or_container(podman_world):
    world = podman_world
    aws_pid, mirror_pid = world.state["aws_pid"], world.state["mirror"]["pid"]
    label = world.state["label"]
    world.down()
    assert not pid_alive(aws_pid) and not pid_alive(mirror_pid)
    left = world.podman("ps", "--all", "--quiet", "--filter", "label=%s=%s" % (LABEL, label)).stdout.split()
    assert left == []
    assert World(world.state_dir).status() == {"up": False, "state_dir": world.state_dir}


def test_on_premise_hosts_are_outside_ec2(tmp_path):
    """--on-premise: no instance, no metadata for the host's services, so an SDK there finds no credentials
    (and asks no address beyond loopback); the inventory carries no instance id."""
    install_world_packages()
    with World.running(str(tmp_path / "world"), hosts=1, log=lambda line: None, on_premise=True) as world:
        reservations = world.aws.client("ec2").describe_instances()["Reservations"]
        service_env = sh(world, "host1", "systemd-run --quiet --wait --pipe --collect env").stdout
        caller = sh(world, "host1", "systemd-run --quiet --wait --pipe --collect --setenv=AWS_DEFAULT_REGION=%s "
                                    "aws sts get-caller-identity" % world.aws.region)
        with open(world.inventory_path) as handle:
            host_vars = json.loads("".join(line for line in handle if not line.startswith("#"))
                                   )["all"]["children"]["world_hosts"]["hosts"]["host1"]
    assert reservations == []
    assert "AWS_EC2_METADATA_DISABLED=true" in service_env.splitlines()
    assert "AWS_EC2_METADATA_SERVICE_ENDPOINT" not in service_env
    assert caller.returncode != 0 and "Unable to locate credentials" in caller.stderr + caller.stdout
    assert "instance_id" not in host_vars and "imds_url" not in host_vars
