"""Running the collection's roles from the command line as users do (`ansible-playbook ... -e key=value`), against
the embedded AWS, on hosts that are this machine under inventory names (local connection). What a run did is
read from the ansible.posix.json callback: return code, the tasks that changed, the failure messages, and each
host's summary line. AWS itself is judged by the tests, with boto3."""

import json

import yaml

from tests.support.ansible_cli import clean_env
from tests.support.ansible_cli import playbook_command
from tests.support.ansible_cli import run
from tests.support.embedded_aws import ami_id
from tests.support.paths import COLLECTIONS

# Nothing listens there (loopback only): a metadata lookup fails at once.
NO_METADATA = "http://127.0.0.1:9"


class RoleRun:
    """What one ansible-playbook run reported."""

    def __init__(self, result):
        self.returncode = result.returncode
        self.stdout = result.stdout
        report = json.loads(result.stdout)
        self.tasks = [task for play in report["plays"] for task in play["tasks"]]
        self.stats = report["stats"]

    def changed(self, host=None):
        """Names (without the role's prefix) of the tasks that changed on `host`, or on any host."""
        return [task["task"]["name"].split(" : ", 1)[-1] for task in self.tasks
                if any(result.get("changed") for name, result in task["hosts"].items() if host in (None, name))]

    def failures(self):
        """Every failure message, one loop's items included (a failed loop says only "One or more items failed")."""
        failed = [result for task in self.tasks for result in task["hosts"].values() if result.get("failed")]
        return [str(item.get("msg", "")) for result in failed for item in [result] + result.get("results", [])
                if item.get("msg")]

    def summaries(self):
        """{host: summary line} of the role's "Summary per host" task."""
        return dict((host, result.get("msg")) for task in self.tasks
                    if task["task"]["name"].endswith("Summary per host")
                    for host, result in task["hosts"].items() if not result.get("skipped"))


def aws_play(name, hosts, role, role_vars=None, tasks_from=None):
    """A play of `role` on `hosts`, whose AWS modules reach the embedded AWS through module_defaults (the
    endpoint and keys come as extra vars, so nothing secret is in the playbook)."""
    aws = {"endpoint_url": "{{ endpoint }}", "region": "{{ region }}", "access_key": "{{ access_key }}",
           "secret_key": "{{ secret_key }}"}
    include = {"name": role}
    if tasks_from:
        include["tasks_from"] = tasks_from
    return [{"name": name, "hosts": hosts, "gather_facts": False, "module_defaults": {"group/iamkit.ec2.aws": aws},
             "vars": role_vars or {},
             "tasks": [{"name": "Run " + role, "ansible.builtin.include_role": include}]}]


def run_play(tmp_path, embedded_aws, play, hostvars, extra=(), check_mode=False, region=None, limit=None):
    """ansible-playbook on `play` for local hosts with `hostvars` ({host: vars}), with `extra` as `-e` items
    (strings such as "instance_role_associate=false", as a user types them) and `--limit limit`. The embedded
    AWS's call log is cleared first, so write_calls() tells what this run wrote."""
    playbook = tmp_path / "playbook.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    inventory = tmp_path / "inventory.json"
    inventory.write_text(json.dumps({"all": {"hosts": dict(
        (host, dict({"ansible_connection": "local"}, **values)) for host, values in hostvars.items())}}))
    connection = json.dumps({"endpoint": embedded_aws.endpoint, "region": region or embedded_aws.region,
                             "access_key": embedded_aws.access_key, "secret_key": embedded_aws.secret_key})
    env = clean_env(tmp_path, collections_path=COLLECTIONS)
    env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.posix.json"
    embedded_aws.reset_calls()
    command = playbook_command(str(playbook), str(inventory), [connection] + list(extra), check_mode=check_mode)
    command += ["--limit", limit] if limit else []
    return RoleRun(run(command, env, cwd=str(tmp_path), check=False))


def launch(embedded_aws, count=1):
    """Running instances, made with boto3 (test set-up)."""
    ec2 = embedded_aws.client("ec2")
    made = ec2.run_instances(ImageId=ami_id(ec2), MinCount=count, MaxCount=count)["Instances"]
    return [instance["InstanceId"] for instance in made]


def profiles_of(embedded_aws, instance_id):
    """Names of the profiles associated with the instance, as EC2's associations API tells."""
    found = embedded_aws.client("ec2").describe_iam_instance_profile_associations(
        Filters=[{"Name": "instance-id", "Values": [instance_id]}, {"Name": "state", "Values": ["associated"]}])
    return [a["IamInstanceProfile"]["Arn"].rsplit("/", 1)[1] for a in found["IamInstanceProfileAssociations"]]


def role_names(embedded_aws):
    return sorted(role["RoleName"] for role in embedded_aws.client("iam").list_roles()["Roles"])


def profile_names(embedded_aws):
    answer = embedded_aws.client("iam").list_instance_profiles()["InstanceProfiles"]
    return sorted(profile["InstanceProfileName"] for profile in answer)


def attached(embedded_aws, role_name):
    answer = embedded_aws.client("iam").list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]
    return sorted(policy["PolicyArn"] for policy in answer)


def aws_snapshot(embedded_aws):
    """Everything the roles could change, read with boto3: roles with their policies, profiles with their
    roles, and every active association. Equal snapshots before and after a refusal: nothing changed."""
    iam = embedded_aws.client("iam")
    roles = dict((name, attached(embedded_aws, name)) for name in role_names(embedded_aws))
    profiles = dict((p["InstanceProfileName"], sorted(r["RoleName"] for r in p["Roles"]))
                    for p in iam.list_instance_profiles()["InstanceProfiles"])
    answer = embedded_aws.client("ec2").describe_iam_instance_profile_associations(
        Filters=[{"Name": "state", "Values": ["associated", "associating"]}])
    associations = sorted((a["InstanceId"], a["IamInstanceProfile"]["Arn"])
                          for a in answer["IamInstanceProfileAssociations"])
    return {"roles": roles, "profiles": profiles, "associations": associations}
