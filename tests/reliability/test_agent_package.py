"""A tampered agent package or signature is refused before install, with a clear message: the cloudwatch_agent
role's own check (roles/cloudwatch_agent/files/verify_signature.sh), run as the role runs it, then the role's
fetch.yml itself with a package file the user gave (cloudwatch_agent_package_file): every refusal fails naming
the variable, and the user's package and .sig are never deleted."""

import json
import os
import shutil
import subprocess

import pytest
import yaml

from tests.support import mirror
from tests.support.ansible_cli import clean_env
from tests.support.ansible_cli import playbook_command
from tests.support.ansible_cli import run
from tests.support.paths import COLLECTIONS
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


def verify(package, signature, key, fingerprint, *on_failure):
    return subprocess.run(["sh", SCRIPT, package, signature, key, fingerprint] + list(on_failure),
                          capture_output=True, text=True, check=False)


def copy_case(signed, name):
    folder, package, _key, _fingerprint = signed
    target = str(folder / name)
    os.makedirs(target, exist_ok=True)
    shutil.copy(package, target)
    shutil.copy(package + ".sig", target)
    return os.path.join(target, os.path.basename(package))


def tamper_in_place(target):
    mirror.tamper(target, target + ".new")
    os.replace(target + ".new", target)


def test_a_good_package_passes(signed):
    _folder, _package, key, fingerprint = signed
    package = copy_case(signed, "good")
    result = verify(package, package + ".sig", key, fingerprint)
    assert result.returncode == 0 and "good signature" in result.stdout


@pytest.mark.parametrize("what", ["package", "signature"])
def test_a_tampered_download_is_refused_and_removed(signed, what, figures):
    """`remove`, as the role asks for its download cache: a later run cannot take the file as downloaded."""
    _folder, _package, key, fingerprint = signed
    package = copy_case(signed, "tampered-" + what)
    tamper_in_place(package if what == "package" else package + ".sig")
    result = verify(package, package + ".sig", key, fingerprint, "remove")
    assert result.returncode == 1
    assert "BAD or missing signature" in result.stderr and "refusing to install" in result.stderr
    assert not os.path.exists(package) and not os.path.exists(package + ".sig")
    figures.add("tampered agent files refused")


@pytest.mark.parametrize("what", ["package", "signature"])
def test_a_tampered_file_of_the_user_is_refused_and_kept(signed, what):
    _folder, _package, key, fingerprint = signed
    package = copy_case(signed, "kept-" + what)
    tamper_in_place(package if what == "package" else package + ".sig")
    result = verify(package, package + ".sig", key, fingerprint)
    assert result.returncode == 1 and "BAD or missing signature" in result.stderr
    assert "left in place" in result.stderr
    assert os.path.exists(package) and os.path.exists(package + ".sig")


def test_a_missing_key_file_is_refused_saying_so(signed):
    _folder, _package, _key, fingerprint = signed
    package = copy_case(signed, "no-key")
    missing = package + ".no-such-key"
    result = verify(package, package + ".sig", missing, fingerprint)
    assert result.returncode == 1
    assert "the signing key file %s does not exist" % missing in result.stderr
    assert os.path.exists(package) and os.path.exists(package + ".sig")


def test_a_missing_signature_is_refused_saying_so(signed):
    _folder, _package, key, fingerprint = signed
    package = copy_case(signed, "no-sig")
    os.remove(package + ".sig")
    result = verify(package, package + ".sig", key, fingerprint)
    assert result.returncode == 1 and "%s.sig does not exist" % package in result.stderr
    assert os.path.exists(package)


def test_a_key_other_than_the_pinned_one_is_refused(signed, figures):
    _folder, _package, key, fingerprint = signed
    package = copy_case(signed, "other-key")
    other = "0" * 40
    result = verify(package, package + ".sig", key, other)
    assert result.returncode == 1 and "is not the pinned key %s" % other in result.stderr
    figures.add("tampered agent files refused")


# ------------------------------------------------------------------ the role's fetch.yml with the user's file

def run_fetch_tasks(tmp_path, package, fingerprint):
    """The role's fetch.yml on the controller (local connection) for a package file the user gave; the
    ansible.posix.json callback's output."""
    play = [{"name": "The agent role's fetch tasks", "hosts": "localhost", "gather_facts": False,
             "tasks": [{"name": "Run fetch.yml", "ansible.builtin.include_role": {
                 "name": "iamkit.ec2.cloudwatch_agent", "tasks_from": "fetch.yml"}}]}]
    playbook = tmp_path / "fetch.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    inventory = tmp_path / "inventory.json"
    inventory.write_text(json.dumps({"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}))
    role_vars = {"cloudwatch_agent_package_file": package, "cloudwatch_agent_gpg_fingerprint": fingerprint,
                 "cloudwatch_agent_wanted_version": "",
                 # What package.yml's cloudwatch_agent_package_info gives; no URL is fetched for a given file.
                 "cloudwatch_agent_package": {"platform": "ubuntu", "arch": "amd64", "package_type": "deb",
                                              "url": "", "signature_url": "", "key_url": ""}}
    env = clean_env(tmp_path, collections_path=COLLECTIONS)
    env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.posix.json"
    command = playbook_command(str(playbook), str(inventory), extra_vars=[json.dumps(role_vars)])
    return json.loads(run(command, env, check=False).stdout)


def failure_message(output):
    failed = [result for play in output["plays"] for task in play["tasks"]
              for result in task["hosts"].values() if result.get("failed")]
    assert len(failed) == 1, failed
    return failed[0]["msg"]


def users_case(signed, name, with_key=True):
    package = copy_case(signed, name)
    if with_key:
        shutil.copy(signed[2], os.path.join(os.path.dirname(package), "amazon-cloudwatch-agent.gpg"))
    return package


def test_the_role_takes_a_well_signed_package_file(signed, tmp_path):
    package = users_case(signed, "role-good")
    output = run_fetch_tasks(tmp_path, package, signed[3])
    assert output["stats"]["localhost"]["failures"] == 0
    assert output["stats"]["localhost"]["changed"] == 0


def test_the_role_refuses_a_badly_signed_package_file_and_keeps_it(signed, tmp_path):
    package = users_case(signed, "role-tampered")
    tamper_in_place(package)
    with open(package, "rb") as handle:
        before = handle.read()
    message = failure_message(run_fetch_tasks(tmp_path, package, signed[3]))
    assert message.startswith("cloudwatch_agent_package_file=%s" % package)
    assert "BAD or missing signature" in message and "cloudwatch_agent_verify_signature" in message
    with open(package, "rb") as handle:
        assert handle.read() == before
    assert os.path.exists(package + ".sig")


def test_the_role_refuses_a_package_file_without_its_key_and_keeps_it(signed, tmp_path):
    package = users_case(signed, "role-no-key", with_key=False)
    message = failure_message(run_fetch_tasks(tmp_path, package, signed[3]))
    key = os.path.join(os.path.dirname(package), "amazon-cloudwatch-agent.gpg")
    assert message.startswith("cloudwatch_agent_package_file=%s" % package)
    assert "the signing key file %s does not exist" % key in message
    assert os.path.exists(package) and os.path.exists(package + ".sig")


def test_the_role_refuses_a_package_file_that_is_not_there(signed, tmp_path):
    missing = str(tmp_path / "nowhere" / "amazon-cloudwatch-agent.deb")
    message = failure_message(run_fetch_tasks(tmp_path, missing, signed[3]))
    assert message.startswith("cloudwatch_agent_package_file=%s" % missing)
    assert "the package %s does not exist" % missing in message
