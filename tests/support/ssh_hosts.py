"""Test-world hosts reachable over SSH, as AWX reaches machines: from inside an execution environment
container, with the key of a "Machine" credential, not through the podman connection of world.py.

    image = ssh_hosts.ensure_image()              # the host image plus an SSH server (disabled at boot)
    world = World(state).up(2, image=image)
    ssh_hosts.start_sshd(world, public_key)       # each host's sshd on its own port of 127.0.0.1
    ssh_hosts.inventory_hosts(world)              # {name: {ansible_host, ansible_port, instance_id}}

Hosts share the machine's network (host networking), so each sshd listens on 127.0.0.1 at a port of its own;
the server is installed when the image is built, never while hosts run.
"""

import hashlib
import os
import socket
import subprocess
import tempfile
import time

from tests.support import host_image
from tests.support.embedded_aws import free_port

IMAGE_REPOSITORY = "localhost/iamkit-ec2-host-ssh"
# Built FROM the host image; apt-get reaches the Debian mirror at build time (host networking).
CONTAINERFILE = """FROM {base}
RUN apt-get update -qq \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssh-server openssh-sftp-server \\
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \\
 && systemctl disable ssh.service
"""
SSHD_CONFIG = """# Written by tests.support.ssh_hosts: this host's own port on the shared loopback.
Port {port}
ListenAddress 127.0.0.1
PermitRootLogin prohibit-password
PasswordAuthentication no
"""
START_TIMEOUT = 30


def ensure_image(cache=None, log=print):
    """Name of the SSH host image, building it from the host image when missing."""
    base = host_image.ensure_image(cache, log=log)[0]
    containerfile = CONTAINERFILE.format(base=base)
    name = "%s:%s" % (IMAGE_REPOSITORY, hashlib.sha256(containerfile.encode()).hexdigest()[:12])
    env = host_image.podman_env(cache)
    if host_image.image_exists(name, env):
        return name
    log("ssh host image: openssh-server on %s" % base)
    with tempfile.TemporaryDirectory(prefix="iamkit-ssh-image-") as context:
        with open(os.path.join(context, "Containerfile"), "w") as handle:
            handle.write(containerfile)
        subprocess.run(["podman", "build", "--quiet", "--network=host", "--tag", name, context], env=env,
                       check=True, stdout=subprocess.DEVNULL)
    return name


def make_key(folder):
    """An ed25519 key pair in folder: (private key path, public key text)."""
    path = os.path.join(folder, "id_ed25519")
    if not os.path.exists(path):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "iamkit-world", "-f", path], check=True)
    with open(path + ".pub") as handle:
        return path, handle.read().strip()


def start_sshd(world, public_key):
    """sshd in every host on a port of its own, accepting root with `public_key`; ports kept in world.state."""
    for host in world.hosts:
        host["ssh_port"] = free_port()
        script = ("set -e; install -d -m 700 /root/.ssh; printf '%s\\n' \"$KEY\" > /root/.ssh/authorized_keys; "
                  "chmod 600 /root/.ssh/authorized_keys; printf '%s' \"$CONFIG\" > /etc/ssh/sshd_config.d/iamkit.conf; "
                  "systemctl start ssh.service")
        result = world.exec(host["name"], "sh", "-c", script,
                            env={"KEY": public_key, "CONFIG": SSHD_CONFIG.format(port=host["ssh_port"])})
        if result.returncode != 0:
            raise RuntimeError("sshd did not start in %s: %s %s" % (host["name"], result.stdout, result.stderr))
    world.save()
    for host in world.hosts:
        wait_for_port(host["ssh_port"])


def wait_for_port(port):
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                if connection.recv(4).startswith(b"SSH-"):
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("nothing answers SSH on 127.0.0.1:%s" % port)
        time.sleep(0.2)


def inventory_hosts(world):
    """Host variables of each host as a site's inventory gives them: the address to reach it and, as the
    aws_ec2 inventory plugin does, its instance id."""
    return {host["name"]: {"ansible_host": "127.0.0.1", "ansible_port": host["ssh_port"],
                           "instance_id": host["instance_id"]}
            for host in world.hosts}
