#!/usr/bin/env bash
# Make (or refresh) the venv of one leg of the support matrix from its pinned file tests/matrix/<leg>.txt:
#   tests/matrix/venv.sh LEG VENV
# The leg file names its controller Python on a `# python: X.Y` line and pins every package, the `ansible`
# bundle included. The bundle is what brings amazon.aws (Galaxy is not reachable), but it also pins its own
# ansible-core, which is the one thing a leg changes: so it is installed on its own, without its
# dependencies (and without its Python floor: the bundle is only collections' files).
set -euo pipefail
cd "$(dirname "$0")/../.."
leg=${1:?usage: venv.sh LEG VENV}
venv=${2:?usage: venv.sh LEG VENV}
pins="tests/matrix/$leg.txt"
if [ ! -f "$pins" ]; then
  legs=(tests/matrix/*-aws*.txt)
  legs=("${legs[@]#tests/matrix/}")
  echo "matrix: no leg '$leg' (legs: ${legs[*]%.txt})" >&2
  exit 2
fi
python_version=$(sed -n 's/^# python: *//p' "$pins")

# The leg's interpreter: pyenv's build of that version (the shims can name interpreters that are not there),
# else one on PATH.
interpreter() {
  local found
  for found in "$(pyenv root 2>/dev/null)"/versions/"$python_version".*/bin/python"$python_version"; do
    if [ -x "$found" ]; then echo "$found"; return; fi
  done
  command -v "python$python_version" || { echo "matrix: no Python $python_version for leg $leg" >&2; exit 1; }
}

if [ ! -x "$venv/bin/python" ]; then
  "$(interpreter)" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/matrix/requirements.txt -c "$pins"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --ignore-requires-python \
  -c "$pins" ansible
