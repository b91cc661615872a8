"""The molecule layer: every scenario under extensions/molecule/, each a `molecule test` on its own test world.

The layer installs the system packages podman hosts need and makes sure the host image exists (built once per
recipe, see tests/support/host_image.py), so it passes on a fresh machine whatever ran before it. Each
scenario starts its own world in its ephemeral folder (extensions/molecule/shared/create.yml), here under
tests/output/molecule/<scenario> so two checkouts never share one, and reaches it through the dynamic
inventory extensions/molecule/shared/inventory.py.
"""

import os
import subprocess

import pytest

from tests.support import host_image
from tests.support.paths import BIN
from tests.support.paths import COLLECTIONS
from tests.support.paths import ROOT
from tests.support.paths import tool
from tests.support.system_packages import install_world_packages

SCENARIOS_DIR = os.path.join(ROOT, "extensions", "molecule")


def scenario_names():
    return sorted(name for name in os.listdir(SCENARIOS_DIR)
                  if os.path.exists(os.path.join(SCENARIOS_DIR, name, "molecule.yml")))


@pytest.fixture(scope="session")
def molecule_env():
    """What every scenario needs from the machine: podman and its settings, the host image, the collection."""
    install_world_packages()
    host_image.ensure_image()
    env = host_image.podman_env()
    env["ANSIBLE_COLLECTIONS_PATH"] = COLLECTIONS
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    env["ANSIBLE_NOCOLOR"] = "1"
    return env


@pytest.mark.parametrize("scenario", scenario_names())
def test_scenario(scenario, molecule_env):
    ephemeral = os.path.join(ROOT, "tests", "output", "molecule", scenario)
    env = dict(molecule_env, MOLECULE_EPHEMERAL_DIRECTORY=ephemeral)
    result = subprocess.run([tool("molecule"), "test", "--scenario-name", scenario],
                            cwd=os.path.join(ROOT, "extensions"), env=env, capture_output=True, text=True,
                            timeout=1800, check=False)
    assert result.returncode == 0, "molecule test -s %s failed:\n%s\n%s" % (
        scenario, result.stdout[-30000:], result.stderr[-10000:])
