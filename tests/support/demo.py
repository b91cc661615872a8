#!/usr/bin/env python
"""`make demo` on the test world: the collection's cloudwatch_agent playbook on podman hosts that behave like
EC2 instances, then, per host, what it made: role, profile, association, agent status, first metric seen.

    python -m tests.support.demo [--hosts N] [--keep]

Starts a world (world.py) in a temporary folder, runs `ansible-playbook iamkit.ec2.cloudwatch_agent` against
its inventory with the admin's credentials in the environment (as a user would), prints the report and stops
the world unless --keep is given. No secret is printed.
"""

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from tests.support import host_image
from tests.support.embedded_aws import is_write
from tests.support.paths import COLLECTIONS
from tests.support.paths import ROOT
from tests.support.paths import link_collection
from tests.support.world import World

ROLE = "CloudWatchAgentServerRole"
METRIC_WAIT = 60


def playbook_vars(world):
    """What a site with its own mirror would set: where packages come from and which key signs them."""
    settings = {
        "cloudwatch_agent_download_base_url": world.mirror_url,
        "cloudwatch_agent_gpg_fingerprint": world.state["mirror"]["fingerprint"],
        "cloudwatch_agent_metadata_url": "{{ imds_url }}",
        "cloudwatch_agent_controller_cache": os.path.join(world.state_dir, "controller-cache"),
        "cloudwatch_agent_metrics_collection_interval": 10,
        # The agent sends every 10 s instead of its 60 s, so the report shows a metric soon after the run.
        "cloudwatch_agent_force_flush_interval": 10,
    }
    if world.state.get("schema"):
        settings["cloudwatch_agent_schema_path"] = world.state["schema"]
    return settings


def run_playbook(world):
    env = dict(os.environ, **world.aws.env())
    env["ANSIBLE_COLLECTIONS_PATH"] = COLLECTIONS
    env.update(host_image.podman_env(world.cache))
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "iamkit.ec2.cloudwatch_agent",
               "-i", world.inventory_path, "-e", json.dumps(playbook_vars(world))]
    subprocess.run(command, env=env, cwd=ROOT, check=True)


def agent_status(world, host):
    result = world.exec(host["name"], "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl",
                        "-a", "status")
    try:
        status = json.loads(result.stdout)
    except ValueError:
        return "no status (%s)" % (result.stderr.strip() or "agent missing")
    return "%s, %s, version %s" % (status["status"], status["configstatus"], status["version"])


def first_metric(cloudwatch, instance_id):
    """(name, value, unit) of the first metric of this instance seen in CloudWatch, waiting up to METRIC_WAIT s."""
    deadline = time.monotonic() + METRIC_WAIT
    while True:
        metrics = cloudwatch.list_metrics(Namespace="CWAgent",
                                          Dimensions=[{"Name": "InstanceId", "Value": instance_id}])["Metrics"]
        for metric in sorted(metrics, key=lambda m: m["MetricName"]):
            now = datetime.datetime.now(datetime.timezone.utc)
            points = cloudwatch.get_metric_statistics(
                Namespace="CWAgent", MetricName=metric["MetricName"], Dimensions=metric["Dimensions"],
                StartTime=now - datetime.timedelta(hours=1), EndTime=now + datetime.timedelta(minutes=5),
                Period=60, Statistics=["Average"])["Datapoints"]
            if points:
                point = sorted(points, key=lambda p: p["Timestamp"])[0]
                return metric["MetricName"], point["Average"], point.get("Unit", "")
        if time.monotonic() > deadline:
            return None
        time.sleep(1)


def report(world):
    aws = world.aws
    iam, ec2, cloudwatch = aws.client("iam"), aws.client("ec2"), aws.client("cloudwatch")
    role = iam.get_role(RoleName=ROLE)["Role"]
    policies = [p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"]]
    profile = iam.get_instance_profile(InstanceProfileName=ROLE)["InstanceProfile"]
    print("\n== What the cloudwatch_agent playbook made (embedded AWS %s)" % aws.endpoint)
    print("role     %s  policies: %s" % (role["Arn"], ", ".join(policies)))
    print("profile  %s  holds: %s" % (profile["Arn"], ", ".join(r["RoleName"] for r in profile["Roles"])))
    for host in world.hosts:
        found = ec2.describe_iam_instance_profile_associations(
            Filters=[{"Name": "instance-id", "Values": [host["instance_id"]]}])["IamInstanceProfileAssociations"]
        association = ("%s %s" % (found[0]["State"], found[0]["IamInstanceProfile"]["Arn"].rsplit("/", 1)[1])
                       if found else "none")
        metric = first_metric(cloudwatch, host["instance_id"])
        seen = "%s = %.2f %s" % metric if metric else "none within %d s" % METRIC_WAIT
        print("%s  %s\n    association: %s\n    agent:       %s\n    first metric: %s"
              % (host["name"], host["instance_id"], association, agent_status(world, host), seen))


# What the agents send on their own while the playbook runs; not the playbook's calls.
AGENT_SERVICES = ("monitoring", "logs")


def count_calls(aws):
    """(calls, writes) of the playbook since the call log was last emptied; empties it."""
    actions = [call["action"] for call in aws.calls() if call["service"] not in AGENT_SERVICES]
    aws.reset_calls()
    return len(actions), len([action for action in actions if is_write(action)])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--hosts", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="leave the world running (stop it with world.py down)")
    args = parser.parse_args(argv)
    # `make demo` runs outside pytest, so the link that makes this checkout iamkit.ec2 is made here too.
    link_collection()
    state = tempfile.mkdtemp(prefix="iamkit-demo-world-")
    world = World(state).up(args.hosts)
    try:
        world.aws.reset_calls()
        run_playbook(world)
        first = count_calls(world.aws)
        # The same run again: it must find nothing to do, in AWS and on the hosts.
        run_playbook(world)
        second = count_calls(world.aws)
        report(world)
        print("AWS API calls of the playbook for %d host(s): first run %d (%d writes), second run %d (%d writes)"
              % ((len(world.hosts),) + first + second))
        if second[1]:
            print("the second run wrote to AWS: the playbook is not idempotent", file=sys.stderr)
            return 1
    finally:
        if args.keep:
            print("world kept: python -m tests.support.world down --state %s" % state)
        else:
            world.down()
            shutil.rmtree(state, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
