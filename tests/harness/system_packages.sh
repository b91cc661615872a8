#!/usr/bin/env bash
# Installs the Debian packages the test world needs (podman hosts, image build, package signing and
# building), only those missing, so a machine that has them pays nothing. Needs root or sudo for apt-get.
# Usage: tests/harness/system_packages.sh [--rpm]    (--rpm adds the rpm tools for the optional .rpm)
set -euo pipefail

# command -> package that provides it
declare -A wanted=(
  [podman]=podman
  [runc]=runc
  [debootstrap]=debootstrap
  [newuidmap]=uidmap
  [gpg]=gnupg
  [dpkg-scanpackages]=dpkg-dev
  [dpkg-deb]=dpkg
  [curl]=curl
)
if [ "${1:-}" = "--rpm" ]; then
  wanted[rpmbuild]=rpm
fi

missing=()
for command in "${!wanted[@]}"; do
  command -v "$command" >/dev/null 2>&1 || missing+=("${wanted[$command]}")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "system_packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# A stale package index is the usual reason an install fails on a fresh machine.
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
