#!/usr/bin/env python
"""Builds the test amazon-cloudwatch-agent package: a .deb with dpkg-deb and, where rpmbuild exists, an .rpm.

    python -m tests.support.agent_package.build --version 1.300064.0 --arch amd64 --out DIR [--rpm]

Both install what the real package installs (../shared/cloudwatch-agent/FACTS.md): /opt/aws/amazon-cloudwatch-agent
with bin/ (the ctl, the agent, CWAGENT_VERSION), etc/, logs/ and var/; the ctl on PATH; the user cwagent;
the unit amazon-cloudwatch-agent.service. The Python code is the same file under two names (agent.py).
"""

import argparse
import os
import shutil
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = os.path.join(HERE, "files")
PREFIX = "opt/aws/amazon-cloudwatch-agent"
NAME = "amazon-cloudwatch-agent"
RPM_ARCH = {"amd64": "x86_64", "arm64": "aarch64"}
# Fixed timestamps make two builds of the same source byte-identical, so signatures and hashes are stable.
SOURCE_DATE_EPOCH = "1700000000"


def install_agent(target):
    """agent.py under a command name, run by the host's python3 (Debian has no `python` command)."""
    with open(os.path.join(HERE, "agent.py")) as handle:
        source = handle.read()
    with open(target, "w") as handle:
        handle.write("#!/usr/bin/python3\n" + source.split("\n", 1)[1])


def install_tree(root, version):
    """Lay out the package's files under root, as they land on the host."""
    os.makedirs(root, exist_ok=True)
    os.chmod(root, 0o755)
    bin_dir = os.path.join(root, PREFIX, "bin")
    for folder in ("bin", "etc/amazon-cloudwatch-agent.d", "logs", "var", "doc"):
        os.makedirs(os.path.join(root, PREFIX, folder), exist_ok=True)
    for name in ("amazon-cloudwatch-agent", "amazon-cloudwatch-agent-ctl"):
        install_agent(os.path.join(bin_dir, name))
        os.chmod(os.path.join(bin_dir, name), 0o755)
    shutil.copyfile(os.path.join(FILES, "start-amazon-cloudwatch-agent"),
                    os.path.join(bin_dir, "start-amazon-cloudwatch-agent"))
    os.chmod(os.path.join(bin_dir, "start-amazon-cloudwatch-agent"), 0o755)
    with open(os.path.join(bin_dir, "CWAGENT_VERSION"), "w") as handle:
        handle.write(version + "\n")
    shutil.copyfile(os.path.join(FILES, "common-config.toml"), os.path.join(root, PREFIX, "etc", "common-config.toml"))
    with open(os.path.join(root, PREFIX, "doc", "README"), "w") as handle:
        handle.write("Test double of the Amazon CloudWatch agent, built by the iamkit.ec2 tests. Not for production.\n")
    unit_dir = os.path.join(root, "etc", "systemd", "system")
    os.makedirs(unit_dir, exist_ok=True)
    shutil.copyfile(os.path.join(FILES, "amazon-cloudwatch-agent.service"), os.path.join(unit_dir, NAME + ".service"))
    for link, target in (("usr/bin/amazon-cloudwatch-agent-ctl", "/%s/bin/amazon-cloudwatch-agent-ctl" % PREFIX),
                         ("etc/amazon/amazon-cloudwatch-agent", "/%s/etc" % PREFIX),
                         ("var/log/amazon/amazon-cloudwatch-agent", "/%s/logs" % PREFIX)):
        os.makedirs(os.path.dirname(os.path.join(root, link)), exist_ok=True)
        os.symlink(target, os.path.join(root, link))


def control_text(version, arch):
    return "\n".join([
        "Package: %s" % NAME,
        "Version: %s" % version,
        "Architecture: %s" % arch,
        "Maintainer: iamkit.ec2 tests <iamkit-tests@example.invalid>",
        # The real package is a static Go binary; this double needs what the test image already holds.
        "Depends: python3, python3-boto3, python3-jsonschema",
        "Section: admin",
        "Priority: optional",
        "Description: Amazon CloudWatch agent (test double for iamkit.ec2)",
        " Installs the files and commands of the Amazon CloudWatch agent for tests.",
        "",
    ])


