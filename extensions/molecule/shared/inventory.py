#!/usr/bin/env python
"""Dynamic inventory of a Molecule scenario's test world (tests/support/world.py).

The world of a scenario lives in $MOLECULE_EPHEMERAL_DIRECTORY/world (create.yml starts it there). Molecule
links this script into <ephemeral>/inventory/, so the ephemeral folder is also found from the script's own
path when the variable is not set. While the world is down the inventory is empty, which is what Molecule
needs when it writes its inventory before `create`.

Besides the world's own inventory (hosts, their instance ids and metadata ports, endpoint, region, mirror),
it adds the admin's keys (of both accounts) and the mirror's signing-key fingerprint as group variables, read
from the world's state, so playbooks never need them on the command line or in the environment.

IAMKIT_WORLD_STATE names a world folder directly (to run a scenario's playbooks by hand against a world).
IAMKIT_WORLD_HOST_VARS_DROP=name,... leaves those host variables out (for example instance_id, so the roles
must read the instance id from the host's instance metadata, as on hosts outside the aws_ec2 inventory).
"""

import json
import os
import sys


def state_dir():
    if os.environ.get("IAMKIT_WORLD_STATE"):
        return os.environ["IAMKIT_WORLD_STATE"]
    ephemeral = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY")
    if not ephemeral:
        ephemeral = os.path.dirname(os.path.dirname(os.path.abspath(sys.argv[0])))
    return os.path.join(ephemeral, "world")


def read_json(path):
    """JSON, after the leading comment lines world.py writes into its inventory (JSON is YAML there)."""
    with open(path) as handle:
        return json.loads("".join(line for line in handle if not line.startswith("#")))


def inventory(folder, dropped=()):
    world_inventory = os.path.join(folder, "inventory.yml")
    if not os.path.exists(world_inventory):
        return {"_meta": {"hostvars": {}}}
    world = read_json(world_inventory)["all"]
    state = read_json(os.path.join(folder, "world.json"))
    aws = read_json(state["aws_state"])
    hosts = world["children"]["world_hosts"]["hosts"]
    hostvars = {}
    for name, values in hosts.items():
        hostvars[name] = dict((k, v) for k, v in values.items() if k not in dropped)
        # Always there on an EC2 host, for verify playbooks, whatever was dropped (on-premises hosts have none).
        if "instance_id" in values:
            hostvars[name]["world_instance_id"] = values["instance_id"]
    group_vars = dict(world["vars"])
    group_vars.update({
        "aws_access_key": aws["access_key"],
        "aws_secret_key": aws["secret_key"],
        "world_gpg_fingerprint": state["mirror"]["fingerprint"],
        "world_aws_account_id": aws.get("account_id", ""),
        "world_schema_path": state.get("schema") or "",
    })
    second = aws.get("second_account") or {}
    group_vars.update({
        # The second account of the embedded AWS (tests/support/accounts.py), for cross-account scenarios.
        "world_second_account_id": second.get("account_id", ""),
        "world_second_access_key": second.get("access_key", ""),
        "world_second_secret_key": second.get("secret_key", ""),
    })
    return {
        "all": {"children": ["world_hosts"], "vars": group_vars},
        "world_hosts": {"hosts": sorted(hosts)},
        "_meta": {"hostvars": hostvars},
    }


def main():
    if "--host" in sys.argv:
        print(json.dumps({}))
        return 0
    dropped = [name for name in os.environ.get("IAMKIT_WORLD_HOST_VARS_DROP", "").split(",") if name]
    print(json.dumps(inventory(state_dir(), dropped), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
