"""Execution environments: ansible-builder finds what this collection needs, offline, from the installed
collection, and turns the example EE definition for users into a build context."""

import os
import sys

import yaml

from tests.support.ansible_cli import clean_env
from tests.support.ansible_cli import run
from tests.support.ansible_cli import tool
from tests.support.paths import ROOT


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
    """`ansible-builder create` writes the Containerfile and build files without reaching any registry; the
    introspection script it puts in the image then finds this collection's needs in the installed tree."""
    definition = os.path.join(ROOT, "examples", "execution-environment.yml")
    context = str(tmp_path / "context")
    env = clean_env(tmp_path)
    # The file's name follows whichever container runtime is installed unless told: podman's name, always.
    run([tool("ansible-builder"), "create", "-f", definition, "--context", context,
         "--output-filename", "Containerfile"], env=env, cwd=os.path.dirname(definition))

    with open(os.path.join(context, "Containerfile")) as handle:
        containerfile = handle.read()
    assert "ansible-galaxy collection install" in containerfile
    with open(os.path.join(context, "_build", "requirements.yml")) as handle:
        collections = [entry["name"] for entry in yaml.safe_load(handle)["collections"]]
    assert collections == ["iamkit.ec2", "amazon.aws"]

    # The image's own introspection step, run on the collections the galaxy stage would have installed.
    pip_file, bindep_file = str(tmp_path / "requirements.txt"), str(tmp_path / "bindep.txt")
    script = os.path.join(context, "_build", "scripts", "introspect.py")
    run([sys.executable, script, "introspect",
         "--write-pip=%s" % pip_file, "--write-bindep=%s" % bindep_file, collections_path], env=env)
    assert {"boto3", "botocore", "jsonschema"} <= set(requirement_names(pip_file))
    with open(bindep_file) as handle:
        assert "gnupg2 [platform:rpm]  # from collection iamkit.ec2" in handle.read().splitlines()