def run(command, env):
    """Run a build tool quietly; its own output becomes the error when it fails."""
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError("%s failed (%s): %s" % (command[0], result.returncode, result.stdout + result.stderr))


def build_deb(version, arch, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    work = tempfile.mkdtemp(prefix="cwagent-deb-")
    try:
        install_tree(work, version)
        debian = os.path.join(work, "DEBIAN")
        os.makedirs(debian)
        with open(os.path.join(debian, "control"), "w") as handle:
            handle.write(control_text(version, arch))
        for script in ("postinst", "prerm"):
            shutil.copyfile(os.path.join(FILES, script), os.path.join(debian, script))
            os.chmod(os.path.join(debian, script), 0o755)
        target = os.path.join(out_dir, NAME + ".deb")
        env = dict(os.environ, SOURCE_DATE_EPOCH=SOURCE_DATE_EPOCH)
        run(["dpkg-deb", "--root-owner-group", "-Zxz", "--build", work, target], env)
        return target
    finally:
        shutil.rmtree(work, ignore_errors=True)


SPEC = """Name: %(name)s
Version: %(rpm_version)s
Release: 1
Summary: Amazon CloudWatch agent (test double for iamkit.ec2)
License: MIT
Requires: python3
%%description
Installs the files and commands of the Amazon CloudWatch agent for tests.
%%install
cp -a %(tree)s/. %%{buildroot}/
%%post
%(postinst)s
%%preun
%(prerm)s
%%files
/opt/aws/amazon-cloudwatch-agent
/etc/systemd/system/amazon-cloudwatch-agent.service
/usr/bin/amazon-cloudwatch-agent-ctl
/etc/amazon/amazon-cloudwatch-agent
/var/log/amazon/amazon-cloudwatch-agent
"""


def build_rpm(version, arch, out_dir):
    """The .rpm, built with Debian's rpm tools; it cannot be installed here, only downloaded and verified."""
    os.makedirs(out_dir, exist_ok=True)
    work = tempfile.mkdtemp(prefix="cwagent-rpm-")
    try:
        tree = os.path.join(work, "tree")
        install_tree(tree, version)
        rpm_arch = RPM_ARCH[arch]
        spec = os.path.join(work, NAME + ".spec")
        with open(spec, "w") as handle:
            handle.write(SPEC % {
                "name": NAME, "rpm_version": version.replace("-", "_"), "rpm_arch": rpm_arch, "tree": tree,
                "postinst": open(os.path.join(FILES, "postinst")).read(),
                "prerm": open(os.path.join(FILES, "prerm")).read(),
            })
        env = dict(os.environ, SOURCE_DATE_EPOCH=SOURCE_DATE_EPOCH)
        run(["rpmbuild", "--quiet", "--define", "_topdir %s" % work, "--define", "_build_id_links none",
             "--target", rpm_arch, "-bb", spec], env)
        built = [os.path.join(folder, name) for folder, _subfolders, names in os.walk(os.path.join(work, "RPMS"))
                 for name in names if name.endswith(".rpm")]
        target = os.path.join(out_dir, NAME + ".rpm")
        shutil.copyfile(built[0], target)
        return target
    finally:
        shutil.rmtree(work, ignore_errors=True)


def can_build_rpm():
    return shutil.which("rpmbuild") is not None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--version", default="1.300064.0")
    parser.add_argument("--arch", default="amd64", choices=sorted(RPM_ARCH))
    parser.add_argument("--out", required=True)
    parser.add_argument("--rpm", action="store_true", help="also build the .rpm (needs rpmbuild)")
    args = parser.parse_args(argv)
    print(build_deb(args.version, args.arch, args.out))
    if args.rpm:
        print(build_rpm(args.version, args.arch, args.out))


if __name__ == "__main__":
    main()
