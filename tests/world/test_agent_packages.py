"""The real agent's packages (tests/support/agent_build.py) and the mirror that serves them as AWS's bucket
does: what the packages hold, the layout, signatures by a key made here, tampering detectable, loopback HTTP,
and the role's rpm command installing and upgrading the real .rpm."""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from tests.integration.test_cloudwatch_agent_install import play_env
from tests.integration.test_cloudwatch_agent_install import run_play
from tests.support import agent_build
from tests.support import mirror
from tests.support.paths import ROOT
from tests.support.world import wait_for_file

AGENT_HOME = "opt/aws/amazon-cloudwatch-agent"


@pytest.fixture(scope="module")
def packages():
    return agent_build.build()


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    base = tmp_path_factory.mktemp("mirror")
    summary = mirror.publish(str(base / "root"), str(base / "gnupg"), str(base / "cache"))
    return base, summary


def verify(base, package, signature):
    """gpg --verify with only the published public key, as a host does: (exit code, messages)."""
    keyring = base / "verify-home"
    keyring.mkdir(mode=0o700, exist_ok=True)
    key = base / "root" / "assets" / "amazon-cloudwatch-agent.gpg"
    subprocess.run(["gpg", "--homedir", str(keyring), "--batch", "--quiet", "--import", str(key)], check=True,
                   capture_output=True)
    result = subprocess.run(["gpg", "--homedir", str(keyring), "--batch", "--verify", str(signature), str(package)],
                            capture_output=True, text=True, check=False)
    subprocess.run(["gpgconf", "--homedir", str(keyring), "--kill", "all"], check=False, capture_output=True)
    return result.returncode, result.stderr


def test_the_deb_holds_the_agents_commands_ctl_unit_and_version(packages):
    version = agent_build.PACKAGE_VERSIONS[-1]
    deb = packages[("deb", version)]
    fields = subprocess.run(["dpkg-deb", "-f", deb, "Package", "Version", "Architecture"], capture_output=True,
                            text=True, check=True).stdout
    assert fields.split("\n")[:3] == ["Package: amazon-cloudwatch-agent", "Version: %s-1" % version,
                                      "Architecture: amd64"]
    listed = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True, text=True, check=True).stdout
    for path in ["bin/amazon-cloudwatch-agent", "bin/config-translator", "bin/config-downloader",
                 "bin/start-amazon-cloudwatch-agent", "bin/amazon-cloudwatch-agent-ctl", "bin/CWAGENT_VERSION",
                 "etc/common-config.toml", "doc/amazon-cloudwatch-agent-schema.json"]:
        assert " %s/%s" % (AGENT_HOME, path) in listed, path
    assert " etc/systemd/system/amazon-cloudwatch-agent.service" in listed
    # The package's own maintainer scripts (packaging/debian): preinst makes the cwagent user.
    control = subprocess.run(["dpkg-deb", "-I", deb], capture_output=True, text=True, check=True).stdout
    assert "preinst" in control and "postinst" in control and "prerm" in control


def test_the_rpm_carries_the_same_commands(packages):
    rpm = packages[("rpm", agent_build.PACKAGE_VERSIONS[0])]
    listed = subprocess.run(["rpm", "-qlp", rpm], capture_output=True, text=True, check=True).stdout.split()
    for name in ("amazon-cloudwatch-agent", "config-translator", "config-downloader",
                 "start-amazon-cloudwatch-agent", "amazon-cloudwatch-agent-ctl"):
        assert "/%s/bin/%s" % (AGENT_HOME, name) in listed
    query = subprocess.run(["rpm", "-qp", "--queryformat", "%{NAME} %{VERSION} %{ARCH}", rpm],
                           capture_output=True, text=True, check=True).stdout
    assert query == "amazon-cloudwatch-agent %s x86_64" % agent_build.PACKAGE_VERSIONS[0]


def test_a_second_build_is_the_cached_one(packages):
    assert agent_build.build() == packages


def test_an_altered_source_is_refused_naming_the_path_and_the_checksum(tmp_path):
    altered = tmp_path / "amazon-cloudwatch-agent-1.300060.0.tar.gz"
    altered.write_bytes(b"not the agent's source")
    with pytest.raises(agent_build.AgentBuildError) as refused:
        agent_build.build(source=str(altered), cache=str(tmp_path / "cache"))
    assert str(altered) in str(refused.value) and agent_build.SOURCE_SHA256 in str(refused.value)
    with pytest.raises(agent_build.AgentBuildError) as missing:
        agent_build.build(source=str(tmp_path / "absent.tar.gz"), cache=str(tmp_path / "cache"))
    assert "missing: %s" % (tmp_path / "absent.tar.gz") in str(missing.value)
    assert "IAMKIT_AGENT_SOURCE" in str(missing.value)


