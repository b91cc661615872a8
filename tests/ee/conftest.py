"""Fixtures of the ee layer: the execution environment image (built once per content, see
tests/support/ee_image.py), the AWX assets of examples/awx, and test worlds whose hosts answer SSH."""

import json
import os
import subprocess
import time

import pytest

from tests.support import ee_image
from tests.support import host_image
from tests.support import ssh_hosts
from tests.support.awx_job import load_assets
from tests.support.paths import ROOT
from tests.support.system_packages import install_world_packages
from tests.support.world import World

FIGURES = os.path.join(ROOT, "tests", "output", "ee", "figures.json")


def record_figure(name, value):
    """Keep a measured figure (seconds) in tests/output/ee/figures.json, for the report and the README."""
    figures = {}
    if os.path.exists(FIGURES):
        with open(FIGURES) as handle:
            figures = json.load(handle)
    figures[name] = round(value, 1)
    os.makedirs(os.path.dirname(FIGURES), exist_ok=True)
    with open(FIGURES, "w") as handle:
        json.dump(figures, handle, indent=1, sort_keys=True)


@pytest.fixture(scope="session")
def awx_assets():
    return load_assets()


@pytest.fixture(scope="session")
def ee_build():
    """The image, built when its content changed: {"name", "how", "seconds", "timings"}. The example's
    execution environment names a registry image; tagging the local build with that name is what pulling it
    onto an execution node would do, so AWX's pull policy (missing) finds it."""
    if os.geteuid() != 0:
        pytest.fail("the ee layer needs root (podman with host networking, debootstrap)")
    install_world_packages()
    name, how, seconds, timings = ee_image.ensure_image(log=print)
    record_figure("ee image %s" % how, seconds)
    for environment in load_assets()["execution_environments"]:
        subprocess.run(["podman", "tag", name, environment["image"]], env=host_image.podman_env(), check=True)
    return {"name": name, "how": how, "seconds": seconds, "timings": timings}


@pytest.fixture(scope="session")
def ee_image_name(ee_build):
    return ee_build["name"]


@pytest.fixture(scope="session")
def node_env():
    """The environment of an execution node's `ansible-runner worker`: podman set up for this machine."""
    return host_image.podman_env()


class SshWorld:
    """A test world whose hosts run sshd on their own loopback ports, and the key that opens them."""

    def __init__(self, world, key_path):
        self.world = world
        self.key_path = key_path

    @property
    def private_key(self):
        with open(self.key_path) as handle:
            return handle.read()

    def inventory(self):
        """The hosts as an AWX inventory holds them (variables per host)."""
        return {"hosts": ssh_hosts.inventory_hosts(self.world)}

    def inventory_file(self, path):
        with open(path, "w") as handle:
            json.dump({"all": {"hosts": ssh_hosts.inventory_hosts(self.world)}}, handle, indent=1)
        return path


@pytest.fixture(scope="module")
def ssh_worlds(tmp_path_factory):
    """Factory of test worlds with SSH hosts (2 by default); all are stopped at the end of the module."""
    install_world_packages()
    started = []

    def make(label, hosts=2):
        image = ssh_hosts.ensure_image(log=print)
        moment = time.monotonic()
        world = World(str(tmp_path_factory.mktemp("world-%s" % label)))
        started.append(world)
        world.up(hosts, log=print, image=image)
        key_path, public_key = ssh_hosts.make_key(world.state_dir)
        ssh_hosts.start_sshd(world, public_key)
        record_figure("world with %d ssh hosts up" % hosts, time.monotonic() - moment)
        return SshWorld(world, key_path)

    yield make
    for world in started:
        world.down()
