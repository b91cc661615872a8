#!/usr/bin/env python
"""The package mirror of the test world: AWS's CloudWatch agent bucket, laid out on 127.0.0.1.

    python -m tests.support.mirror publish --root DIR --gnupg DIR   # build, sign and lay out the packages
    python -m tests.support.mirror serve --root DIR --state FILE    # serve DIR until SIGTERM

Layout, as in the real bucket (../shared/cloudwatch-agent/FACTS.md):
    <platform>/<arch>/<version|latest>/amazon-cloudwatch-agent.<deb|rpm>   and .sig beside each
    info/latest/CWAGENT_VERSION
    assets/amazon-cloudwatch-agent.gpg                                     the public key (armored)
and, for refusal tests, `tampered/` holding the same tree with every package altered by one byte and its
original signature kept: a download from there must fail signature verification.

The signing key is made by the tests (`gpg --batch --gen-key`, no passphrase) in the world's state folder;
it is never committed and never leaves that folder.
"""

import argparse
import hashlib
import http.server
import json
import os
import shutil
import signal
import subprocess
import threading

from tests.support import agent_build
from tests.support.locks import exclusive

PACKAGE = "amazon-cloudwatch-agent"
# Oldest first; the last is `latest`. Two versions let tests pin one and upgrade to the other.
VERSIONS = agent_build.PACKAGE_VERSIONS
# Platforms the real bucket carries, for amd64: the real agent is built here for amd64 only, the
# architecture of every test host (the bucket's arm64 folders are left out rather than filled with amd64 files).
DEB_TARGETS = [("debian", "amd64"), ("ubuntu", "amd64")]
RPM_TARGETS = [("amazon_linux", "amd64"), ("redhat", "amd64"), ("centos", "amd64"), ("suse", "amd64"),
               ("oracle_linux", "amd64")]
KEY_NAME = "iamkit.ec2 test CloudWatch agent signing key"


def gpg(gnupg_home, *args, **kwargs):
    os.makedirs(gnupg_home, mode=0o700, exist_ok=True)
    return subprocess.run(["gpg", "--homedir", gnupg_home, "--batch", "--quiet"] + list(args),
                          check=True, capture_output=True, **kwargs)


def make_key(gnupg_home):
    """The test signing key: fingerprint of the one in gnupg_home, generated there when missing."""
    listed = subprocess.run(["gpg", "--homedir", gnupg_home, "--batch", "--with-colons", "--list-secret-keys"],
                            capture_output=True, text=True, check=False) if os.path.isdir(gnupg_home) else None
    if listed is None or "fpr:" not in listed.stdout:
        params = ("%%no-protection\nKey-Type: RSA\nKey-Length: 2048\nKey-Usage: sign\nName-Real: %s\n"
                  "Expire-Date: 0\n%%commit\n" % KEY_NAME)
        gpg(gnupg_home, "--gen-key", input=params.encode())
        listed = subprocess.run(["gpg", "--homedir", gnupg_home, "--batch", "--with-colons", "--list-secret-keys"],
                                capture_output=True, text=True, check=True)
    return [line.split(":")[9] for line in listed.stdout.splitlines() if line.startswith("fpr:")][0]


def build_packages():
    """{(kind, version): path} of the real agent's packages (agent_build.py; built once, then cached)."""
    return agent_build.build()


def sign(gnupg_home, fingerprint, target, signature=None):
    """A detached signature of target, beside it (target.sig) unless another path is given."""
    gpg(gnupg_home, "--yes", "--local-user", fingerprint, "--output", signature or target + ".sig",
        "--detach-sign", target)


