#!/usr/bin/env python
"""The real Amazon CloudWatch agent, built from its own source and packaged with its own recipe (`make agent`).

    python -m tests.support.agent_build [--source TARBALL] [--cache DIR]

1. The source tarball (IAMKIT_AGENT_SOURCE, default ../shared/cloudwatch-agent/source/...) must have the
   sha256 pinned here; anyone can make the same file with `git archive --prefix=amazon-cloudwatch-agent-1.300060.0/
   v1.300060.0` in aws/amazon-cloudwatch-agent (less packaging/opentelemetry-jmx-metrics.jar, kept outside git).
2. Its commands are built with the flags of the agent's Makefile (CGO_ENABLED=0, -trimpath, -ldflags "-s -w ..."),
   their Go modules fetched from the Go module proxy into a cache beside the result.
3. The package folder is laid out as the Makefile's package-prepare-deb / package-prepare-rpm targets do, and
   the agent's Tools/src/create_deb.sh and create_rpm.sh (with packaging/debian, packaging/linux's spec, the
   ctl, the systemd unit) make the .deb and .rpm, once per package version: the same binaries with another
   CWAGENT_VERSION, which is all a version is to the agent (internal/version/version.go reads that file).

The result is cached under ~/.cache/iamkit-ec2/agent/<version>-<recipe>/ (the recipe is a hash of this file,
the source and the Go version), so a second run builds nothing; a file lock makes parallel layers build once.
The last lines printed are the paths of the packages made.
"""

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import time

from tests.support.locks import exclusive
from tests.support.paths import SHARED

SOURCE_VERSION = "1.300060.0"
SOURCE_SHA256 = "f3380c109b0472836fcfb9daf29179a95b3a166c8eef2e1c57b8cc168497ab9e"
SOURCE = os.environ.get("IAMKIT_AGENT_SOURCE", os.path.join(
    SHARED, "cloudwatch-agent", "source", "amazon-cloudwatch-agent-%s.tar.gz" % SOURCE_VERSION))
CACHE = os.path.join(os.path.expanduser("~"), ".cache", "iamkit-ec2")
# Two packagings of the one build, oldest first; the last is the mirror's `latest`. Tests pin one and move
# between them (upgrade, downgrade) as users move between AWS's releases.
PACKAGE_VERSIONS = ["1.300060.0b1", "1.300060.0b2"]
# The four Linux commands the ctl runs, and the config wizard, which create_deb.sh and the spec package too.
COMMANDS = ["amazon-cloudwatch-agent", "config-translator", "config-downloader", "start-amazon-cloudwatch-agent",
            "amazon-cloudwatch-agent-config-wizard"]
# The Makefile's LDFLAGS; its BUILD is the build's date, fixed here so that two builds are the same.
LDFLAGS = ("-s -w -X github.com/aws/amazon-cloudwatch-agent/cfg/agentinfo.VersionStr=%s "
           "-X github.com/aws/amazon-cloudwatch-agent/cfg/agentinfo.BuildStr=2025-09-19T00:00:00Z" % SOURCE_VERSION)
# The one file the source tarball lacks (a Java helper of the JMX receiver): its lines leave the recipe.
ABSENT_FILE = "opentelemetry-jmx-metrics.jar"
ARCH, RPM_ARCH = "amd64", "x86_64"
PACKAGE = "amazon-cloudwatch-agent"


class AgentBuildError(Exception):
    pass


def log(message):
    print("agent build: %s" % message, file=sys.stderr, flush=True)


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_source(path):
    """The tarball, unchanged; anything else fails naming the path, the setting and the expected checksum."""
    hint = "set IAMKIT_AGENT_SOURCE to the agent's source tarball of release %s (sha256 %s)" % (
        SOURCE_VERSION, SOURCE_SHA256)
    if not os.path.isfile(path):
        raise AgentBuildError("agent source missing: %s; %s" % (path, hint))
    found = sha256_of(path)
    if found != SOURCE_SHA256:
        raise AgentBuildError("agent source altered: %s has sha256 %s, expected %s; %s"
                              % (path, found, SOURCE_SHA256, hint))


