#!/usr/bin/env python
"""The test world: hosts that behave like EC2 instances, whose identity comes from their instance profile.

    python -m tests.support.world up --state DIR --hosts N     # start everything, print the set-up cost
    python -m tests.support.world up --state DIR --hosts N --on-premise   # servers outside EC2 instead
    python -m tests.support.world status --state DIR           # what runs (no secrets)
    python -m tests.support.world env --state DIR              # export lines for the admin's AWS access
    python -m tests.support.world down --state DIR             # stop everything: no process or container left

or from Python: `with World.running(state_dir, hosts=2) as world: ...`.

What `up` starts, all on 127.0.0.1:
- the embedded AWS (embedded_aws.py) with IAM authorization enforced and the `imds` and `accounts` extensions
  (a second account, and AssumeRole across accounts decided by the role's trust policy), and `aws_fidelity`
  (moto answering as AWS does where a check reads it, such as an instance's profile after a replace);
- per host, a moto EC2 instance and its own instance-metadata port (imds.py), answering for that instance;
- AWS's public names for the hosts (aws_names.py): a TLS front of the embedded AWS on a loopback address of
  this world, on port 443, which each host's /etc/hosts sends sts, ssm, ec2, monitoring and logs names to,
  with a certificate from a CA made here that the hosts trust; the real agent calls AWS by those names;
- the package mirror (mirror.py) with the real agent's packages (agent_build.py), signed by a key made here;
- per host, a podman container of the host image (host_image.py) running systemd with host networking.
Every process of a host gets two addresses, as the network of an EC2 instance gives them to every process:
AWS_EC2_METADATA_SERVICE_ENDPOINT (its own metadata port) and AWS_ENDPOINT_URL (the embedded AWS). Services
get them from the host's systemd (DefaultEnvironment), commands run in the container (the podman connection,
podman exec) from the container's environment, which sudo keeps; SSH sessions get neither (ssh_hosts.py).
The inventory written to DIR/inventory.yml reaches the hosts with the containers.podman.podman connection;
each host carries instance_id, imds_port and imds_url.

With --on-premise the hosts are servers outside EC2, as the agent's onPremise mode is for: no moto instance
and no metadata port; their systemd hands services AWS_EC2_METADATA_DISABLED=true instead, which the AWS SDKs
honour (aws-sdk-go aws/ec2metadata/service.go, botocore), so nothing asks 169.254.169.254 (no test traffic
leaves loopback) and the agent's `-m auto` finds no instance (translator/util/sdkutil.go DetectAgentMode).
Their inventory entries carry no instance_id.
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager

from tests.support import aws_names
from tests.support import host_image
from tests.support import mirror
from tests.support.embedded_aws import EmbeddedAWS
from tests.support.embedded_aws import ami_id
from tests.support.embedded_aws import stop_pid
from tests.support.paths import ROOT
from tests.support.paths import SHARED

SCHEMA = os.path.join(SHARED, "cloudwatch-agent", "schema.json")
LABEL = "iamkit-world"
BOOT_TIMEOUT = 90


class WorldError(Exception):
    pass


def label_value(state_dir):
    return hashlib.sha256(os.path.abspath(state_dir).encode()).hexdigest()[:8]


def schema_path(log=print):
    """AWS's schema of the agent configuration, which tests hand the role's controller-side check, or None;
    a missing schema fails the world under CI=true."""
    if os.path.exists(SCHEMA):
        return SCHEMA
    message = ("schema.json not found at %s (set IAMKIT_SHARED_DIR): tests check "
               "configurations on the controller without it" % SCHEMA)
    if os.environ.get("CI") == "true":
        raise WorldError(message + "; under CI=true this is a failure")
    log("WARNING: " + message)
    return None


def wait_for_file(path, process, what, timeout=60):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if process.poll() is not None:
            raise WorldError("%s exited with %s" % (what, process.returncode))
        if time.monotonic() > deadline:
            process.kill()
            raise WorldError("%s did not start within %ss" % (what, timeout))
        time.sleep(0.1)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, TypeError):
        return False
    try:  # a zombie child of ours is not alive
        return os.waitpid(pid, os.WNOHANG)[0] != pid
    except ChildProcessError:
        return True


# The address of the real instance metadata service. The hosts share the machine's network (host networking),
# so one rule of the machine's firewall refuses every packet to it, from a host or anything else here, and
# counts them: no test traffic leaves loopback, and a test can prove none was even attempted.
REAL_METADATA_ADDRESS = "169.254.169.254"
GUARD_RULE = ["OUTPUT", "--destination", REAL_METADATA_ADDRESS + "/32", "-m", "comment", "--comment",
              "iamkit-world: no test traffic to the real instance metadata", "-j", "REJECT"]


def guard_metadata_address():
    """Add the firewall rule once per machine (a second world finds it in place)."""
    present = subprocess.run(["iptables", "-C"] + GUARD_RULE, capture_output=True, check=False)
    if present.returncode != 0:
        subprocess.run(["iptables", "-I"] + GUARD_RULE, capture_output=True, text=True, check=True)


def metadata_address_attempts():
    """Packets refused by the guard since it was added: each is a request to 169.254.169.254 attempted."""
    listed = subprocess.run(["iptables", "-L", "OUTPUT", "-n", "-v", "-x"], capture_output=True, text=True,
                            check=True).stdout
    return sum(int(line.split()[0]) for line in listed.splitlines() if "iamkit-world:" in line)


class World:
    def __init__(self, state_dir, cache=None):
        self.state_dir = os.path.abspath(state_dir)
        self.cache = host_image.cache_dir(cache)
        self.state_file = os.path.join(self.state_dir, "world.json")
        self.state = {}
        if os.path.exists(self.state_file):
            with open(self.state_file) as handle:
                self.state = json.load(handle)

    # ----------------------------------------------------------------------------------- handles

    @property
    def aws(self):
        return EmbeddedAWS.from_state(self.state["aws_state"])

    @property
    def hosts(self):
        return self.state.get("hosts", [])

    @property
    def inventory_path(self):
        return os.path.join(self.state_dir, "inventory.yml")

    @property
    def mirror_url(self):
        return self.state["mirror"]["url"]

    def host(self, name):
        return next(host for host in self.hosts if host["name"] == name)

    def podman(self, *args, check=True, **kwargs):
        return subprocess.run(["podman"] + list(args), env=host_image.podman_env(self.cache), check=check,
                              capture_output=True, text=True, **kwargs)

    def exec(self, name, *command, check=False, env=None):
        """Run a command in a host as root (as the podman connection does)."""
        options = []
        for key, value in (env or {}).items():
            options += ["--env", "%s=%s" % (key, value)]
        return self.podman("exec", *options, self.host(name)["container"], *command, check=check)

    def save(self):
        os.makedirs(self.state_dir, exist_ok=True)
        with open(self.state_file + ".tmp", "w") as handle:
            json.dump(self.state, handle, indent=1)
        os.replace(self.state_file + ".tmp", self.state_file)

    # ----------------------------------------------------------------------------------- up

    def up(self, hosts=1, log=print, image=None, on_premise=False):
        """Start the whole world (stopping any previous one in this state folder first). `image` is a host
        image made from the host image (ssh_hosts.py adds an SSH server); the host image by default.
        `on_premise`: the hosts are servers outside EC2 (see the module's docstring)."""
        self.down()
        os.makedirs(self.state_dir, exist_ok=True)
        started = time.monotonic()
        timings = {}
        self.state = {"state_dir": self.state_dir, "label": label_value(self.state_dir), "hosts": [],
                      "timings": timings}
        self.save()
        try:
            schema = schema_path(log)
            self.state["schema"] = schema
            moment = time.monotonic()
            image, how = (image, "given") if image else host_image.ensure_image(self.cache, log=log)[:2]
            timings["image"] = round(time.monotonic() - moment, 1)
            self.state["image"] = {"name": image, "how": how}
            self.save()
            guard_metadata_address()
            self.state["metadata_attempts_at_up"] = metadata_address_attempts()
            timings["aws"] = self.start_aws()
            timings["aws"] += self.start_aws_front()
            timings["mirror"] = self.start_mirror()
            moment = time.monotonic()
            for index in range(1, hosts + 1):
                self.start_host("host%d" % index, image, on_premise)
            self.wait_for_hosts()
            timings["hosts"] = round(time.monotonic() - moment, 1)
            self.write_inventory()
        except BaseException:
            self.down()
            raise
        timings["total"] = round(time.monotonic() - started, 1)
        self.save()
        log("world up in %.1f s: image %s %.1f s, embedded AWS %.1f s, mirror %.1f s, %d host(s) %.1f s"
            % (timings["total"], how, timings["image"], timings["aws"], timings["mirror"], hosts,
               timings["hosts"]))
        log("inventory: %s" % self.inventory_path)
        return self

    def start_aws(self):
        moment = time.monotonic()
        path = os.path.join(self.state_dir, "aws.json")
        self.state["aws_state"] = path
        # aws_fidelity: EC2 shows an instance's new profile after a replace, as AWS does (verify reads it).
        aws = EmbeddedAWS.start(path, enforce_iam=True, extensions=["imds", "accounts", "aws_fidelity"])
        self.state["aws_pid"] = aws.state["pid"]
        self.state["aws_endpoint"] = aws.endpoint
        self.state["region"] = aws.region
        self.save()
        return round(time.monotonic() - moment, 1)

    def start_aws_front(self):
        """The TLS front that answers for AWS's names on this world's own loopback address (aws_names.py)."""
        moment = time.monotonic()
        address = aws_names.front_address(self.state["label"])
        names = aws_names.aws_host_names(self.state["region"]) + [address]
        ca, cert, key = aws_names.make_certificates(os.path.join(self.state_dir, "aws-tls"), names)
        path = os.path.join(self.state_dir, "aws-front.json")
        if os.path.exists(path):
            os.remove(path)
        with open(path + ".log", "ab") as log_file:
            command = aws_names.front_command(address, 443, cert, key, self.state["aws_endpoint"], path)
            process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       start_new_session=True, cwd=ROOT)
        self.state["aws_front"] = {"pid": process.pid, "address": address, "ca": ca}
        self.save()
        wait_for_file(path, process, "AWS names front")
        return round(time.monotonic() - moment, 1)

    def start_mirror(self):
        moment = time.monotonic()
        root = os.path.join(self.state_dir, "mirror")
        summary = mirror.publish(root, os.path.join(self.state_dir, "gnupg"), self.cache)
        path = os.path.join(self.state_dir, "mirror.json")
        if os.path.exists(path):
            os.remove(path)
        with open(path + ".log", "ab") as log_file:
            process = subprocess.Popen(
                [sys.executable, "-m", "tests.support.mirror", "serve", "--root", root, "--state", path],
                stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True, cwd=ROOT)
        self.state["mirror"] = {"pid": process.pid, "root": root, "fingerprint": summary["fingerprint"],
                                "versions": summary["versions"], "rpm": summary["rpm"]}
        self.save()
        wait_for_file(path, process, "package mirror")
        with open(path) as handle:
            self.state["mirror"]["url"] = json.load(handle)["url"]
        self.save()
        return round(time.monotonic() - moment, 1)

    def start_host(self, name, image, on_premise=False):
        """The container that plays a host: an EC2 instance (a moto instance and its metadata port) or, with
        `on_premise`, a server outside EC2."""
        container = "iamkit-world-%s-%s" % (self.state["label"], name)
        host = {"name": name, "container": container}
        if on_premise:
            environment = ["AWS_EC2_METADATA_DISABLED=true"]
        else:
            host.update(self.start_instance(name))
            environment = ["AWS_EC2_METADATA_SERVICE_ENDPOINT=%s" % host["imds_url"]]
        environment.append("AWS_ENDPOINT_URL=%s" % self.aws.endpoint)
        front = self.state["aws_front"]
        names_args, names_environment = aws_names.host_options(front["ca"], front["address"], self.state["region"])
        environment += names_environment
        self.state["hosts"].append(host)
        self.save()
        host_dir = os.path.join(self.state_dir, "hosts", name)
        os.makedirs(host_dir, exist_ok=True)
        with open(os.path.join(host_dir, "world.conf"), "w") as handle:
            handle.write("# The host's network, as the test world provides it.\n[Manager]\nDefaultEnvironment=%s\n"
                         % " ".join(environment))
        # sudo (Ansible's become) resets the environment; the network is the same for root, so it keeps these.
        sudoers = os.path.join(host_dir, "sudoers")
        with open(sudoers, "w") as handle:
            handle.write('Defaults env_keep += "%s"\n' % " ".join(item.split("=")[0] for item in environment))
        os.chmod(sudoers, 0o440)
        mounts = ["--volume", "%s:/etc/systemd/system.conf.d/iamkit-world.conf:ro"
                  % os.path.join(host_dir, "world.conf"),
                  "--volume", "%s:/etc/sudoers.d/iamkit-world:ro" % sudoers] + names_args
        container_env = [option for item in environment for option in ("--env", item)]
        self.podman("run", "--detach", "--name", container, "--hostname", name, "--network", "host",
                    "--systemd", "always", "--label", "%s=%s" % (LABEL, self.state["label"]), *mounts,
                    *container_env, image, "/lib/systemd/systemd")

    def start_instance(self, name):
        """A moto instance named after the host, and its own metadata port."""
        ec2 = self.aws.client("ec2")
        ami = ami_id(ec2)
        instance_id = ec2.run_instances(
            ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1,
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}],
        )["Instances"][0]["InstanceId"]
        endpoint = self.aws.control("imds", "POST", {"instance_id": instance_id})
        return {"instance_id": instance_id, "imds_port": endpoint["port"], "imds_url": endpoint["url"]}

    def wait_for_hosts(self):
        """Until systemd in every host has finished booting (the bus appears a moment after start)."""
        for host in self.hosts:
            deadline = time.monotonic() + BOOT_TIMEOUT
            while True:
                result = self.podman("exec", host["container"], "systemctl", "is-system-running", "--wait",
                                     check=False)
                if result.stdout.strip() in ("running", "degraded"):
                    break
                if time.monotonic() > deadline:
                    raise WorldError("%s did not boot: %s %s" % (host["name"], result.stdout, result.stderr))
                time.sleep(0.3)

    def write_inventory(self):
        """YAML inventory (JSON is YAML) for ansible-playbook and Molecule."""
        hosts = {}
        for host in self.hosts:
            hosts[host["name"]] = dict({
                "ansible_connection": "containers.podman.podman",
                "ansible_host": host["container"],
                "ansible_python_interpreter": "/usr/bin/python3",
            }, **dict((key, host[key]) for key in ("instance_id", "imds_port", "imds_url") if key in host))
        inventory = {"all": {
            "vars": {"aws_endpoint_url": self.state["aws_endpoint"], "aws_region": self.state["region"],
                     "cloudwatch_agent_mirror_url": self.mirror_url, "iamkit_world_state": self.state_dir},
            "children": {"world_hosts": {"hosts": hosts}},
        }}
        with open(self.inventory_path, "w") as handle:
            handle.write("# Written by tests.support.world up; JSON is valid YAML.\n")
            json.dump(inventory, handle, indent=2)

    # ----------------------------------------------------------------------------------- down, status

    def down(self):
        """Stop everything this state folder started; safe to call twice or on a half-started world."""
        label = self.state.get("label") or label_value(self.state_dir)
        listed = self.podman("ps", "--all", "--quiet", "--filter", "label=%s=%s" % (LABEL, label), check=False)
        containers = set(listed.stdout.split()) | set(host["container"] for host in self.hosts)
        if containers:
            self.podman("rm", "--force", "--time", "0", *sorted(containers), check=False)
        if self.state.get("aws_pid"):
            stop_pid(self.state["aws_pid"])
        for part in ("mirror", "aws_front"):
            if self.state.get(part, {}).get("pid"):
                stop_pid(self.state[part]["pid"])
        for name in ("aws.json", "aws-front.json", "mirror.json", "inventory.yml", "world.json"):
            path = os.path.join(self.state_dir, name)
            if os.path.exists(path):
                os.remove(path)
        for name in ("gnupg", "mirror", "hosts"):
            shutil.rmtree(os.path.join(self.state_dir, name), ignore_errors=True)
        self.state = {}

    def status(self):
        """What is running, without keys: parts, hosts and their containers' states."""
        if not self.state:
            return {"up": False, "state_dir": self.state_dir}
        running = {}
        for host in self.hosts:
            inspected = self.podman("inspect", "--format", "{{.State.Status}}", host["container"], check=False)
            running[host["name"]] = inspected.stdout.strip() or "absent"
        return {
            "up": True, "state_dir": self.state_dir, "image": self.state.get("image"),
            "embedded_aws": {"endpoint": self.state.get("aws_endpoint"), "alive": pid_alive(self.state.get("aws_pid"))},
            "mirror": {"url": self.state.get("mirror", {}).get("url"),
                       "alive": pid_alive(self.state.get("mirror", {}).get("pid"))},
            "aws_front": {"address": self.state.get("aws_front", {}).get("address"),
                          "alive": pid_alive(self.state.get("aws_front", {}).get("pid"))},
            "hosts": [dict(host, container_state=running[host["name"]]) for host in self.hosts],
            "inventory": self.inventory_path, "timings": self.state.get("timings"),
        }

    @classmethod
    @contextmanager
    def running(cls, state_dir, hosts=1, cache=None, log=print, image=None, on_premise=False):
        world = cls(state_dir, cache).up(hosts, log=log, image=image, on_premise=on_premise)
        try:
            yield world
        finally:
            world.down()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("command", choices=["up", "down", "status", "env"])
    parser.add_argument("--state", default=os.path.join(ROOT, "tests", "output", "world"),
                        help="state folder (default tests/output/world)")
    parser.add_argument("--hosts", type=int, default=1, help="number of hosts for up")
    parser.add_argument("--on-premise", action="store_true", help="hosts are servers outside EC2 (no metadata)")
    parser.add_argument("--cache", help="cache folder (default $IAMKIT_CACHE_DIR or ~/.cache/iamkit-ec2)")
    args = parser.parse_args(argv)
    world = World(args.state, args.cache)
    if args.command == "up":
        try:
            world.up(args.hosts, on_premise=args.on_premise)
        except (WorldError, subprocess.CalledProcessError, RuntimeError) as error:
            detail = getattr(error, "stderr", "") or ""
            print("world up failed: %s %s" % (error, detail), file=sys.stderr)
            return 1
    elif args.command == "down":
        world.down()
        print("world down: %s" % world.state_dir)
    elif args.command == "status":
        print(json.dumps(world.status(), indent=1))
    elif args.command == "env":
        if not world.state:
            print("world is not up (%s)" % world.state_dir, file=sys.stderr)
            return 1
        for key, value in world.aws.env().items():
            print("export %s=%s" % (key, value))
        print("export CONTAINERS_CONF=%s" % host_image.podman_env(world.cache)["CONTAINERS_CONF"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
