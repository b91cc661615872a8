"""Where things are: the checkout, the reference files in ../shared, the venv's tools, the collection link."""

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# ansible_collections/iamkit/ec2 -> ROOT, so Ansible and Python find this checkout as iamkit.ec2.
COLLECTIONS = os.path.join(ROOT, "tests", "output", "collections")
SHARED = os.environ.get("IAMKIT_SHARED_DIR", os.path.join(os.path.dirname(ROOT), "shared"))
BIN = os.path.dirname(sys.executable)


def tool(name):
    """A command of the venv pytest runs in (ansible-playbook, ansible-galaxy, molecule...)."""
    return os.path.join(BIN, name)


def collection_version():
    with open(os.path.join(ROOT, "galaxy.yml")) as handle:
        for line in handle:
            if line.startswith("version:"):
                return line.split(":", 1)[1].strip().strip("'\"")
    raise AssertionError("galaxy.yml has no version")


def link_collection():
    """The link that makes this checkout importable as ansible_collections.iamkit.ec2."""
    link = os.path.join(COLLECTIONS, "ansible_collections", "iamkit", "ec2")
    if not os.path.islink(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        try:
            os.symlink(ROOT, link)
        except FileExistsError:
            pass  # another test process (a pytest-xdist worker) made it first
    if COLLECTIONS not in sys.path:
        sys.path.insert(0, COLLECTIONS)


def shared_file(relative):
    """Path of a reference file in ../shared; fail under CI=true when missing, skip elsewhere naming it."""
    path = os.path.join(SHARED, relative)
    if not os.path.exists(path):
        message = "reference file missing: %s (set IAMKIT_SHARED_DIR)" % path
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path
