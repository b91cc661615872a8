#!/usr/bin/env python
"""`make demo`: the main job end to end against the embedded AWS, printing what was made.

Starts the embedded AWS with IAM authorization enforced, makes EC2 instances for the demo hosts, runs the
collection's instance_role playbook over them, and prints the role, the profile and each association.
"""

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

from embedded_aws import EmbeddedAWS  # noqa: E402

ROLE = "CloudWatchAgentServerRole"
HOSTS = ["demo-web-1", "demo-web-2"]


def make_instances(aws):
    ec2 = aws.client("ec2")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    reservation = ec2.run_instances(ImageId=image, MinCount=len(HOSTS), MaxCount=len(HOSTS))
    return [i["InstanceId"] for i in reservation["Instances"]]


def write_inventory(folder, instance_ids):
    hosts = dict((name, {"instance_id": instance_id, "ansible_connection": "local",
                         "ansible_python_interpreter": sys.executable})
                 for name, instance_id in zip(HOSTS, instance_ids))
    path = os.path.join(folder, "inventory.json")
    with open(path, "w") as handle:
        json.dump({"all": {"hosts": hosts}}, handle)
    return path


def run_playbook(aws, inventory):
    env = dict(os.environ, **aws.env())
    env["ANSIBLE_COLLECTIONS_PATH"] = os.path.join(ROOT, "tests", "output", "collections")
    env["ANSIBLE_PYTHON_INTERPRETER"] = sys.executable
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "iamkit.ec2.instance_role",
               "-i", inventory, "-e", "instance_role_name=%s" % ROLE,
               "-e", '{"instance_role_managed_policies": ["CloudWatchAgentServerPolicy"]}']
    subprocess.run(command, env=env, cwd=ROOT, check=True)


def report(aws):
    iam, ec2 = aws.client("iam"), aws.client("ec2")
    role = iam.get_role(RoleName=ROLE)["Role"]
    policies = iam.list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"]
    profile = iam.get_instance_profile(InstanceProfileName=ROLE)["InstanceProfile"]
    print("\n== What was made in the embedded AWS (%s)" % aws.endpoint)
    print("role     %s  policies: %s" % (role["Arn"], ", ".join(p["PolicyName"] for p in policies)))
    print("profile  %s  holds: %s" % (profile["Arn"], ", ".join(r["RoleName"] for r in profile["Roles"])))
    associations = ec2.describe_iam_instance_profile_associations()["IamInstanceProfileAssociations"]
    for association in sorted(associations, key=lambda a: a["InstanceId"]):
        print("instance %s  %s  %s" % (association["InstanceId"], association["State"],
                                       association["IamInstanceProfile"]["Arn"]))


def main():
    folder = tempfile.mkdtemp(prefix="iamkit-demo-")
    with EmbeddedAWS.started(os.path.join(folder, "aws.json"), enforce_iam=True) as aws:
        instance_ids = make_instances(aws)
        run_playbook(aws, write_inventory(folder, instance_ids))
        report(aws)
        calls = aws.calls()
        print("API calls made by the play: %d" % len(calls))


if __name__ == "__main__":
    main()
