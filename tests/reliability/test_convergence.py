"""Every module converges while AWS throttles and fails (20% of requests, fixed seed) and while IAM takes 30 s to
propagate a new profile or role; the state in AWS is then exactly the desired one, and a converge after the
faults stop reports changed=false with no write call."""

import json

import pytest

from tests.reliability.support import connection
from tests.reliability.support import server_writes
from tests.reliability.support import stop_faults
from tests.support.embedded_aws import ami_id

CWASP = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"
INLINE = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                  "Resource": "arn:aws:s3:::iamkit-config/*"}]}
SEEDS = [11, 12, 13, 14]


@pytest.fixture
def world(fresh, unique, module_runner, calls, virtual_clock):
    """Three instances, one of them already using another profile (so a replace is part of the converge);
    modules run on the virtual clock."""
    ec2, iam = fresh.client("ec2"), fresh.client("iam")
    ami = ami_id(ec2)
    ids = [i["InstanceId"] for i in ec2.run_instances(ImageId=ami, MinCount=3, MaxCount=3)["Instances"]]
    old = "%s-old" % unique
    iam.create_instance_profile(InstanceProfileName=old)
    ec2.associate_iam_instance_profile(IamInstanceProfile={"Name": old}, InstanceId=ids[0])

    def run(module, **args):
        return module_runner(module, connection(fresh, **args), clock=virtual_clock)

    return {"server": fresh, "role": "%s-role" % unique, "profile": "%s-profile" % unique, "ids": ids,
            "run": run, "calls": calls, "ec2": ec2, "iam": iam}


def desired(world):
    return [
        ("iam_role", dict(name=world["role"], trusted_services=["ec2.amazonaws.com"], managed_policies=[CWASP],
                          inline_policies={"read-config": INLINE}, tags={"team": "observability"},
                          description="reliability", create_instance_profile=False)),
        ("iam_instance_profile", dict(name=world["profile"], role=world["role"], tags={"team": "observability"})),
        ("instance_profile_association", dict(instance_ids=world["ids"], instance_profile=world["profile"])),
    ]


def info_calls(world):
    return [
        ("iam_role_info", dict(name=world["role"])),
        ("iam_instance_profile_info", dict(name=world["profile"])),
        ("instance_profile_association_info", dict(instance_ids=world["ids"])),
    ]


def converge(world):
    results = {}
    for module, args in desired(world) + info_calls(world):
        results[module] = world["run"](module, **args)
        assert not results[module].get("failed"), (module, results[module].get("msg"))
    return results


