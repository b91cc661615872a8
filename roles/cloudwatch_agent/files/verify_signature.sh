#!/bin/sh
# verify_signature.sh PACKAGE SIGNATURE KEYFILE FINGERPRINT [remove]
# Refuses (exit 1, saying why) unless SIGNATURE is a good signature of PACKAGE by the key with FINGERPRINT.
# The key file is imported into a throw-away keyring: the user's own keyring is never touched, and only a key
# whose fingerprint matches the pinned one can make the signature acceptable.
# With `remove`, a refused PACKAGE and SIGNATURE are deleted (the role's download cache, where the next run
# would take them as downloaded); without it nothing is deleted (a package file the user gave is theirs).
set -eu
package=$1 signature=$2 keyfile=$3 fingerprint=$(echo "$4" | tr -d ' ' | tr 'a-f' 'A-F') on_failure=${5:-keep}
refuse() {
  if [ "$on_failure" = remove ]; then
    rm -f "$package" "$signature"
    echo "$1; refusing to install $package (removed it)" >&2
  else
    echo "$1; refusing to install $package (left in place)" >&2
  fi
  exit 1
}
if ! command -v gpg >/dev/null 2>&1; then
  echo "gpg is not installed where the package is verified; install gnupg there" >&2
  exit 1
fi
[ -f "$package" ] || { echo "the package $package does not exist" >&2; exit 1; }
[ -f "$signature" ] || refuse "BAD or missing signature: $signature does not exist"
[ -f "$keyfile" ] || refuse "the signing key file $keyfile does not exist"
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
gpg --homedir "$home" --batch --quiet --import "$keyfile" 2>/dev/null || refuse "$keyfile holds no readable key"
if ! gpg --homedir "$home" --batch --with-colons --fingerprint | grep -q "^fpr:::::::::$fingerprint:"; then
  refuse "the key in $keyfile is not the pinned key $fingerprint"
fi
status=$(gpg --homedir "$home" --batch --status-fd 1 --verify "$signature" "$package" 2>/dev/null || true)
if echo "$status" | grep -q "^\[GNUPG:\] VALIDSIG $fingerprint "; then
  echo "good signature of $package by $fingerprint"
  exit 0
fi
refuse "BAD or missing signature: $package is not signed by $fingerprint"
