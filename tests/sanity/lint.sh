#!/usr/bin/env bash
# The lint layer: ansible-lint (production profile, offline), ruff, yamllint and the changelog linter.
# Every tool runs even when an earlier one reports findings, so one run shows them all; the layer
# passes only when none of them reports anything.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
root=$(pwd)

if [ -x .venv/bin/python ] && [ -z "${VIRTUAL_ENV:-}" ]; then
  # shellcheck disable=SC1091
  . .venv/bin/activate
fi

# ansible-lint resolves iamkit.ec2 (module_defaults groups, FQCNs in playbooks) through the same link
# the Makefile and conftest.py use; amazon.aws comes from the venv's `ansible` package.
mkdir -p tests/output/collections/ansible_collections/iamkit tests/output/lint-home
[ -L tests/output/collections/ansible_collections/iamkit/ec2 ] \
  || ln -sfn "$root" tests/output/collections/ansible_collections/iamkit/ec2
export ANSIBLE_COLLECTIONS_PATH="$root/tests/output/collections"
# ansible-lint keeps its cache (mocks, collection lists) under ANSIBLE_HOME when offline: keep it here,
# not in the user's home.
export ANSIBLE_HOME="$root/tests/output/lint-home"
export ANSIBLE_NOCOLOR=1 NO_COLOR=1

failed=()
run() {
  local name=$1
  shift
  echo "---- lint: $name"
  local started=$SECONDS
  if "$@"; then
    echo "---- lint: $name passed ($((SECONDS - started)) s)"
  else
    echo "---- lint: $name FAILED ($((SECONDS - started)) s)"
    failed+=("$name")
  fi
}

run ansible-lint ansible-lint --offline --profile production --strict --nocolor
run ruff ruff check --no-cache .
run yamllint yamllint --strict .
run antsibull-changelog antsibull-changelog lint

if [ ${#failed[@]} -gt 0 ]; then
  echo "lint: findings from: ${failed[*]}"
  exit 1
fi
echo "lint: no findings"
