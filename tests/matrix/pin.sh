#!/usr/bin/env bash
# Write the pinned file of one leg of the support matrix (tests/matrix/<leg>.txt), resolved on the leg's own
# Python against the same pins as the default venv (constraints.txt) wherever they fit:
#   tests/matrix/pin.sh LEG PYTHON ANSIBLE_CORE ANSIBLE_BUNDLE AMAZON_AWS
#   e.g. tests/matrix/pin.sh 2.17-aws9 3.11 2.17.14 11.0.0 9.0.0
# AMAZON_AWS is only written down (the bundle decides it); the README's matrix table quotes it.
set -euo pipefail
cd "$(dirname "$0")/../.."
leg=$1 python_version=$2 core=$3 bundle=$4 amazon_aws=$5
scratch=$(mktemp -d "${TMPDIR:-/tmp}/iamkit-pin.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
# The default venv's pins, less the two the leg sets itself.
# ansible-core's own dependencies (resolvelib, Jinja2...) follow each core's ranges, not the newest core's.
grep -v -E '^(ansible|ansible-core|resolvelib|Jinja2|MarkupSafe|packaging|cryptography|cffi|pycparser)==' constraints.txt > "$scratch/constraints.txt"
printf '# python: %s\nansible-core==%s\nansible==%s\n' "$python_version" "$core" "$bundle" > "$scratch/leg.txt"
pythons=("$(pyenv root)"/versions/"$python_version".*/bin/python"$python_version")
python=${pythons[0]}
"$python" -m venv "$scratch/venv"
"$scratch/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  -r tests/matrix/requirements.txt "ansible-core==$core" -c "$scratch/constraints.txt"
{
  echo "# Leg $leg of the support matrix: ansible-core $core on Python $python_version, amazon.aws $amazon_aws"
  echo "# (from the ansible $bundle bundle). Written by tests/matrix/pin.sh; installed by tests/matrix/venv.sh."
  echo "# python: $python_version"
  echo "# amazon.aws: $amazon_aws"
  echo "ansible==$bundle"
  "$scratch/venv/bin/python" -m pip freeze --all --exclude-editable | grep -v -E '^(pip|setuptools|wheel)=='
} > "tests/matrix/$leg.txt"
echo "matrix: wrote tests/matrix/$leg.txt"
