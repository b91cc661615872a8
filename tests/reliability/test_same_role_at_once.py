"""Two runs converging the same role at the same moment both succeed, and neither waits out an error that
means "the other run did it": creates meet EntityAlreadyExists and LimitExceeded, removals meet NoSuchEntity.

The runs go through the engine (engine.execute, as the module's main() does) in two threads against the
embedded AWS, each on an InstantClock: a retry loop would show as sleeps."""

import threading

import pytest

from ansible_collections.iamkit.ec2.plugins.module_utils import engine
from ansible_collections.iamkit.ec2.plugins.module_utils.aws import Connection
from ansible_collections.iamkit.ec2.plugins.modules.iam_role import RESOURCE
from tests.support.inprocess import InstantClock

CW = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"
INLINE = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
ARGS = dict(path=None, assume_role_policy_document=None, description=None, max_session_duration=None,
            boundary=None, purge_policies=True, purge_inline_policies=True, tags=None, purge_tags=True,
            delete_instance_profile=None, force=False, wait=True, wait_timeout=120)


def run_twice_at_once(server, args):
    """Both runs' (result or failure, clock); they start together from the same barrier."""
    barrier = threading.Barrier(2)
    outcomes = [None, None]

    def run(index):
        clock = InstantClock()
        aws = Connection(lambda service, bulk_writes=False: server.client(service), region=server.region,
                         clock=clock)
        barrier.wait()
        try:
            outcomes[index] = (engine.execute(aws, RESOURCE, dict(ARGS, **args)), clock)
        except engine.Failed as failure:
            outcomes[index] = (failure.result, clock)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


@pytest.mark.parametrize("attempt", range(3))
def test_two_creates_then_two_removals_of_the_same_role(fresh, unique, attempt):
    name = "%s-%d" % (unique, attempt)
    iam = fresh.client("iam")
    create = dict(name=name, state="present", trusted_services=["ec2.amazonaws.com"], managed_policies=[CW],
                  inline_policies={"read": INLINE}, create_instance_profile=True)
    for result, clock in run_twice_at_once(fresh, create):
        assert not result.get("failed"), result["msg"]
        assert clock.sleeps == [], "a run waited: %s" % clock.sleeps
    assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]] == [CW]
    profile = iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
    assert [r["RoleName"] for r in profile["Roles"]] == [name]

    remove = dict(name=name, state="absent", delete_instance_profile=True)
    for result, clock in run_twice_at_once(fresh, remove):
        assert not result.get("failed"), result["msg"]
        assert clock.sleeps == [], "a run waited: %s" % clock.sleeps
    assert name not in [r["RoleName"] for r in iam.list_roles()["Roles"]]
    assert name not in [p["InstanceProfileName"] for p in iam.list_instance_profiles()["InstanceProfiles"]]
