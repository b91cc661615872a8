#!/bin/sh
# verify_signature.sh PACKAGE SIGNATURE KEYFILE FINGERPRINT
# Refuses (exit 1, saying why) unless SIGNATURE is a good signature of PACKAGE by the key with FINGERPRINT.
# The key file is imported into a throw-away keyring: the user's own keyring is never touched, and only a key
# whose fingerprint matches the pinned one can make the signature acceptable.
set -eu
package=$1 signature=$2 keyfile=$3 fingerprint=$(echo "$4" | tr -d ' ' | tr 'a-f' 'A-F')
if ! command -v gpg >/dev/null 2>&1; then
  echo "gpg is not installed where the package is verified; install gnupg there" >&2
  exit 1
fi
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
gpg --homedir "$home" --batch --quiet --import "$keyfile" 2>/dev/null
if ! gpg --homedir "$home" --batch --with-colons --fingerprint | grep -q "^fpr:::::::::$fingerprint:"; then
  echo "the key in $keyfile is not the pinned key $fingerprint: refusing to install $package" >&2
  exit 1
fi
status=$(gpg --homedir "$home" --batch --status-fd 1 --verify "$signature" "$package" 2>/dev/null || true)
if echo "$status" | grep -q "^\[GNUPG:\] VALIDSIG $fingerprint "; then
  echo "good signature of $package by $fingerprint"
  exit 0
fi
# A failed package must not stay in a cache where the next run would take it as downloaded.
rm -f "$package" "$signature"
echo "BAD or missing signature: $package is not signed by $fingerprint; refusing to install it (removed it)" >&2
exit 1
