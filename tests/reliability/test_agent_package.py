"""A tampered agent package or signature is refused before install, with a clear message: the cloudwatch_agent
role's own check (roles/cloudwatch_agent/files/verify_signature.sh), run as the role runs it."""

import os
import shutil
import subprocess

import pytest

from tests.support import mirror
from tests.support.paths import ROOT

SCRIPT = os.path.join(ROOT, "roles", "cloudwatch_agent", "files", "verify_signature.sh")

pytestmark = pytest.mark.skipif(shutil.which("gpg") is None, reason="gpg is not installed (make world installs it)")


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    """A package signed by the test key, the key exported as the role downloads it, and the fingerprint."""
    folder = tmp_path_factory.mktemp("agent-package")
    home = str(folder / "gnupg")
    fingerprint = mirror.make_key(home)
    package = str(folder / "amazon-cloudwatch-agent.deb")
    with open(package, "wb") as handle:
        handle.write(os.urandom(4096))
    mirror.sign(home, fingerprint, package)
    key = str(folder / "amazon-cloudwatch-agent.gpg")
    mirror.gpg(home, "--yes", "--armor", "--output", key, "--export", fingerprint)
    return folder, package, key, fingerprint


def verify(package, signature, key, fingerprint):
    return subprocess.run(["sh", SCRIPT, package, signature, key, fingerprint], capture_output=True, text=True,
                          check=False)


def copy_case(signed, name):
    folder, package, _key, _fingerprint = signed
    target = str(folder / name)
    os.makedirs(target, exist_ok=True)
    shutil.copy(package, target)
    shutil.copy(package + ".sig", target)
    return os.path.join(target, os.path.basename(package))


def test_a_good_package_passes(signed):
    _folder, _package, key, fingerprint = signed
    package = copy_case(signed, "good")
    result = verify(package, package + ".sig", key, fingerprint)
    assert result.returncode == 0 and "good signature" in result.stdout


@pytest.mark.parametrize("what", ["package", "signature"])
def test_a_tampered_file_is_refused_and_removed(signed, what, figures):
    _folder, _package, key, fingerprint = signed
    package = copy_case(signed, "tampered-" + what)
    target = package if what == "package" else package + ".sig"
    mirror.tamper(target, target + ".new")
    os.replace(target + ".new", target)
    result = verify(package, package + ".sig", key, fingerprint)
    assert result.returncode == 1
    assert "BAD or missing signature" in result.stderr and "refusing to install" in result.stderr
    assert not os.path.exists(package)  # a later run cannot take it from the cache
    figures.add("tampered agent files refused")


def test_a_key_other_than_the_pinned_one_is_refused(signed, figures):
    _folder, _package, key, fingerprint = signed
    package = copy_case(signed, "other-key")
    other = "0" * 40
    result = verify(package, package + ".sig", key, other)
    assert result.returncode == 1 and "is not the pinned key %s" % other in result.stderr
    figures.add("tampered agent files refused")