def assert_desired_state(world):
    """Read AWS with no fault on and compare with what the tasks describe, exactly."""
    iam, ec2 = world["iam"], world["ec2"]
    role = iam.get_role(RoleName=world["role"])["Role"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "ec2.amazonaws.com"}]
    assert role["Description"] == "reliability"
    assert role["Tags"] == [{"Key": "team", "Value": "observability"}]
    attached = iam.list_attached_role_policies(RoleName=world["role"])["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [CWASP]
    assert iam.list_role_policies(RoleName=world["role"])["PolicyNames"] == ["read-config"]
    holders = iam.list_instance_profiles_for_role(RoleName=world["role"])["InstanceProfiles"]
    assert world["profile"] in [p["InstanceProfileName"] for p in holders]
    profile = iam.get_instance_profile(InstanceProfileName=world["profile"])["InstanceProfile"]
    assert [r["RoleName"] for r in profile["Roles"]] == [world["role"]]
    assert profile["Tags"] == [{"Key": "team", "Value": "observability"}]
    found = ec2.describe_iam_instance_profile_associations(
        Filters=[{"Name": "instance-id", "Values": world["ids"]},
                 {"Name": "state", "Values": ["associating", "associated"]}])["IamInstanceProfileAssociations"]
    assert sorted((a["InstanceId"], a["IamInstanceProfile"]["Arn"], a["State"]) for a in found) == sorted(
        (i, profile["Arn"], "associated") for i in world["ids"])


def assert_converged_again_without_writes(world):
    """The faults stopped: a second converge changes nothing and makes no write call."""
    server = world["server"]
    for module, args in desired(world):
        server.reset_calls()
        again = world["run"](module, **args)
        assert not again.get("failed") and again["changed"] is False, (module, again)
        assert world["calls"].writes == [] and server_writes(server) == [], module


def assert_info_matches(world, results):
    """What the _info modules said under faults is what they say without."""
    for module, args in info_calls(world):
        plain = world["run"](module, **args)
        under_faults = results[module]
        for key in ("iam_roles", "iam_instance_profiles", "associations"):
            if key in plain:
                assert _stable(under_faults[key]) == _stable(plain[key]), module


def _stable(value):
    """Drop what changes between two reads of the same state (last use of a role)."""
    text = json.dumps(value, sort_keys=True, default=str)
    data = json.loads(text)
    for item in data if isinstance(data, list) else []:
        if isinstance(item, dict):
            item.pop("role_last_used", None)
    return data


@pytest.mark.parametrize("seed", SEEDS)
def test_every_module_converges_with_a_fifth_of_requests_failing(world, virtual_clock, figures, seed):
    server = world["server"]
    server.control("fault_shares", "POST", {"share": 0.2, "seed": seed, "kinds": ["throttle", "unavailable"]})
    results = converge(world)
    stats = server.control("fault_stats")
    stop_faults(server)
    injected = dict((k, v) for k, v in stats.items() if not k.startswith("passed"))
    assert sum(injected.values()) >= 3, stats  # the faults did happen
    assert all(results[m]["changed"] for m, _args in desired(world))
    assert results["instance_profile_association"]["changes"] == [
        "replace %s with %s" % (world["ids"][0], results["instance_profile_association"]["instance_profile_arn"])
    ] + ["associate %s with %s" % (i, results["instance_profile_association"]["instance_profile_arn"])
         for i in world["ids"][1:]]
    assert_desired_state(world)
    assert_info_matches(world, results)
    assert_converged_again_without_writes(world)
    figures.add("share runs")
    figures.add("share requests", sum(stats.values()))
    figures.merge("share injected", injected)


def test_every_module_converges_with_a_30_second_propagation_delay(world, virtual_clock, figures):
    """First a new role and a new profile (IAM's delay, then EC2's), then a second new profile for the same
    instances, which EC2 does not know for 30 s (the replace waits it out); each time the state is exactly the
    one described."""
    server = world["server"]
    server.control("propagation", "POST", {"seconds": 30})
    first = converge(world)
    first_stats = server.control("fault_stats")
    role_writes = ("AttachRolePolicy", "PutRolePolicy", "AddRoleToInstanceProfile")
    assert sum(first_stats.get("propagation " + a, 0) for a in role_writes) >= 1, first_stats
    assert first_stats.get("propagation AssociateIamInstanceProfile", 0) >= 1, first_stats
    world["profile"] += "-2"
    second = converge(world)
    stats = server.control("fault_stats")
    stop_faults(server)
    assert stats.get("propagation ReplaceIamInstanceProfileAssociation", 0) >= 1, stats
    assert second["instance_profile_association"]["changed"] and second["iam_role"]["changed"] is False
    assert virtual_clock.slept >= 30
    assert_desired_state(world)
    assert_info_matches(world, second)
    assert_converged_again_without_writes(world)
    assert first["iam_role"]["changed"]
    figures.add("propagation runs", 2)
    figures.merge("propagation injected", stats)
    figures.record("propagation delay seconds", 30)


def test_faults_and_delay_together(world, virtual_clock, figures):
    server = world["server"]
    server.control("propagation", "POST", {"seconds": 30})
    server.control("fault_shares", "POST", {"share": 0.2, "seed": 99})
    results = converge(world)
    stats = server.control("fault_stats")
    stop_faults(server)
    assert any(k.startswith("propagation") for k in stats) and any(k.startswith("throttle") for k in stats)
    assert_desired_state(world)
    assert_info_matches(world, results)
    assert_converged_again_without_writes(world)
    figures.add("combined runs")
    figures.merge("combined injected", dict((k, v) for k, v in stats.items() if not k.startswith("passed")))
