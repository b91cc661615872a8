"""Two ansible-playbook runs converge the same role, profile and associations at the same time.

The embedded AWS makes the race happen: it holds every create (and every association write) until both runs have
sent theirs, so both read "missing" and both write. Both runs must succeed, one of them having met
EntityAlreadyExists (or its kin) and taken it as "already done", and the state must be exactly the one described.
"""

import json

import pytest

from tests.reliability import playbook_runner
from tests.support.embedded_aws import ami_id

CWASP = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"
# What each of the two runs sends once (creates), or once per instance (associations).
RACED = ["CreateRole", "CreateInstanceProfile", "AddRoleToInstanceProfile", "AssociateIamInstanceProfile"]
# An action answered this way by AWS to the loser of a race means "the other run did it".
ALREADY_DONE = {"CreateRole": 409, "CreateInstanceProfile": 409, "AddRoleToInstanceProfile": 409,
                "AssociateIamInstanceProfile": 400}


@pytest.fixture
def world(fresh, unique, tmp_path):
    ec2 = fresh.client("ec2")
    ami = ami_id(ec2)
    ids = [i["InstanceId"] for i in ec2.run_instances(ImageId=ami, MinCount=2, MaxCount=2)["Instances"]]
    return {"server": fresh, "ids": ids, "role": "%s-role" % unique,
            "inventory": playbook_runner.inventory(str(tmp_path / "hosts.ini"), ids), "tmp": tmp_path}


def role_vars(world):
    return ["instance_role_name=%s" % world["role"],
            "instance_role_managed_policies=%s" % json.dumps([CWASP]),
            "instance_role_tags=%s" % json.dumps({"team": "race"})]


def converge_twice_at_once(world):
    runs = [playbook_runner.start(world["server"], world["tmp"], "instance_role.yml", world["inventory"],
                                  ["@" + _vars_file(world)]) for _n in range(2)]
    return [(run.wait(timeout=600), run.stdout.read()) for run in runs]


def _vars_file(world):
    path = world["tmp"] / "vars.json"
    path.write_text(json.dumps({
        "instance_role_name": world["role"], "instance_role_managed_policies": [CWASP],
        "instance_role_tags": {"team": "race"}, "instance_role_wait_timeout": 60}))
    return str(path)


def test_two_runs_at_once_both_succeed_and_the_state_is_right(world, figures):
    server = world["server"]
    parties = dict((action, 2) for action in RACED)
    parties["AssociateIamInstanceProfile"] = 2 * len(world["ids"])
    server.control("race", "POST", {"actions": RACED, "parties": parties, "timeout": 20})
    outcomes = converge_twice_at_once(world)
    race = server.control("race")
    calls = server.calls()
    server.control("race", "DELETE")

    for code, output in outcomes:
        assert code == 0, output[-6000:]
    assert race["timed_out"] == {}, race
    assert sorted(race["released"]) == sorted(RACED), race
    statuses = dict((action, sorted(c["status"] for c in calls if c["action"] == action)) for action in RACED)
    # Each create reached AWS twice: one made it, the other met "already exists" and the run still succeeded.
    for action in ("CreateRole", "CreateInstanceProfile", "AddRoleToInstanceProfile"):
        assert statuses[action] == sorted([200, ALREADY_DONE[action]]), (action, statuses)
    assert statuses["AssociateIamInstanceProfile"].count(200) == len(world["ids"]), statuses

    iam, ec2 = server.client("iam"), server.client("ec2")
    profile = iam.get_instance_profile(InstanceProfileName=world["role"])["InstanceProfile"]
    assert [r["RoleName"] for r in profile["Roles"]] == [world["role"]]
    attached = iam.list_attached_role_policies(RoleName=world["role"])["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [CWASP]
    found = ec2.describe_iam_instance_profile_associations(
        Filters=[{"Name": "instance-id", "Values": world["ids"]},
                 {"Name": "state", "Values": ["associating", "associated"]}])["IamInstanceProfileAssociations"]
    assert sorted((a["InstanceId"], a["IamInstanceProfile"]["Arn"]) for a in found) == sorted(
        (i, profile["Arn"]) for i in world["ids"])

    server.reset_calls()
    code, output = playbook_runner.run(server, world["tmp"], "instance_role.yml", world["inventory"],
                                       ["@" + _vars_file(world)])
    assert code == 0 and "changed=0" in output, output[-4000:]
    figures.add("races run")
    figures.add("raced writes", sum(len(v) for v in statuses.values()))
    figures.add("races lost and handled", sum(1 for v in statuses.values() for s in v if s != 200))