def go_command():
    found = shutil.which("go") or ("/usr/local/go/bin/go" if os.path.exists("/usr/local/go/bin/go") else None)
    if not found:
        raise AgentBuildError("Go is not installed: the agent is built from its source with Go 1.24 or newer")
    return found


def go_env(cache):
    return dict(os.environ, CGO_ENABLED="0", GOOS="linux", GOARCH=ARCH, GOTOOLCHAIN="local", GOFLAGS="-buildvcs=false",
                GOMODCACHE=os.path.join(cache, "go", "mod"), GOCACHE=os.path.join(cache, "go", "build"))


def recipe(cache):
    """What decides the result: this file, the source and the Go toolchain."""
    digest = hashlib.sha256(open(os.path.abspath(__file__), "rb").read())
    digest.update(SOURCE_SHA256.encode())
    digest.update(run([go_command(), "version"], go_env(cache)).encode())
    return digest.hexdigest()[:12]


def run(command, env, cwd=None):
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise AgentBuildError("%s failed (%s):\n%s" % (" ".join(command[:3]), result.returncode,
                                                       (result.stdout + result.stderr)[-4000:]))
    return result.stdout


def unpack(source, folder):
    """The source tree at a fixed path, so Go's build cache finds its packages again on the next build."""
    marker = os.path.join(folder, ".unpacked-" + SOURCE_SHA256)
    if os.path.exists(marker):
        return
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    with tarfile.open(source) as archive:
        top = archive.getmembers()[0].name.split("/")[0]
        for member in archive.getmembers():
            member.name = member.name[len(top):].lstrip("/")
            if member.name:
                archive.extract(member, folder, filter="tar")
    open(marker, "w").close()


def build_commands(source_dir, out_dir, cache):
    started = time.monotonic()
    os.makedirs(out_dir, exist_ok=True)
    run([go_command(), "build", "-trimpath", "-ldflags", LDFLAGS, "-o", out_dir + "/"]
        + ["./cmd/%s" % name for name in COMMANDS], go_env(cache), cwd=source_dir)
    log("built %s in %.0f s" % (", ".join(COMMANDS), time.monotonic() - started))


def without_absent_file(text):
    return "\n".join(line for line in text.splitlines() if ABSENT_FILE not in line) + "\n"


def lay_out_prepackage(source_dir, bin_dir, folder, version):
    """The Makefile's package-prepare-deb/-rpm: binaries, licensing, notes, version, ctl, unit, configs, schema."""
    os.makedirs(folder)
    for name in COMMANDS:
        shutil.copy2(os.path.join(bin_dir, name), folder)
    for name in os.listdir(os.path.join(source_dir, "licensing")):
        shutil.copy2(os.path.join(source_dir, "licensing", name), folder)
    with open(os.path.join(folder, "CWAGENT_VERSION"), "w") as handle:
        handle.write(version + "\n")
    for relative, name in (("RELEASE_NOTES", None),
                           ("packaging/dependencies/amazon-cloudwatch-agent-ctl", None),
                           ("packaging/dependencies/amazon-cloudwatch-agent.service", None),
                           ("cfg/commonconfig/common-config.toml", None),
                           ("packaging/linux/amazon-cloudwatch-agent.conf", None),
                           ("translator/config/schema.json", "amazon-cloudwatch-agent-schema.json")):
        shutil.copy2(os.path.join(source_dir, relative), os.path.join(folder, name or os.path.basename(relative)))
    with open(os.path.join(source_dir, "packaging/linux/amazon-cloudwatch-agent.spec")) as handle:
        spec = without_absent_file(handle.read())
    with open(os.path.join(folder, "amazon-cloudwatch-agent.spec"), "w") as handle:
        handle.write(spec)


