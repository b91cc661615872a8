#!/usr/bin/env bash
# The molecule layer: every scenario under extensions/molecule/, on hosts of the test world.
# Installs the system packages podman hosts need, makes sure the host image exists (built once per recipe,
# see host_image.py), and gives the scenarios what they need to reach it through the environment:
#   CONTAINERS_CONF      podman settings this machine needs (runc, ulimits)
#   IAMKIT_HOST_IMAGE    the host image for the podman driver's `image:` (pre_build_image: true)
#   IAMKIT_WORLD         the world helper, for scenarios that start the whole world (up/down --state DIR)
# Each scenario starts its own world in its ephemeral folder (extensions/molecule/shared/create.yml) and
# reaches it through the dynamic inventory extensions/molecule/shared/inventory.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
shopt -s nullglob
scenarios=(extensions/molecule/*/molecule.yml)
if [ ${#scenarios[@]} -eq 0 ]; then
  echo "molecule: no scenarios under extensions/molecule/ yet"
  exit 0
fi
bash tests/harness/system_packages.sh
python=${PYTHON:-.venv/bin/python}
"$python" tests/harness/host_image.py build
CONTAINERS_CONF="$("$python" -c 'import sys; sys.path.insert(0, "tests/harness"); import host_image; print(host_image.podman_env()["CONTAINERS_CONF"])')"
IAMKIT_HOST_IMAGE="$("$python" tests/harness/host_image.py name)"
IAMKIT_WORLD="$(pwd)/tests/harness/world.py"
export CONTAINERS_CONF IAMKIT_HOST_IMAGE IAMKIT_WORLD
# The scenarios find iamkit.ec2 as this checkout through the link the Makefile and conftest.py also use.
mkdir -p tests/output/collections/ansible_collections/iamkit
[ -L tests/output/collections/ansible_collections/iamkit/ec2 ] \
  || ln -sfn "$(pwd)" tests/output/collections/ansible_collections/iamkit/ec2
venv_bin="$(cd "$(dirname "$python")" && pwd)"
export PATH="$venv_bin:$PATH"
started=$SECONDS
cd extensions
molecule test --all
echo "molecule: all scenarios passed in $((SECONDS - started)) s"
