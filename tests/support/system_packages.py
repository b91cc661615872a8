"""The Debian packages the test world needs (podman hosts, image build, package signing and building),
installed when missing, so each layer that needs them works on a fresh machine whatever ran before it.

    python -m tests.support.system_packages [--rpm]     (--rpm adds rpmbuild, for the agent's .rpm)

A machine that has them pays nothing. Needs root, or sudo for apt-get.
"""

import os
import shutil
import subprocess
import sys
import tempfile

from tests.support.locks import exclusive

# command -> Debian package that provides it
WORLD = {
    "podman": "podman",
    "runc": "runc",
    "debootstrap": "debootstrap",
    "newuidmap": "uidmap",
    "gpg": "gnupg",
    "dpkg-scanpackages": "dpkg-dev",
    "dpkg-deb": "dpkg",
    # the agent's create_deb.sh assembles its .deb with ar (agent_build.py)
    "ar": "binutils",
    "curl": "curl",
    # the world's guard against requests to the real instance metadata address (world.py)
    "iptables": "iptables",
    # the ee layer reaches its hosts over SSH, as AWX does (tests/support/ssh_hosts.py)
    "ssh-keygen": "openssh-client",
}
RPM = {"rpmbuild": "rpm"}


def missing_packages(wanted):
    return sorted(set(package for command, package in wanted.items() if shutil.which(command) is None))


def apt_install(packages):
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    print("system packages: installing %s" % " ".join(packages), file=sys.stderr)
    # A stale package index is the usual reason an install fails on a fresh machine.
    subprocess.run(sudo + ["apt-get", "update", "-qq"], env=env, check=True)
    subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + packages, env=env,
                   check=True, stdout=subprocess.DEVNULL)


def install_world_packages(with_rpm=False):
    """Install what the test world needs and is missing; nothing when all is there."""
    wanted = dict(WORLD, **(RPM if with_rpm else {}))
    if not missing_packages(wanted):
        return
    # dpkg takes one installer at a time: a second one waits here, then finds what it wanted installed.
    with exclusive(os.path.join(tempfile.gettempdir(), "iamkit-ec2-locks", "apt.lock")):
        packages = missing_packages(wanted)
        if packages:
            apt_install(packages)


if __name__ == "__main__":
    install_world_packages(with_rpm="--rpm" in sys.argv[1:])