def run_recipe(source_dir, script, build_space, prepackage, extra_env):
    """One of the agent's Tools/src/create_*.sh, less the lines of the absent file, in a build space laid out
    as the Makefile lays it (Tools/ and packaging/ copied in)."""
    for folder in ("Tools", "packaging"):
        if not os.path.exists(os.path.join(build_space, folder)):
            shutil.copytree(os.path.join(source_dir, folder), os.path.join(build_space, folder))
    path = os.path.join(build_space, "Tools", "src", script)
    with open(path) as handle:
        text = without_absent_file(handle.read())
    with open(path, "w") as handle:
        handle.write(text)
    env = dict(os.environ, BUILD_SPACE=build_space, PREPKGPATH=prepackage, ARCH=ARCH, **extra_env)
    run(["bash", path], env, cwd=build_space)


def package(source_dir, bin_dir, version, out_dir, work):
    """The .deb and .rpm of one package version, into out_dir."""
    for kind, script, extra in (("deb", "create_deb.sh", {}),
                                ("rpm", "create_rpm.sh", {"TARGET_SUPPORTED_ARCH": RPM_ARCH})):
        build_space = os.path.join(work, "%s-%s" % (version, kind))
        prepackage = os.path.join(build_space, "private", "linux", ARCH, kind, PACKAGE + "-pre-pkg")
        lay_out_prepackage(source_dir, bin_dir, prepackage, version)
        run_recipe(source_dir, script, build_space, prepackage, extra)
        made = os.path.join(build_space, "bin", "linux", ARCH, "%s.%s" % (PACKAGE, kind))
        os.makedirs(out_dir, exist_ok=True)
        shutil.move(made, os.path.join(out_dir, "%s.%s" % (PACKAGE, kind)))


def packages_in(folder):
    """{(kind, version): path} of a finished build folder."""
    return dict(((kind, version), os.path.join(folder, "packages", version, "%s.%s" % (PACKAGE, kind)))
                for version in PACKAGE_VERSIONS for kind in ("deb", "rpm"))


def build(source=SOURCE, cache=CACHE):
    """{(kind, version): path} of the agent's packages, built when the cache lacks them."""
    check_source(source)
    folder = os.path.join(cache, "agent", "%s-%s" % (SOURCE_VERSION, recipe(cache)))
    done = os.path.join(folder, ".done")
    os.makedirs(os.path.dirname(folder), exist_ok=True)
    with exclusive(folder + ".lock"):
        if os.path.exists(done):
            log("cached in %s" % folder)
            return packages_in(folder)
        started = time.monotonic()
        # The packaging tools: ar and tar for the .deb, rpmbuild for the .rpm.
        from tests.support.system_packages import install_world_packages
        install_world_packages(with_rpm=True)
        shutil.rmtree(folder, ignore_errors=True)
        source_dir = os.path.join(cache, "agent", "source-%s" % SOURCE_VERSION)
        unpack(source, source_dir)
        bin_dir = os.path.join(folder, "bin")
        build_commands(source_dir, bin_dir, cache)
        work = os.path.join(folder, "work")
        for version in PACKAGE_VERSIONS:
            package(source_dir, bin_dir, version, os.path.join(folder, "packages", version), work)
        shutil.rmtree(work)
        open(done, "w").close()
        took = time.monotonic() - started
        log("packaged %s as .deb and .rpm in %.0f s, in %s" % (", ".join(PACKAGE_VERSIONS), took, folder))
        return packages_in(folder)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--source", default=SOURCE, help="the agent's source tarball (env IAMKIT_AGENT_SOURCE)")
    parser.add_argument("--cache", default=CACHE)
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        packages = build(args.source, args.cache)
    except AgentBuildError as error:
        print("agent build failed: %s" % error, file=sys.stderr)
        return 1
    log("done in %.0f s" % (time.monotonic() - started))
    for key in sorted(packages):
        print(packages[key])
    return 0


if __name__ == "__main__":
    sys.exit(main())
