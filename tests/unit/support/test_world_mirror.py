"""The package mirror (layout of AWS's bucket, signatures by a key made here, tampering detectable) and the
host image's recipe (mirror discovery, cache key)."""

import subprocess

import pytest

from tests.support import host_image
from tests.support import mirror


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    base = tmp_path_factory.mktemp("mirror")
    summary = mirror.publish(str(base / "root"), str(base / "gnupg"), str(base / "cache"), with_rpm=False)
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
    return result.returncode, result.stderr


def test_layout_matches_the_bucket(published):
    base, summary = published
    root = base / "root"
    latest = summary["versions"][-1]
    assert (root / "info" / "latest" / "CWAGENT_VERSION").read_text() == latest + "\n"
    for platform, arch in mirror.DEB_TARGETS:
        for label in summary["versions"] + ["latest"]:
            assert (root / platform / arch / label / "amazon-cloudwatch-agent.deb").is_file()
            assert (root / platform / arch / label / "amazon-cloudwatch-agent.deb.sig").is_file()
    assert not (root / "debian" / "arm64").exists(), "AWS has no debian/arm64"
    version = subprocess.run(["dpkg-deb", "-f", str(root / "debian/amd64/latest/amazon-cloudwatch-agent.deb"),
                              "Version"], capture_output=True, text=True, check=True).stdout.strip()
    assert version == latest
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


def test_debian_mirror_is_read_from_apt_sources():
    deb822 = ("Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n\n"
              "Types: deb\n# a comment\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\n")
    assert host_image.mirror_from_deb822(deb822) == "http://mirror.example/debian"
    one_line = "deb [arch=amd64] http://mirror.example/debian bookworm main\n"
    assert host_image.mirror_from_one_line(one_line) == "http://mirror.example/debian"
    assert host_image.mirror_from_deb822("Types: deb\nURIs: http://x\nSuites: trixie\n") is None


def test_image_name_changes_with_the_recipe(monkeypatch):
    first = host_image.image_name("http://mirror.example/debian")
    assert first == host_image.image_name("http://mirror.example/debian")
    assert first != host_image.image_name("http://other.example/debian")
    monkeypatch.setitem(host_image.RECIPE, "include", host_image.RECIPE["include"] + ["vim"])
    assert host_image.image_name("http://mirror.example/debian") != first
