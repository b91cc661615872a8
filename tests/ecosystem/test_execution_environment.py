"""Execution environments: ansible-builder finds what this collection needs, offline, from the installed
collection, and turns the EE definition for users into a build context. (Building and running the image
is the ee layer's: tests/ee.)"""

import json
import os
import sys

import yaml

from tests.support import ee_image
from tests.support.ansible_cli import amazon_aws_path
from tests.support.ansible_cli import clean_env
from tests.support.ansible_cli import run
from tests.support.ansible_cli import tool
from tests.support.paths import ROOT
from tests.support.paths import collection_version


def requirement_names(path):
    names = []
    with open(path) as handle:
        for line in handle:
            line = line.split("#", 1)[0].strip()
            if line:
                names.append(line.split(">", 1)[0].split("<", 1)[0].split("=", 1)[0].split("[", 1)[0].strip())
    return names


def by_collection(lines, collection):
    """Entries of an introspect listing that name `collection` as their source ("... # from collection X")."""
    return [line.split("#", 1)[0].strip() for line in lines if line.endswith("# from collection %s" % collection)]


def test_meta_execution_environment_points_at_the_collection_files():
    with open(os.path.join(ROOT, "meta", "execution-environment.yml")) as handle:
        meta = yaml.safe_load(handle)
    assert meta["dependencies"] == {"python": "requirements.txt", "system": "bindep.txt"}
    for name in meta["dependencies"].values():
        assert os.path.isfile(os.path.join(ROOT, name)), name
    assert {"boto3", "botocore"} <= set(requirement_names(os.path.join(ROOT, "requirements.txt")))


def test_introspect_reports_boto3_and_botocore_from_this_collection(collections_path, tmp_path):
    env = clean_env(tmp_path)
    output = run([tool("ansible-builder"), "introspect", collections_path], env=env).stdout
    listing = yaml.safe_load(output.split("---", 1)[1])
    python = by_collection(listing["python"], "iamkit.ec2")
    assert sorted(entry.split(">")[0] for entry in python if entry.startswith("boto")) == ["boto3", "botocore"]
    # What the packages are pinned to is what requirements.txt says, not a copy of amazon.aws's pins.
    with open(os.path.join(ROOT, "requirements.txt")) as handle:
        pinned = [line.strip() for line in handle if line.strip() and not line.startswith("#")]
    assert sorted(python) == sorted(pinned)
    # amazon.aws is found beside it: the EE gets both collections' needs.
    assert by_collection(listing["python"], "amazon.aws")
    # gpg verifies the agent package's signature on the controller (the cloudwatch_agent role's default).
    assert "gnupg2 [platform:rpm]" in by_collection(listing["system"], "iamkit.ec2")


def test_example_definition_becomes_a_build_context_offline(collections_path, tmp_path):
    """`ansible-builder create` writes the Containerfile and build files without reaching any registry or
    Galaxy: the build folder `make ee` prepares holds the definition unchanged and both collections as
    tarballs; the introspection script the image runs then finds this collection's needs in the installed tree."""
    folder = str(tmp_path / "build")
    definition = ee_image.prepare(folder)
    with open(definition) as built, open(ee_image.DEFINITION) as source:
        assert built.read() == source.read()
    context = str(tmp_path / "context")
    env = clean_env(tmp_path)
    # The file's name follows whichever container runtime is installed unless told: podman's name, always.
    run([tool("ansible-builder"), "create", "-f", definition, "--context", context,
         "--output-filename", "Containerfile"], env=env, cwd=folder)

    with open(os.path.join(context, "Containerfile")) as handle:
        containerfile = handle.read()
    assert "ansible-galaxy collection install" in containerfile
    # The base image, its package manager and Python are build arguments (README: "Running in AWX").
    for argument in ("EE_BASE_IMAGE", "PKGMGR", "PYCMD"):
        assert "ARG %s=" % argument in containerfile
    with open(os.path.join(context, "_build", "requirements.yml")) as handle:
        collections = yaml.safe_load(handle)["collections"]
    assert collections == [
        {"name": "collections/iamkit-ec2-%s.tar.gz" % collection_version(), "type": "file"},
        {"name": "collections/amazon-aws-%s.tar.gz" % amazon_aws_version(), "type": "file"}]
    for entry in collections:
        assert os.path.isfile(os.path.join(context, "_build", entry["name"])), entry

    # The galaxy stage's install, run here: both tarballs install offline, this one's dependency resolved.
    installed = str(tmp_path / "installed")
    run([tool("ansible-galaxy"), "collection", "install", "-r", "requirements.yml", "-p", installed, "--offline"],
        env=clean_env(tmp_path, collections_path=installed), cwd=os.path.join(context, "_build"))
    for name in ("iamkit/ec2", "amazon/aws"):
        assert os.path.isfile(os.path.join(installed, "ansible_collections", name, "MANIFEST.json")), name

    # The image's own introspection step, run on the collections the galaxy stage would have installed.
    pip_file, bindep_file = str(tmp_path / "requirements.txt"), str(tmp_path / "bindep.txt")
    script = os.path.join(context, "_build", "scripts", "introspect.py")
    run([sys.executable, script, "introspect",
         "--write-pip=%s" % pip_file, "--write-bindep=%s" % bindep_file, collections_path], env=env)
    assert {"boto3", "botocore", "jsonschema"} <= set(requirement_names(pip_file))
    with open(bindep_file) as handle:
        assert "gnupg2 [platform:rpm]  # from collection iamkit.ec2" in handle.read().splitlines()


def amazon_aws_version():
    with open(os.path.join(amazon_aws_path(), "MANIFEST.json")) as handle:
        return json.load(handle)["collection_info"]["version"]
