#!/usr/bin/env python
"""The host image of the test world: Debian 12 with systemd, built by debootstrap and `podman import`.

    python -m tests.support.host_image build [--cache DIR]     # prints the image name and what it cost

The image is named after a hash of its recipe (this file's RECIPE plus the Debian mirror), so it is built
once per recipe and reused until the recipe changes. The root file system tarball is kept in the cache
too: when podman's storage is wiped, importing it again costs seconds instead of a debootstrap.

Everything the hosts need at test time is installed here, at build time: once running, hosts reach only
the test world's loopback services (embedded AWS, instance metadata, package mirror). That includes the AWS CLI
(`aws` on the PATH), from PyPI through this machine's pip.
"""

import argparse
import glob
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

from tests.support.locks import exclusive

IMAGE_REPOSITORY = "localhost/iamkit-ec2-host"

# What goes into the image. Changing anything here changes the hash, hence the image.
RECIPE = {
    "suite": "bookworm",
    "variant": "minbase",
    # systemd boots the host; python3 runs Ansible modules; python3-apt serves ansible.builtin.apt;
    # gnupg, curl and ca-certificates are what the CloudWatch agent role uses to fetch and verify the package
    # (the agent itself is a static Go program and needs nothing more).
    "include": [
        "systemd", "systemd-sysv", "dbus", "sudo", "procps",
        "python3", "python3-apt",
        "gnupg", "ca-certificates", "curl",
    ],
    # Units that wait for hardware or consoles a container does not have.
    "mask": [
        "systemd-udevd.service", "systemd-udev-trigger.service", "getty@tty1.service",
        "console-getty.service", "systemd-logind.service", "apt-daily.timer", "apt-daily-upgrade.timer",
    ],
    # The AWS CLI the seed stories run on the hosts (`aws s3 cp`), every package pinned. From PyPI, not Debian:
    # bookworm's awscli 2.9 predates AWS_ENDPOINT_URL (AWS CLI 2.13 and 1.29 brought it), so the STS call behind
    # an SDK profile with role_arn could not reach the embedded AWS. It goes to /opt/aws-cli with its own botocore.
    "aws_cli": [
        "awscli==1.46.3", "colorama==0.4.6", "docutils==0.19", "jmespath==1.1.0", "pyasn1==0.6.5",
        "python-dateutil==2.9.0.post0", "PyYAML==6.0.4", "rsa==4.7.2", "six==1.17.0", "urllib3==2.8.0",
    ],
    "revision": 1,
}

# bookworm's Python, for which the AWS CLI's wheels are chosen.
HOST_PYTHON = "3.11"
AWS_CLI_DIR = "/opt/aws-cli"
AWS_CLI_WRAPPER = """#!/bin/sh
# The AWS CLI (PyPI's awscli, with its own botocore) installed by the iamkit.ec2 test world's host image.
PYTHONPATH=%s exec /usr/bin/python3 -m awscli "$@"
""" % AWS_CLI_DIR

# root lacks CAP_SYS_RESOURCE here, and crun cannot run in this machine's hybrid cgroup mode
# (../shared/ENVIRONMENT.md): both settings are needed for any podman container on this machine.
CONTAINERS_CONF = """[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

[engine]
runtime = "runc"
"""


def cache_dir(path=None):
    default = os.path.join(os.path.expanduser("~"), ".cache", "iamkit-ec2")
    folder = path or os.environ.get("IAMKIT_CACHE_DIR") or default
    os.makedirs(folder, exist_ok=True)
    return folder


def podman_env(cache=None):
    """Environment for podman: writes the containers.conf the machine needs and points CONTAINERS_CONF at it."""
    conf = os.path.join(cache_dir(cache), "containers.conf")
    if not os.path.exists(conf) or open(conf).read() != CONTAINERS_CONF:
        with open(conf, "w") as handle:
            handle.write(CONTAINERS_CONF)
    env = dict(os.environ)
    env["CONTAINERS_CONF"] = conf
    return env


def debian_mirror():
    """The Debian mirror apt is configured with (IAMKIT_DEBIAN_MIRROR overrides)."""
    if os.environ.get("IAMKIT_DEBIAN_MIRROR"):
        return os.environ["IAMKIT_DEBIAN_MIRROR"]
    for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        mirror = mirror_from_deb822(open(path).read())
        if mirror:
            return mirror
    for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
        if os.path.exists(path):
            mirror = mirror_from_one_line(open(path).read())
            if mirror:
                return mirror
    return "http://deb.debian.org/debian"


def mirror_from_deb822(text):
    """First URI of a stanza that carries the plain bookworm suite (not -security/-updates)."""
    for stanza in text.split("\n\n"):
        fields = {}
        for line in stanza.splitlines():
            if ":" in line and not line.startswith("#"):
                key, value = line.split(":", 1)
                fields[key.strip()] = value.split()
        if RECIPE["suite"] in fields.get("Suites", []) and fields.get("URIs"):
            return fields["URIs"][0]
    return None