def test_layout_matches_the_bucket(published):
    base, summary = published
    root = base / "root"
    latest = summary["versions"][-1]
    assert (root / "info" / "latest" / "CWAGENT_VERSION").read_text() == latest + "\n"
    for platform, arch in mirror.DEB_TARGETS:
        for label in summary["versions"] + ["latest"]:
            assert (root / platform / arch / label / "amazon-cloudwatch-agent.deb").is_file()
            assert (root / platform / arch / label / "amazon-cloudwatch-agent.deb.sig").is_file()
    for platform, arch in mirror.RPM_TARGETS:
        assert (root / platform / arch / "latest" / "amazon-cloudwatch-agent.rpm").is_file()
    assert not (root / "debian" / "arm64").exists(), "AWS has no debian/arm64"
    version = subprocess.run(["dpkg-deb", "-f", str(root / "debian/amd64/latest/amazon-cloudwatch-agent.deb"),
                              "Version"], capture_output=True, text=True, check=True).stdout.strip()
    assert version == latest + "-1"
    assert (root / "assets" / "amazon-cloudwatch-agent.gpg").read_text().startswith(
        "-----BEGIN PGP PUBLIC KEY BLOCK-----")


def test_signatures_verify_and_tampering_is_detected(published):
    base, summary = published
    good = base / "root" / "debian" / "amd64" / "latest" / "amazon-cloudwatch-agent.deb"
    code, messages = verify(base, good, str(good) + ".sig")
    assert code == 0 and "Good signature" in messages and summary["fingerprint"][-8:] in messages.replace(" ", "")
    tampered = base / "root" / "tampered" / "debian" / "amd64" / "latest" / "amazon-cloudwatch-agent.deb"
    assert tampered.stat().st_size == good.stat().st_size
    code, messages = verify(base, tampered, str(tampered) + ".sig")
    assert code == 1 and "BAD signature" in messages


def test_the_key_is_made_once_per_state_folder(published):
    base, summary = published
    assert mirror.make_key(str(base / "gnupg")) == summary["fingerprint"]


def test_served_over_loopback_http(published, tmp_path):
    base, summary = published
    state = str(tmp_path / "mirror.json")
    process = subprocess.Popen([sys.executable, "-m", "tests.support.mirror", "serve", "--root", str(base / "root"),
                                "--state", state], cwd=ROOT)
    try:
        wait_for_file(state, process, "mirror")
        url = json.load(open(state))["url"]
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url + "/info/latest/CWAGENT_VERSION", timeout=5) as response:
            assert response.read().decode().strip() == summary["latest"]
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(url + "/debian/arm64/latest/amazon-cloudwatch-agent.deb", timeout=5)
        assert missing.value.code == 404
    finally:
        process.terminate()
        process.wait(timeout=10)


def rpm_query(root, *args):
    return subprocess.run(["rpm", "--root", root, "--dbpath", "/var/lib/rpm", "-q"] + list(args),
                          capture_output=True, text=True, check=False)


def test_the_rpm_path_installs_and_upgrades_the_real_package(tmp_path, packages):
    """The role's rpm command (install.yml), run by Debian's real rpm into a scratch root (--root): the real
    package's files land and the newer build upgrades it. The scratch root holds no shell, so the package's
    scriptlets and dependencies cannot be run there (--noscripts --nodeps); everything else is rpm's own work."""
    root = str(tmp_path / "root")
    os.makedirs(root)
    stubs = tmp_path / "bin"
    os.makedirs(str(stubs))
    wrapper = stubs / "rpm"
    wrapper.write_text('#!/bin/sh\nexec /usr/bin/rpm --root %s --dbpath /var/lib/rpm --nodeps --noscripts "$@"\n'
                       % root)
    wrapper.chmod(0o755)
    env = play_env(tmp_path, stubs)
    target = tmp_path / "packages" / "amzn2.rpm"
    os.makedirs(str(target.parent))
    for version in agent_build.PACKAGE_VERSIONS:
        if target.exists():
            target.unlink()
        target.symlink_to(packages[("rpm", version)])
        run_play(tmp_path, ["amzn2"], env, extra={"cloudwatch_agent_package_manager": "rpm"})
        installed = rpm_query(root, "--queryformat", "%{VERSION}", "amazon-cloudwatch-agent")
        assert installed.returncode == 0 and installed.stdout == version, installed.stdout + installed.stderr
        with open(os.path.join(root, AGENT_HOME, "bin/CWAGENT_VERSION")) as handle:
            assert handle.read().strip() == version
    # One package left after the upgrade, not two side by side.
    assert rpm_query(root, "-a").stdout.split() == ["amazon-cloudwatch-agent-%s-1.x86_64"
                                                    % agent_build.PACKAGE_VERSIONS[-1]]