def tamper(source, target):
    """Copy a package with one byte changed in the middle: same size, different content."""
    data = bytearray(open(source, "rb").read())
    data[len(data) // 2] ^= 0xFF
    with open(target, "wb") as handle:
        handle.write(data)


def tampered_copy(source, cache):
    """A copy of a package with one byte changed in the middle (same size, other content), kept in the cache
    beside the packages: the packages are large, and every world serves the same ones."""
    folder = os.path.join(cache, "agent", "tampered")
    os.makedirs(folder, exist_ok=True)
    target = os.path.join(folder, hashlib.sha256(source.encode()).hexdigest()[:16] + os.path.splitext(source)[1])
    with exclusive(target + ".lock"):
        if not os.path.exists(target):
            tamper(source, target + ".partial")
            os.replace(target + ".partial", target)
    return target


def place(source, target):
    """A package in the mirror's tree: a link to the built file (the server follows it), not a 50 MB copy."""
    os.makedirs(os.path.dirname(target), exist_ok=True)
    os.symlink(source, target)


def publish(root, gnupg_home, cache):
    """Lay the bucket out under root; returns a summary (key fingerprint, versions, files)."""
    fingerprint = make_key(gnupg_home)
    packages = build_packages()
    shutil.rmtree(root, ignore_errors=True)
    signatures = os.path.join(root, "signatures")
    os.makedirs(signatures)
    signed = {}
    for key, path in sorted(packages.items()):
        signed[key] = os.path.join(signatures, "%s-%s" % key)
        sign(gnupg_home, fingerprint, path, signed[key])
    files = []
    targets = [("deb", target) for target in DEB_TARGETS] + [("rpm", target) for target in RPM_TARGETS]
    for kind, (platform, arch) in targets:
        for version in VERSIONS:
            for label in [version] + (["latest"] if version == VERSIONS[-1] else []):
                relative = os.path.join(platform, arch, label, "%s.%s" % (PACKAGE, kind))
                place(packages[(kind, version)], os.path.join(root, relative))
                shutil.copyfile(signed[(kind, version)], os.path.join(root, relative) + ".sig")
                tampered = os.path.join(root, "tampered", relative)
                place(tampered_copy(packages[(kind, version)], cache), tampered)
                shutil.copyfile(signed[(kind, version)], tampered + ".sig")
                files.append(relative)
    shutil.rmtree(signatures)
    os.makedirs(os.path.join(root, "info", "latest"))
    with open(os.path.join(root, "info", "latest", "CWAGENT_VERSION"), "w") as handle:
        handle.write(VERSIONS[-1] + "\n")
    os.makedirs(os.path.join(root, "assets"))
    with open(os.path.join(root, "assets", "amazon-cloudwatch-agent.gpg"), "wb") as handle:
        handle.write(gpg(gnupg_home, "--armor", "--export", fingerprint).stdout)
    return {"fingerprint": fingerprint, "versions": VERSIONS, "latest": VERSIONS[-1], "rpm": True, "files": files}


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(root, state_path, port=0):
    """Serve root on 127.0.0.1 until SIGTERM; the state file (url, pid) appears once it answers."""
    def handler(*args, **kwargs):
        return QuietHandler(*args, directory=root, **kwargs)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state = {"url": "http://127.0.0.1:%d" % server.server_address[1], "pid": os.getpid(), "root": root}
    with open(state_path + ".tmp", "w") as handle:
        json.dump(state, handle)
    os.replace(state_path + ".tmp", state_path)
    stop.wait()
    server.shutdown()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("command", choices=["publish", "serve"])
    parser.add_argument("--root", required=True, help="folder laid out like the bucket")
    parser.add_argument("--gnupg", help="GnuPG home holding (or receiving) the test signing key")
    parser.add_argument("--cache", default=os.path.join(os.path.expanduser("~"), ".cache", "iamkit-ec2"))
    parser.add_argument("--state", help="state file for serve (url, pid)")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "publish":
        summary = publish(args.root, args.gnupg, args.cache)
        print(json.dumps(dict(summary, files=len(summary["files"]))))
    else:
        serve(args.root, args.state, args.port)


if __name__ == "__main__":
    main()
