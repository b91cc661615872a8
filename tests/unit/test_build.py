"""The release artefact: `ansible-galaxy collection build` gives a clean tarball that installs offline
next to the amazon.aws of the `ansible` package, and Ansible then finds and documents every module."""

import json
import os
import shutil
import subprocess
import sys
import tarfile
from importlib import metadata

import pytest

from tests.support.paths import ROOT

BIN = os.path.dirname(sys.executable)
MODULES = sorted(name[:-3] for name in os.listdir(os.path.join(ROOT, "plugins", "modules"))
                 if name.endswith(".py") and name != "__init__.py")

# Path components that mark a developer's or a tool's leftovers, never part of the collection.
JUNK_DIRS = {".venv", "venv", ".git", "__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache", ".cache",
             ".tox", ".ansible", "build", "dist"}
JUNK_SUFFIXES = (".pyc", ".pyo", ".tar.gz", ".egg-info", ".retry")
JUNK_PREFIXES = ("tests/output", "benchmarks/output")


def junk(member):
    parts = member.split("/")
    # .venv-<leg>: the venvs of the support matrix's legs (make matrix LEG=...).
    return (bool(JUNK_DIRS.intersection(parts)) or any(part.startswith(".venv-") for part in parts)
            or member.endswith(JUNK_SUFFIXES)
            or member.startswith(JUNK_PREFIXES))


def uses_amazon_aws(module):
    """Built on AnsibleAWSModule, so its documentation takes options from amazon.aws's doc fragments."""
    with open(os.path.join(ROOT, "plugins", "modules", module + ".py")) as handle:
        return "AnsibleAWSModule(" in handle.read()


def site_packages():
    import ansible_collections.amazon.aws as amazon_aws

    # .../site-packages/ansible_collections/amazon/aws -> .../site-packages
    return os.path.dirname(os.path.dirname(os.path.dirname(list(amazon_aws.__path__)[0])))


def ansible_env(tmp, collections_path):
    """Environment for ansible-galaxy/ansible-doc that sees only the given collection paths."""
    env = dict(os.environ)
    env["ANSIBLE_COLLECTIONS_PATH"] = collections_path
    env["ANSIBLE_HOME"] = os.path.join(tmp, "ansible-home")
    env["ANSIBLE_NOCOLOR"] = "1"
    return env


def run(command, env=None, cwd=None):
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, "%s failed:\n%s\n%s" % (" ".join(command), result.stdout, result.stderr)
    return result.stdout


def build(source, output):
    os.makedirs(output, exist_ok=True)
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", source, "--output-path", output, "--force"],
        env=ansible_env(output, os.path.join(output, "none")))
    tarballs = [name for name in os.listdir(output) if name.endswith(".tar.gz")]
    assert tarballs == ["iamkit-ec2-0.1.0.tar.gz"], tarballs
    return os.path.join(output, tarballs[0])


def members(tarball):
    with tarfile.open(tarball) as archive:
        return [member.name[2:] if member.name.startswith("./") else member.name for member in archive.getmembers()]


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    """The tarball built from this checkout as it is on disk."""
    return build(ROOT, str(tmp_path_factory.mktemp("build")))


def test_tarball_holds_the_collection(tarball):
    names = set(members(tarball))
    expected = {"MANIFEST.json", "FILES.json", "LICENSE", "README.md", "meta/runtime.yml",
                "changelogs/changelog.yaml",
                # What ansible-builder reads from an installed collection, and the example EE for users.
                "meta/execution-environment.yml", "requirements.txt", "bindep.txt",
                "examples/execution-environment.yml", "examples/requirements.yml"}
    expected.update("plugins/modules/%s.py" % module for module in MODULES)
    assert expected - names == set()


def test_tarball_has_no_leftovers(tarball):
    assert [name for name in members(tarball) if junk(name)] == []


def test_version_is_semantic():
    """Galaxy sorts and resolves versions as SemVer 2.0.0 (semver.org's regular expression)."""
    import re

    import yaml

    with open(os.path.join(ROOT, "galaxy.yml")) as handle:
        version = str(yaml.safe_load(handle)["version"])
    semver = (r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
              r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
              r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$")
    assert re.match(semver, version), version


def test_build_ignore_keeps_leftovers_out(tmp_path):
    """galaxy.yml's build_ignore, tested on planted leftovers: a clean checkout may not have them all."""
    source = str(tmp_path / "source")
    shutil.copytree(ROOT, source, symlinks=True,
                    ignore=shutil.ignore_patterns(".venv*", ".git", "output", "__pycache__", "*.tar.gz"))
    planted = [".venv/bin/python", ".venv-2.17-aws9/bin/python", ".git/HEAD",
               "tests/output/build/iamkit-ec2-0.0.1.tar.gz",
               "plugins/module_utils/__pycache__/plan.cpython-311.pyc", ".pytest_cache/README.md",
               ".ruff_cache/CACHEDIR.TAG", ".cache/pip/x", "benchmarks/output/figures.json",
               "iamkit-ec2-0.0.1.tar.gz"]
    for path in planted:
        os.makedirs(os.path.dirname(os.path.join(source, path)) or source, exist_ok=True)
        with open(os.path.join(source, path), "w") as handle:
            handle.write("leftover\n")
    names = members(build(source, str(tmp_path / "build")))
    assert [name for name in names if junk(name)] == []
    # The copy is otherwise complete: the modules are still there.
    assert "plugins/modules/%s.py" % MODULES[0] in names


def test_tarball_installs_offline_beside_amazon_aws(tarball, tmp_path):
    target = str(tmp_path / "collections")
    env = ansible_env(str(tmp_path), os.pathsep.join([target, site_packages()]))
    output = run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", tarball, "-p", target, "--offline"],
                 env=env)
    assert "iamkit.ec2:0.1.0 was installed successfully" in output
    installed = os.path.join(target, "ansible_collections", "iamkit", "ec2")
    with open(os.path.join(installed, "MANIFEST.json")) as handle:
        manifest = json.load(handle)["collection_info"]
    assert (manifest["namespace"], manifest["name"], manifest["version"]) == ("iamkit", "ec2", "0.1.0")

    listed = json.loads(run([os.path.join(BIN, "ansible-doc"), "-t", "module", "-l", "iamkit.ec2", "--json"],
                            env=env))
    assert sorted(listed) == ["iamkit.ec2.%s" % module for module in MODULES]

    # Full documentation of every module: its doc fragments come from amazon.aws, so this also proves
    # that the dependency is found; the files must be the installed copy, not this checkout.
    docs = json.loads(run([os.path.join(BIN, "ansible-doc"), "-t", "module", "--json"]
                          + ["iamkit.ec2.%s" % module for module in MODULES], env=env))
    assert sorted(docs) == ["iamkit.ec2.%s" % module for module in MODULES]
    for name, doc in docs.items():
        assert doc["doc"]["filename"].startswith(installed + os.sep), name
    aws_modules = [module for module in MODULES if uses_amazon_aws(module)]
    assert aws_modules, "no module built on amazon.aws found"
    for module in aws_modules:
        assert "region" in docs["iamkit.ec2.%s" % module]["doc"]["options"], module


def test_licence_is_the_verbatim_gpl():
    """galaxy.yml says GPL-3.0-or-later; the text must be the FSF's, byte for byte (ansible-core ships it)."""
    copying = [path for path in metadata.distribution("ansible-core").files
               if path.name == "COPYING" and path.parent.name == "licenses"]
    assert copying, "ansible-core's distribution lists no COPYING file"
    with open(os.path.join(ROOT, "LICENSE"), "rb") as handle:
        assert handle.read() == copying[0].read_binary()
