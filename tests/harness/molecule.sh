#!/usr/bin/env bash
# The molecule layer: every scenario under extensions/molecule/, against the test world.
set -euo pipefail
cd "$(dirname "$0")/../.."
shopt -s nullglob
scenarios=(extensions/molecule/*/molecule.yml)
if [ ${#scenarios[@]} -eq 0 ]; then
  echo "molecule: no scenarios under extensions/molecule/ yet"
  exit 0
fi
cd extensions
molecule test --all
