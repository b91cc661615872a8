"""cloudwatch_agent with run_as_user on a real host of the test world (a podman host outside EC2, onPremise).

The agent runs as cwagent, so it reads its credentials file after dropping root; the file is put outside the
agent's etc/ (which the agent hands to its user at each start, internal/util/user/userutil.go), so only the
role's own ownership makes it readable. The agent reads it as that user and sends nothing when it cannot
(aws-sdk-go SharedCredentialsProvider's "SharedCredsLoad"). Judged from outside: the playbook's recap, the
file's owner and mode and the agent's process owner on the host, and the metrics in CloudWatch (boto3).
A second run changes nothing (no re-owning, so no restart); a file handed back to root is repaired.

Run: python -m pytest tests/world/test_cloudwatch_agent_run_as_user.py -q   (needs root for podman)
"""

import time

from tests.world.agent_runs import AGENT_LOG
from tests.world.agent_runs import CREDENTIALS
from tests.world.agent_runs import NAMESPACE
from tests.world.agent_runs import WAIT
from tests.world.agent_runs import delivery_results
from tests.world.agent_runs import run_role
from tests.world.agent_runs import sh


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