def mirror_from_one_line(text):
    for line in text.splitlines():
        words = line.split()
        words = [word for word in words if not word.startswith("[")]
        if len(words) >= 3 and words[0] == "deb" and words[2] == RECIPE["suite"]:
            return words[1]
    return None


def recipe_hash(mirror=None, recipe=None):
    """Hash of a root file system recipe (the host's by default) and the mirror it is built from."""
    recipe = dict(recipe or RECIPE, mirror=mirror or debian_mirror())
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:12]


def image_name(mirror=None):
    return "%s:%s" % (IMAGE_REPOSITORY, recipe_hash(mirror))


def image_exists(name, env):
    return subprocess.run(["podman", "image", "exists", name], env=env, check=False).returncode == 0


def build_rootfs(target, mirror, recipe=None):
    """debootstrap a recipe (the host's by default) into target and make it bootable as a container."""
    recipe = recipe or RECIPE
    subprocess.run(
        ["debootstrap", "--variant=" + recipe["variant"], "--include=" + ",".join(recipe["include"]),
         recipe["suite"], target, mirror],
        check=True, stdout=subprocess.DEVNULL,
    )
    for unit in recipe.get("mask", []):
        link = os.path.join(target, "etc", "systemd", "system", unit)
        if not os.path.lexists(link):
            os.symlink("/dev/null", link)
    install_aws_cli(target)
    # An empty machine-id makes each container get its own at boot, as cloud images do.
    with open(os.path.join(target, "etc", "machine-id"), "w"):
        pass
    shutil.rmtree(os.path.join(target, "var", "cache", "apt", "archives"), ignore_errors=True)
    os.makedirs(os.path.join(target, "var", "cache", "apt", "archives", "partial"), exist_ok=True)


def install_aws_cli(target):
    """The recipe's AWS CLI into the root file system, by this machine's pip (the host has no network)."""
    folder = target + AWS_CLI_DIR
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--only-binary=:all:", "--target", folder,
         "--python-version", HOST_PYTHON, "--implementation", "cp",
         "--platform", "manylinux2014_%s" % platform.machine()] + RECIPE["aws_cli"],
        check=True, capture_output=True, text=True,
    )
    # pip's scripts there start with this machine's interpreter; the wrapper below uses the host's.
    shutil.rmtree(os.path.join(folder, "bin"), ignore_errors=True)
    wrapper = os.path.join(target, "usr", "local", "bin", "aws")
    with open(wrapper, "w") as handle:
        handle.write(AWS_CLI_WRAPPER)
    os.chmod(wrapper, 0o755)


def ensure_image(cache=None, log=print):
    """Name of the host image, building or importing it when missing. Returns (name, how, seconds)."""
    started = time.monotonic()
    mirror = debian_mirror()
    name = image_name(mirror)
    tarball = os.path.join(cache_dir(cache), "host-%s.tar" % recipe_hash(mirror))

    def make_rootfs(target):
        log("host image: debootstrap %s from %s (once per recipe)" % (RECIPE["suite"], mirror))
        build_rootfs(target, mirror)

    how = ensure_imported_image(name, tarball, make_rootfs, ["CMD=/lib/systemd/systemd"], cache)
    return name, how, time.monotonic() - started


def ensure_imported_image(name, tarball, make_rootfs, changes, cache=None):
    """Image `name` imported from a root file system tarball kept in the cache; make_rootfs(folder) fills a
    folder when the tarball is missing. Returns how: cached, imported from the cached tarball, or built."""
    env = podman_env(cache)
    if image_exists(name, env):
        return "cached"
    with exclusive(tarball + ".lock"):
        # Another process may have imported it while this one waited for the lock.
        if image_exists(name, env):
            return "cached"
        return import_image(name, tarball, make_rootfs, changes, cache, env)


def import_image(name, tarball, make_rootfs, changes, cache, env):
    """Import `name` from the tarball, making the tarball first when it is missing."""
    how = "imported from cached root file system"
    if not os.path.exists(tarball):
        how = "built"
        work = tempfile.mkdtemp(prefix="iamkit-rootfs-", dir=cache_dir(cache))
        try:
            make_rootfs(work)
            partial = tarball + ".partial"
            subprocess.run(["tar", "-C", work, "--numeric-owner", "-cf", partial, "."], check=True)
            os.replace(partial, tarball)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    options = []
    for change in changes:
        options += ["--change", change]
    with open(tarball, "rb") as handle:
        subprocess.run(["podman", "import", "--quiet"] + options + ["-", name],
                       stdin=handle, env=env, check=True, stdout=subprocess.DEVNULL)
    return how


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("command", choices=["build", "name"])
    parser.add_argument("--cache", help="cache folder (default $IAMKIT_CACHE_DIR or ~/.cache/iamkit-ec2)")
    args = parser.parse_args(argv)
    if args.command == "name":
        print(image_name())
        return
    name, how, seconds = ensure_image(args.cache, log=lambda text: print(text, file=sys.stderr))
    print("host image %s: %s in %.1f s" % (name, how, seconds))


if __name__ == "__main__":
    main()
